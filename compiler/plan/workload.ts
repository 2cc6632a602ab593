// A workload snapshot for the what-if: the pods, nodes and DaemonSets of a cluster, read
// from `kubectl get pods,nodes,daemonsets -A -o json` (a List) or from a live cluster;
// with `persistentvolumeclaims,persistentvolumes,storageclasses,csinodes` added, also the
// storage objects that restrict where pods with volumes run (volume zones, attach limits).
// Bad input is reported with the file and the reason, never as a stack trace.
import { readFile } from 'node:fs/promises';
import type { CSINode, DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../core/api/k8s.ts';
import { parseResourceList } from '../../core/resources/resource-list.ts';

export interface WorkloadSnapshot {
  /** The file, or `cluster <context>`. */
  source: string;
  pods: Pod[];
  nodes: Node[];
  daemonSets: DaemonSet[];
  /**
   * Storage objects, when the snapshot lists any: the what-if then reads the pods' volume
   * topology and the nodes' CSI attach limits. A snapshot without them leaves volumes unread.
   */
  claims?: PersistentVolumeClaim[];
  volumes?: PersistentVolume[];
  storageClasses?: StorageClass[];
  csiNodes?: CSINode[];
}

const STORAGE_KINDS: Readonly<Record<string, 'claims' | 'volumes' | 'storageClasses' | 'csiNodes'>> = {
  PersistentVolumeClaim: 'claims',
  PersistentVolume: 'volumes',
  StorageClass: 'storageClasses',
  CSINode: 'csiNodes',
};

export class WorkloadError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`${source}: ${reason}`);
    this.name = 'WorkloadError';
  }
}

const EXPECTED = 'expected the output of `kubectl get pods,nodes,daemonsets -A -o json` (a List whose items are Pods, Nodes and DaemonSets)';

type Item = Record<string, unknown>;

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a JSON array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a JSON object' : `a JSON ${typeof value}`;
}

function itemName(item: Item): string {
  const metadata = isObject(item.metadata) ? item.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  return typeof metadata.namespace === 'string' ? `${metadata.namespace}/${name}` : name;
}

/** The item's fields the solver reads, checked so a malformed snapshot fails here, with the item named. */
function checkItem(source: string, path: string, kind: string, item: Item): void {
  const where = `${path} (${kind} ${itemName(item)})`;
  if (!isObject(item.metadata) || typeof item.metadata.name !== 'string') throw new WorkloadError(source, `${where}: metadata.name is missing`);
  const quantities = (field: string, map: unknown): void => {
    if (map === undefined) return;
    if (!isObject(map)) throw new WorkloadError(source, `${where}: ${field} is not a map of quantities`);
    let parsed: Record<string, number>;
    try {
      parsed = parseResourceList(map as Record<string, string>);
    } catch (error) {
      throw new WorkloadError(source, `${where}: ${field}: ${(error as Error).message}`);
    }
    for (const [name, value] of Object.entries(parsed)) {
      const raw = String((map as Record<string, unknown>)[name]);
      if (!Number.isFinite(value)) throw new WorkloadError(source, `${where}: ${field}.${name}: "${raw}" is not a finite quantity`);
      if (value < 0) throw new WorkloadError(source, `${where}: ${field}.${name}: "${raw}" is negative; a request is 0 or more`);
    }
  };
  const containers = (field: string, spec: Item): void => {
    const list = spec.containers;
    if (!Array.isArray(list)) throw new WorkloadError(source, `${where}: ${field}.containers is missing (not a pod spec)`);
    for (const [group, cs] of [['containers', list], ['initContainers', spec.initContainers ?? []]] as const) {
      if (!Array.isArray(cs)) throw new WorkloadError(source, `${where}: ${field}.${group} is not a list`);
      cs.forEach((c: unknown, i: number) => {
        const resources = isObject(c) && isObject(c.resources) ? c.resources : {};
        quantities(`${field}.${group}[${i}].resources.requests`, resources.requests);
        quantities(`${field}.${group}[${i}].resources.limits`, resources.limits);
      });
    }
    quantities(`${field}.overhead`, spec.overhead);
  };
  if (kind === 'Pod') {
    if (!isObject(item.spec)) throw new WorkloadError(source, `${where}: spec is missing`);
    containers('spec', item.spec);
  } else if (kind === 'DaemonSet') {
    const template = isObject(item.spec) && isObject(item.spec.template) ? item.spec.template : undefined;
    if (!template || !isObject(template.spec)) throw new WorkloadError(source, `${where}: spec.template.spec is missing`);
    containers('spec.template.spec', template.spec);
  } else if (kind === 'Node') {
    const status = isObject(item.status) ? item.status : {};
    quantities('status.allocatable', status.allocatable);
    quantities('status.capacity', status.capacity);
  }
}

