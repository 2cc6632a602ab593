// The informer caches behind Cluster.cache: one map per kind, kept by list + watch
// (and by the adapter's own write responses, so a controller reads its writes at once).
// Observations older than what is stored are ignored, so a late watch event never rolls
// an object back; every change is delivered to listeners after it is applied.

import type { Pod } from '../../../core/api/k8s.ts';
import type { ClusterCache, Kind, ObjectsByKind, WatchEvent, WatchEventType } from '../../ports/cluster.ts';
import { compareResourceVersions } from './plain.ts';

type AnyObject = ObjectsByKind[Kind];

const NAMESPACED_KINDS: ReadonlySet<Kind> = new Set(['Pod', 'DaemonSet', 'PodDisruptionBudget', 'PersistentVolumeClaim']);

function objectKey(kind: Kind, name: string, namespace?: string): string {
  return NAMESPACED_KINDS.has(kind) ? `${namespace ?? 'default'}/${name}` : name;
}

function keyOfObject(kind: Kind, o: AnyObject): string {
  return objectKey(kind, o.metadata.name ?? '', o.metadata.namespace);
}

export class InformerStore implements ClusterCache {
  private readonly objects = new Map<Kind, Map<string, AnyObject>>();
  private readonly lists = new Map<Kind, readonly AnyObject[]>();
  private readonly podsByNode = new Map<string, Map<string, Pod>>();
  private readonly listeners = new Set<(event: WatchEvent) => void>();
  /** resourceVersion at deletion, per kind/key: a late write response must not resurrect it. */
  private readonly tombstones = new Map<string, string | undefined>();

  constructor(kinds: readonly Kind[]) {
    for (const k of kinds) this.objects.set(k, new Map());
  }

  // ---- ClusterCache ----------------------------------------------------------------------

  list<K extends Kind>(kind: K): readonly ObjectsByKind[K][] {
    let l = this.lists.get(kind);
    if (!l) {
      l = [...(this.objects.get(kind)?.values() ?? [])];
      this.lists.set(kind, l);
    }
    return l as readonly ObjectsByKind[K][];
  }

  get<K extends Kind>(kind: K, name: string, namespace?: string): ObjectsByKind[K] | undefined {
    return this.objects.get(kind)?.get(objectKey(kind, name, namespace)) as ObjectsByKind[K] | undefined;
  }

  podsOnNode(nodeName: string): readonly Pod[] {
    return [...(this.podsByNode.get(nodeName)?.values() ?? [])];
  }

  // ---- updates -------------------------------------------------------------------------

  subscribe(listener: (event: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An observed state (list item, watch event, write response); ignored when not newer. */
  upsert(kind: Kind, object: AnyObject): void {
    const store = this.objects.get(kind);
    if (!store) return;
    const key = keyOfObject(kind, object);
    const old = store.get(key);
    if (old && compareResourceVersions(object.metadata.resourceVersion, old.metadata.resourceVersion) <= 0) return;
    const tombstone = `${kind}/${key}`;
    if (!old && this.tombstones.has(tombstone)) {
      if (compareResourceVersions(object.metadata.resourceVersion, this.tombstones.get(tombstone)) <= 0) return;
      this.tombstones.delete(tombstone); // created again since
    }
    store.set(key, object);
    this.changed(kind, old, object, old ? 'MODIFIED' : 'ADDED');
  }

  /** A deletion observed (watch DELETED, or absent from a fresh list). */
  remove(kind: Kind, object: AnyObject): void {
    const store = this.objects.get(kind);
    if (!store) return;
    const key = keyOfObject(kind, object);
    const old = store.get(key);
    if (!old) return;
    store.delete(key);
    this.tombstones.set(`${kind}/${key}`, object.metadata.resourceVersion ?? old.metadata.resourceVersion);
    if (this.tombstones.size > 10_000) this.tombstones.delete(this.tombstones.keys().next().value!);
    this.changed(kind, old, undefined, 'DELETED', object);
  }

  /** A full list: objects in it are upserted, stored objects missing from it are deleted. */
  replace(kind: Kind, items: readonly AnyObject[]): void {
    const store = this.objects.get(kind);
    if (!store) return;
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(keyOfObject(kind, item));
      this.upsert(kind, item);
    }
    for (const [key, old] of [...store]) if (!seen.has(key)) this.remove(kind, old);
  }

  size(kind: Kind): number {
    return this.objects.get(kind)?.size ?? 0;
  }

  private changed(kind: Kind, old: AnyObject | undefined, next: AnyObject | undefined, type: WatchEventType, deleted?: AnyObject): void {
    this.lists.delete(kind);
    if (kind === 'Pod') this.indexPod(old as Pod | undefined, next as Pod | undefined);
    const event = { kind, type, object: next ?? deleted ?? old } as WatchEvent;
    for (const l of this.listeners) l(event);
  }

  private indexPod(old: Pod | undefined, next: Pod | undefined): void {
    const key = (p: Pod) => objectKey('Pod', p.metadata.name ?? '', p.metadata.namespace);
    const oldNode = old?.spec?.nodeName;
    if (old && oldNode) {
      const m = this.podsByNode.get(oldNode);
      m?.delete(key(old));
      if (m && m.size === 0) this.podsByNode.delete(oldNode);
    }
    const newNode = next?.spec?.nodeName;
    if (next && newNode) {
      let m = this.podsByNode.get(newNode);
      if (!m) this.podsByNode.set(newNode, (m = new Map()));
      m.set(key(next), next);
    }
  }
}
