// A simulated cluster for the explain tests: the simulator's API server and EC2 (with
// a slice of the shipped catalog), NodePools as a platform team writes them, nodes the
// reconciler launched earlier (restored with their NodeClaims and instances, as after a
// restart) and pods bound to them. `explain` reads it through a read-only context; the
// real reconciler can run on the same world to check that the explanation held.

import type { Pod } from '../../../../core/api/k8s.ts';
import type { DisruptionBudget, EC2NodeClass, NodePool } from '../../../../core/api/karpenter.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { InMemoryWorld } from '../../../../reconciler/adapters/in-memory/world.ts';
import { readOnlyContext } from '../../../../reconciler/explain/context.ts';
import { explainNode, type NodeExplanation } from '../../../../reconciler/explain/explain-node.ts';
import type { DecisionRecord } from '../../../../reconciler/observability/decisions.ts';
import { nullSink } from '../../../../reconciler/observability/log.ts';
import type { ReconcilerOptions } from '../../../../reconciler/runtime/context.ts';
import { createReconciler, type Reconciler } from '../../../../reconciler/reconciler.ts';
import { restoreFleet } from '../../../../reconciler/scenario/fleet.ts';

const START = Date.parse('2026-03-02T09:00:00Z');
const TYPES = new Set(['m5.large', 'm5.xlarge', 'm5.2xlarge', 'c5.large', 'c5.xlarge']);

const NODE_CLASS: EC2NodeClass = {
  apiVersion: 'karpenter.k8s.aws/v1',
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: {
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'sim' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'sim' } }],
    role: 'KarpenterNodeRole-sim',
  },
};

export interface PoolSpec {
  readonly name?: string;
  readonly types?: readonly string[];
  readonly consolidationPolicy?: 'WhenEmpty' | 'WhenEmptyOrUnderutilized' | 'Balanced';
  readonly consolidateAfter?: string;
  readonly budgets?: DisruptionBudget[];
  readonly expireAfter?: string;
  readonly terminationGracePeriod?: string;
}

export function pool(o: PoolSpec = {}): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: o.name ?? 'general' },
    spec: {
      disruption: {
        consolidationPolicy: o.consolidationPolicy ?? 'WhenEmptyOrUnderutilized',
        consolidateAfter: o.consolidateAfter ?? '30s',
        budgets: o.budgets ?? [{ nodes: '100%' }],
      },
      template: {
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          requirements: [
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...(o.types ?? ['m5.large', 'm5.xlarge'])] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
          ],
          expireAfter: o.expireAfter ?? '720h',
          ...(o.terminationGracePeriod ? { terminationGracePeriod: o.terminationGracePeriod } : {}),
        },
      },
    },
  };
}

export interface FleetSpec {
  readonly type: string;
  readonly count: number;
  readonly ageMs?: number;
  readonly nodePool?: string;
}

export class ExplainWorld {
  readonly world: InMemoryWorld;
  private reconciler: Reconciler | undefined;
  readonly decisions: DecisionRecord[] = [];
  private podSeq = 0;

  constructor(pools: readonly NodePool[], fleet: readonly FleetSpec[]) {
    const catalog = loadShippedCatalog();
    this.world = new InMemoryWorld({
      startMs: START,
      seed: 7,
      catalog: { ...catalog, instanceTypes: catalog.instanceTypes.filter((t) => TYPES.has(t.name)) },
      zones: ['us-east-1a'],
      kubelet: { bootSeconds: 5, readySeconds: 2, startupTaintSeconds: 1 },
    });
    const intent = this.world.intent.accept({ commit: 'c0ffee0000000000000000000000000000000001', nodePools: [...pools], nodeClasses: [NODE_CLASS] });
    restoreFleet(
      this.world,
      intent,
      fleet.map((f) => ({ nodePool: f.nodePool ?? pools[0]!.metadata.name!, instanceType: f.type, capacityType: 'on-demand' as const, zone: 'us-east-1a', count: f.count, ageMs: f.ageMs ?? 3_600_000 })),
      'explain test',
    );
  }

  /** Node names in creation order. */
  nodes(): string[] {
    return this.world.api.cache
      .list('Node')
      .slice()
      .sort((a, b) => (a.metadata.creationTimestamp! < b.metadata.creationTimestamp! ? -1 : a.metadata.name! < b.metadata.name! ? -1 : 1))
      .map((n) => n.metadata.name!);
  }

  /** A running pod bound to `node` (as the scheduler and kubelet would leave it). */
  runPod(node: string, o: { cpu: string; memory?: string; labels?: Record<string, string>; annotations?: Record<string, string>; nodeSelector?: Record<string, string> }): Pod {
    const name = `${o.labels?.app ?? 'pod'}-${++this.podSeq}`;
    return this.world.api.create('Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { ...(o.labels ?? {}) }, annotations: { ...(o.annotations ?? {}) }, creationTimestamp: new Date(this.world.clock.now()).toISOString() },
      spec: {
        nodeName: node,
        containers: [{ name: 'app', resources: { requests: { cpu: o.cpu, memory: o.memory ?? '256Mi' } } }],
        ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
        terminationGracePeriodSeconds: 30,
      },
      status: { phase: 'Running', startTime: new Date(this.world.clock.now()).toISOString(), conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] },
    });
  }

  pdb(name: string, app: string, spec: { maxUnavailable?: number; minAvailable?: number }): void {
    this.world.workloads.applyPodDisruptionBudget({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: 'default' },
      spec: { selector: { matchLabels: { app } }, ...spec },
    });
  }

  explain(name: string, options: Partial<ReconcilerOptions> = {}): Promise<NodeExplanation> {
    const w = this.world;
    return explainNode(readOnlyContext({ clock: w.clock, cluster: w.api, cloud: w.ec2, intent: w.intent, options: { stabilizationMs: 0, ...options } }), name);
  }

  /** Lets the simulated cluster run (and the reconciler, if started) for `ms`. */
  advance(ms: number): Promise<void> {
    return this.world.clock.advance(ms);
  }

  /** Starts the production reconciler on this world. */
  async startReconciler(options: Partial<ReconcilerOptions> = {}): Promise<void> {
    const w = this.world;
    this.reconciler = createReconciler({
      clock: w.clock,
      cluster: w.api,
      cloud: w.ec2,
      intent: w.intent,
      logSink: nullSink,
      options: { clusterName: w.clusterName, stabilizationMs: 0, disruptionPollMs: 1_000, ...options },
    });
    this.reconciler.context.decisions.subscribe((d) => this.decisions.push(d));
    await this.reconciler.start();
  }

  async stop(): Promise<void> {
    await this.reconciler?.stop();
  }

  claimOf(node: string): string | undefined {
    return this.world.api.cache.list('NodeClaim').find((c) => c.status?.nodeName === node)?.metadata.name;
  }
}
