// Shared fixtures for the reconciler's tests: Karpenter manifests, a simulated world with
// a small slice of the shipped catalog, and the production reconciler wired to it.
import type { EC2NodeClass, NodeClaim, NodePool } from '../../../core/api/karpenter.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE } from '../../../core/contract/index.ts';
import { nodeClaimFor } from '../../../reconciler/controllers/shared/nodeclaim.ts';
import { indexIntent } from '../../../reconciler/views/drift.ts';
import type { Pod } from '../../../core/api/k8s.ts';
import { loadShippedCatalog } from '../../../data/catalog.ts';
import type { InMemoryEc2 } from '../../../reconciler/adapters/in-memory/ec2.ts';
import { InMemoryWorld, type InMemoryWorldOptions } from '../../../reconciler/adapters/in-memory/world.ts';
import type { DecisionRecord } from '../../../reconciler/observability/decisions.ts';
import type { LogRecord } from '../../../reconciler/observability/log.ts';
import type { CloudProvider } from '../../../reconciler/ports/cloud.ts';
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { createReconciler, type Reconciler } from '../../../reconciler/reconciler.ts';

export const START = Date.parse('2026-03-03T00:00:00Z'); // a Tuesday
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

const FAMILIES = new Set(['m6i', 'm7i', 'c7i', 'r7i', 'c6i', 'r6i']);

export function nodeClass(name = 'default', amiVersion = 'v20260101'): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      amiSelectorTerms: [{ alias: `al2023@${amiVersion}` }],
      role: 'KarpenterNodeRole-test',
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    } as EC2NodeClass['spec'],
  };
}

export function nodePool(
  name: string,
  over: {
    requirements?: NodePool['spec']['template']['spec']['requirements'];
    budgets?: NonNullable<NodePool['spec']['disruption']>['budgets'];
    consolidateAfter?: string;
    consolidationPolicy?: 'WhenEmpty' | 'WhenEmptyOrUnderutilized' | 'Balanced';
    expireAfter?: string;
    terminationGracePeriod?: string;
    limits?: Record<string, string | number>;
  } = {},
): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          requirements: over.requirements ?? [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
            { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i', 'm7i', 'c7i'] },
          ],
          expireAfter: over.expireAfter ?? '720h',
          ...(over.terminationGracePeriod ? { terminationGracePeriod: over.terminationGracePeriod } : {}),
        },
      },
      disruption: {
        consolidationPolicy: over.consolidationPolicy ?? 'WhenEmptyOrUnderutilized',
        consolidateAfter: over.consolidateAfter ?? '30s',
        budgets: over.budgets ?? [{ nodes: '100%' }],
      },
      ...(over.limits ? { limits: over.limits } : {}),
    },
  };
}

export function newWorld(options: Partial<InMemoryWorldOptions> = {}): InMemoryWorld {
  return new InMemoryWorld({
    startMs: START,
    seed: 7,
    catalog: loadShippedCatalog(),
    clusterName: 'test',
    instanceTypeFilter: (t) => FAMILIES.has(t.name.split('.')[0]!),
    kubelet: { bootSeconds: 40, readySeconds: 10 },
    ...options,
  });
}

export interface Harness {
  readonly world: InMemoryWorld;
  readonly reconciler: Reconciler;
  readonly decisions: DecisionRecord[];
  readonly errors: LogRecord[];
}

export async function startReconciler(world: InMemoryWorld, options: Partial<ReconcilerOptions> = {}, cloud?: CloudProvider): Promise<Harness> {
  const decisions: DecisionRecord[] = [];
  const errors: LogRecord[] = [];
  const reconciler = createReconciler({
    clock: world.clock,
    cluster: world.api,
    cloud: cloud ?? world.ec2,
    intent: world.intent,
    logSink: (r) => {
      if (r.level === 'error') errors.push(r);
    },
    options: { clusterName: 'test', ...options },
  });
  reconciler.context.decisions.subscribe((d) => decisions.push(d));
  await reconciler.start();
  return { world, reconciler, decisions, errors };
}

export function podsOf(world: InMemoryWorld, app?: string): Pod[] {
  return world.api.cache.list('Pod').filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') && (app === undefined || p.metadata.labels?.app === app));
}

export function deployment(world: InMemoryWorld, name: string, replicas: number, requests: Record<string, string>, extra: { annotations?: Record<string, string> } = {}): void {
  world.workloads.applyDeployment({
    name,
    namespace: 'default',
    replicas,
    template: { metadata: { labels: { app: name }, annotations: extra.annotations ?? {} }, spec: { containers: [{ name: 'main', resources: { requests } }] } },
  });
}

/** The in-memory EC2 as a CloudProvider, with some calls replaced (to fail, count or delay them). */
export function cloudOver(ec2: InMemoryEc2, overrides: Partial<CloudProvider>): CloudProvider {
  return {
    getInstanceTypes: ec2.getInstanceTypes.bind(ec2),
    create: ec2.create.bind(ec2),
    delete: ec2.delete.bind(ec2),
    get: ec2.get.bind(ec2),
    list: ec2.list.bind(ec2),
    listLaunchTemplates: ec2.listLaunchTemplates.bind(ec2),
    deleteLaunchTemplate: ec2.deleteLaunchTemplate.bind(ec2),
    resolveNodeClass: ec2.resolveNodeClass.bind(ec2),
    listInstanceProfiles: ec2.listInstanceProfiles.bind(ec2),
    deleteInstanceProfile: ec2.deleteInstanceProfile.bind(ec2),
    ...overrides,
  };
}

/** A NodeClaim of the first pool in force for one on-demand m6i.large, as provisioning would create it. */
export function onDemandClaim(world: InMemoryWorld, name: string): NodeClaim {
  const intent = world.intent.current()!;
  const c = nodeClaimFor({
    newNode: {
      name,
      nodePool: 'general',
      requirements: [
        { key: LABEL_INSTANCE_TYPE, operator: 'In', values: ['m6i.large'] },
        { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
      ],
      labels: {},
      instanceTypeOptions: [],
      pods: [],
      requests: {},
      price: 0,
    },
    pool: intent.nodePools[0]!,
    intent: indexIntent(intent),
  });
  return { ...c, metadata: { ...c.metadata, name } };
}