const LIST_ITEM_KIND: Readonly<Record<string, string>> = {
  PodList: 'Pod',
  NodeList: 'Node',
  DaemonSetList: 'DaemonSet',
  PersistentVolumeClaimList: 'PersistentVolumeClaim',
  PersistentVolumeList: 'PersistentVolume',
  StorageClassList: 'StorageClass',
  CSINodeList: 'CSINode',
};

/** Parses a snapshot's text; `source` names it in errors. */
export function parseWorkload(source: string, text: string): WorkloadSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WorkloadError(source, `not valid JSON (${(error as Error).message}); ${EXPECTED}`);
  }
  if (!isObject(value) || !Array.isArray(value.items)) {
    throw new WorkloadError(source, `not a pod list: found ${describe(value)}${isObject(value) ? ` of kind ${String(value.kind ?? 'unknown')} without an items list` : ''}; ${EXPECTED}`);
  }
  const listKind = typeof value.kind === 'string' ? value.kind : 'List';
  const snapshot: WorkloadSnapshot = { source, pods: [], nodes: [], daemonSets: [] };
  const others = new Map<string, number>();
  value.items.forEach((item: unknown, i: number) => {
    const path = `items[${i}]`;
    if (!isObject(item)) throw new WorkloadError(source, `${path} is ${describe(item)}, not a Kubernetes object`);
    const kind = typeof item.kind === 'string' ? item.kind : LIST_ITEM_KIND[listKind];
    if (kind === undefined) throw new WorkloadError(source, `${path} has no kind; ${EXPECTED}`);
    const storage = STORAGE_KINDS[kind];
    if (storage) {
      if (!isObject(item.metadata) || typeof item.metadata.name !== 'string') throw new WorkloadError(source, `${path} (${kind} ${itemName(item)}): metadata.name is missing`);
      ((snapshot[storage] ??= []) as unknown[]).push(item);
      return;
    }
    if (kind !== 'Pod' && kind !== 'Node' && kind !== 'DaemonSet') {
      others.set(kind, (others.get(kind) ?? 0) + 1);
      return;
    }
    checkItem(source, path, kind, item);
    if (kind === 'Pod') snapshot.pods.push(item as unknown as Pod);
    else if (kind === 'Node') snapshot.nodes.push(item as unknown as Node);
    else snapshot.daemonSets.push(item as unknown as DaemonSet);
  });
  if (snapshot.pods.length === 0) {
    const found = [...others].map(([k, n]) => `${n} ${k}`).concat(snapshot.nodes.length ? [`${snapshot.nodes.length} Node`] : []);
    throw new WorkloadError(source, `not a pod list: it holds no Pod${found.length ? ` (found ${found.join(', ')})` : ' (the list is empty)'}; ${EXPECTED}`);
  }
  return snapshot;
}

/** Reads a snapshot file; `shownAs` names it in errors and in the report (default: the path). */
export async function readWorkloadFile(path: string, shownAs = path): Promise<WorkloadSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WorkloadError(shownAs, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a snapshot file' : `cannot be read (${(error as Error).message})`);
  }
  return parseWorkload(shownAs, text);
}
