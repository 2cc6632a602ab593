// The cluster IntentSource: for teams whose Argo CD or Flux applies the compiled
// NodePools, EC2NodeClasses and NodeOverlays, the intent is what the cluster holds. The
// three kinds are watched (informers, not polling); after a change settles (`debounceMs`, so one sync of
// many objects makes one intent) the objects are validated like a commit would be, by the
// compiler's validator plus the nodeClassRef check. A set that fails is rejected with the
// object and field, and the last good intent stays in force, exactly as for git.
// NodeOverlay (karpenter.sh/v1alpha1) is optional: in a cluster without its CRD the intent
// has no overlays, and the listing is tried again at each resync.
//
// The intent's identity (what NodeClaims record in joinery.dev/policy-commit): the value
// of the joinery.dev/policy-commit annotation when every object carries the same one
// (the commit the GitOps tool synced), else "cluster-" + a hash of the objects' specs.

import { CustomObjectsApi, ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseIntentManifestFiles, type ManifestFile } from '../../../compiler/manifests/index.ts';
import type { EC2NodeClass, NodePool } from '../../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../../core/api/node-overlay.ts';
import { canonicalJson, fnv1a64 } from '../../../core/canonical.ts';
import type { Clock, TimerHandle } from '../../ports/clock.ts';
import type { Intent, IntentEvent, IntentProblem, IntentRejection, IntentSource } from '../../ports/intent.ts';
import type { Logger } from '../../observability/log.ts';
import { SystemClock } from '../../runtime/system-clock.ts';
import { validateParsedIntent } from '../git/validate.ts';
import { loadKubeConfig } from '../kubernetes/cluster.ts';
import { statusCode } from '../kubernetes/errors.ts';
import { toPlain } from '../kubernetes/plain.ts';
import {
  ANNOTATION_POLICY_COMMIT,
  KARPENTER_API_VERSION,
  KARPENTER_AWS_API_VERSION,
  KARPENTER_AWS_GROUP,
  KARPENTER_GROUP,
  NODE_OVERLAY_API_VERSION,
} from '../../../core/contract/index.ts';

/** Annotations tools add that are not intent (and change without the spec changing). */
const IGNORED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export interface ClusterIntentSourceConfig {
  readonly kubeConfig?: KubeConfig;
  readonly kubeconfigPath?: string;
  /** Quiet period after a change before the objects are evaluated. Default 1 s. */
  readonly debounceMs?: number;
  /** Relist period. Default 10 min. */
  readonly resyncMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface Collection {
  readonly kind: 'NodePool' | 'EC2NodeClass' | 'NodeOverlay';
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly apiVersion: string;
  readonly objects: Map<string, KubernetesObject>;
  /** A kind whose CRD may be absent: then it holds no objects until a resync finds it. */
  readonly optional?: boolean;
  /** The optional kind's CRD was not found at the last listing. */
  missing?: boolean;
  synced: boolean;
  informer?: ListWatch<KubernetesObject>;
}


type Spec = { metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };

/** What of an object is intent: name, labels, annotations (minus tool noise) and spec. */
function intentView(kind: string, apiVersion: string, o: KubernetesObject): Record<string, unknown> {
  const plain = toPlain<Spec>(o);
  const annotations = Object.fromEntries(Object.entries(plain.metadata.annotations ?? {}).filter(([k]) => !IGNORED_ANNOTATIONS.includes(k)));
  return {
    apiVersion,
    kind,
    metadata: {
      name: plain.metadata.name,
      ...(plain.metadata.labels ? { labels: plain.metadata.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    ...(plain.spec !== undefined ? { spec: plain.spec } : {}),
  };
}

export class ClusterIntentSource implements IntentSource {
  private readonly clock: Clock;
  private readonly kc: KubeConfig;
  private readonly watch: Watch;
  private readonly custom: CustomObjectsApi;
  private readonly collections: Collection[];
  private readonly listeners = new Set<(event: IntentEvent) => void>();
  private accepted: Intent | undefined;
  private rejection: IntentRejection | undefined;
  private evaluatedIdentity: string | undefined;
  private debounce: TimerHandle | undefined;
  private resync: TimerHandle | undefined;
  private stopped = true;
  private syncWaiters: (() => void)[] = [];

  constructor(private readonly config: ClusterIntentSourceConfig = {}) {
    this.clock = config.clock ?? new SystemClock();
    this.kc = loadKubeConfig(config);
    this.watch = new Watch(this.kc);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.collections = [
      { kind: 'NodePool', group: KARPENTER_GROUP, version: 'v1', plural: 'nodepools', apiVersion: KARPENTER_API_VERSION, objects: new Map(), synced: false },
      { kind: 'EC2NodeClass', group: KARPENTER_AWS_GROUP, version: 'v1', plural: 'ec2nodeclasses', apiVersion: KARPENTER_AWS_API_VERSION, objects: new Map(), synced: false },
      {
        kind: 'NodeOverlay',
        group: KARPENTER_GROUP,
        version: NODE_OVERLAY_API_VERSION.split('/')[1]!,
        plural: 'nodeoverlays',
        apiVersion: NODE_OVERLAY_API_VERSION,
        objects: new Map(),
        optional: true,
        synced: false,
      },
    ];
  }

  current(): Intent | undefined {
    return this.accepted;
  }

  lastRejection(): IntentRejection | undefined {
    return this.rejection;
  }

  subscribe(listener: (event: IntentEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the informers; resolves once every kind is listed and the first intent evaluated. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    for (const c of this.collections) this.run(c);
    await new Promise<void>((resolve) => {
      if (this.collections.every((c) => c.synced)) resolve();
      else this.syncWaiters.push(resolve);
    });
    this.evaluate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debounce?.cancel();
    this.resync?.cancel();
    await Promise.all(this.collections.map((c) => c.informer?.stop()));
  }

  async refresh(): Promise<void> {
    this.debounce?.cancel();
    this.evaluate();
  }

  private run(c: Collection): void {
    if (this.stopped) return;
    void c.informer?.stop();
    const listFn = async () => {
      type List = { metadata?: { resourceVersion?: string }; items?: KubernetesObject[] };
      let list: List;
      try {
        list = (await this.custom.listClusterCustomObject({ group: c.group, version: c.version, plural: c.plural })) as List;
        if (c.missing) this.config.logger?.info('CRD found; its objects are now intent', { kind: c.kind });
        c.missing = false;
      } catch (err) {
        if (!c.optional || statusCode(err) !== 404) throw err;
        if (!c.missing) this.config.logger?.info('CRD not installed; the intent has none of this kind (listed again at each resync)', { kind: c.kind });
        c.missing = true;
        list = { items: [] };
      }
      c.objects.clear();
      for (const o of list.items ?? []) c.objects.set(o.metadata?.name ?? '', o);
      if (!c.synced) {
        c.synced = true;
        if (this.collections.every((x) => x.synced)) for (const w of this.syncWaiters.splice(0)) w();
      } else {
        this.changed();
      }
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: list.metadata?.resourceVersion ?? '' }, items: list.items ?? [] };
    };
    const informer = new ListWatch<KubernetesObject>(`/apis/${c.group}/${c.version}/${c.plural}`, this.watch, listFn, false);
    const set = (o: KubernetesObject) => {
      if (c.informer !== informer) return;
      c.objects.set(o.metadata?.name ?? '', o);
      this.changed();
    };
    informer.on('add', set);
    informer.on('update', set);
    informer.on('delete', (o) => {
      if (c.informer !== informer) return;
      c.objects.delete(o.metadata?.name ?? '');
      this.changed();
    });
    informer.on('error', (err: unknown) => {
      if (c.informer !== informer || this.stopped) return;
      // A kind whose CRD is absent: its watch fails too; the resync lists it again.
      if (c.missing) return;
      this.config.logger?.warn('informer failed; restarting', { kind: c.kind, error: (err as Error)?.message ?? String(err) });
      this.clock.setTimer(2_000, () => this.run(c));
    });
    c.informer = informer;
    void informer.start();
    this.resync?.cancel();
    this.resync = this.clock.setTimer(this.config.resyncMs ?? 10 * 60_000, () => this.collections.forEach((x) => this.run(x)));
  }

  private changed(): void {
    if (this.stopped || !this.collections.every((c) => c.synced)) return;
    this.debounce?.cancel();
    this.debounce = this.clock.setTimer(this.config.debounceMs ?? 1_000, () => this.evaluate());
  }

  private evaluate(): void {
    const files: ManifestFile[] = [];
    const views: Record<string, unknown>[] = [];
    for (const c of this.collections) {
      for (const [name, o] of [...c.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
        // An object being deleted (a GitOps prune, `kubectl delete`) is no longer declared: it
        // leaves the intent now, while its finalizers run (a NodePool's nodes are drained by the
        // removal method). Validating it could reject every other object over a class pruned with it.
        if (o.metadata?.deletionTimestamp) continue;
        const view = intentView(c.kind, c.apiVersion, o);
        views.push(view);
        files.push({ path: `${c.kind}/${name}`, content: JSON.stringify(view) });
      }
    }
    const identity = fnv1a64(canonicalJson(views));
    if (identity === this.evaluatedIdentity) return;
    this.evaluatedIdentity = identity;
    const commits = new Set(views.map((v) => (v.metadata as { annotations?: Record<string, string> }).annotations?.[ANNOTATION_POLICY_COMMIT]));
    const stamped = commits.size === 1 ? [...commits][0] : undefined;
    const commit = stamped ?? `cluster-${BigInt(identity).toString(16).padStart(16, '0')}`;

    const validation = validateParsedIntent(parseIntentManifestFiles(files));
    if (!validation.ok) return this.reject(commit, validation.problems);
    const intent: Intent = {
      commit,
      nodePools: validation.nodePools as NodePool[],
      nodeClasses: validation.nodeClasses as EC2NodeClass[],
      ...(validation.nodeOverlays.length > 0 ? { nodeOverlays: validation.nodeOverlays as NodeOverlay[] } : {}),
      acceptedAt: this.clock.now(),
    };
    this.accepted = intent;
    this.rejection = undefined;
    this.config.logger?.info('cluster intent accepted', {
      commit,
      nodePools: intent.nodePools.map((p) => p.metadata.name),
      nodeClasses: intent.nodeClasses.map((c) => c.metadata.name),
      nodeOverlays: (intent.nodeOverlays ?? []).map((o) => o.metadata.name),
    });
    this.emit({ type: 'accepted', intent });
  }

  private reject(commit: string, problems: IntentProblem[]): void {
    const rejection: IntentRejection = { commit, problems, rejectedAt: this.clock.now() };
    this.rejection = rejection;
    this.config.logger?.warn('cluster intent rejected; the last good intent stays in force', {
      commit,
      commitInForce: this.accepted?.commit,
      problems: problems.map((p) => `${p.file}: ${p.field}: ${p.message}`),
    });
    this.emit({ type: 'rejected', rejection });
  }

  private emit(event: IntentEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.config.logger?.error('intent listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
