// NodePools and EC2NodeClasses as a platform team's compiled manifests would hold them
// (Karpenter v1), for the reconciler tests. Each test names its pools with its own run id,
// so nothing it launches can be mistaken for another test's.

import type { EC2NodeClass, NodePool, NodeClaimTaint, NodeSelectorRequirementWithMinValues } from '../../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../../core/api/node-overlay.ts';

export function nodeClass(name: string, discovery: string, overrides: Partial<NonNullable<EC2NodeClass['spec']>> = {}): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': discovery } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': discovery } }],
      role: 'KarpenterNodeRole-test',
      tags: { 'joinery.dev/test': 'reconciler' },
      ...overrides,
    },
  };
}

export interface PoolOptions {
  readonly nodeClass: string;
  readonly requirements?: NodeSelectorRequirementWithMinValues[];
  readonly weight?: number;
  readonly taints?: NodeClaimTaint[];
  readonly labels?: Record<string, string>;
  readonly limits?: Record<string, string | number>;
}

export function nodePool(name: string, o: PoolOptions): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      ...(o.weight !== undefined ? { weight: o.weight } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
      // Tests watch launches; consolidation must not take nodes away underneath them.
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '10%' }] },
      template: {
        ...(o.labels ? { metadata: { labels: o.labels } } : {}),
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: o.nodeClass },
          requirements: o.requirements ?? [
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
          ],
          ...(o.taints ? { taints: o.taints } : {}),
          expireAfter: '720h',
        },
      },
    },
  };
}

/** generated/ as `joinery compile` lays it out: one object per file. */
export function generatedFiles(pools: readonly NodePool[], classes: readonly EC2NodeClass[], overlays: readonly NodeOverlay[] = []): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const c of classes) files[`generated/ec2nodeclasses/${c.metadata.name}.yaml`] = c;
  for (const p of pools) files[`generated/nodepools/${p.metadata.name}.yaml`] = p;
  for (const o of overlays) files[`generated/nodeoverlays/${o.metadata.name}.yaml`] = o;
  return files;
}

/** amd64, on-demand, and one selection (a family or categories): launches a test can predict. */
export function onDemandAmd64(select: NodeSelectorRequirementWithMinValues): NodeSelectorRequirementWithMinValues[] {
  return [
    { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    select,
  ];
}

/** The generated/ files of one NodePool on its own EC2NodeClass `<pool>-class`, discovering the environment's network. */
export function onePoolFiles(pool: string, discovery: string, requirements: NodeSelectorRequirementWithMinValues[]): Record<string, unknown> {
  const className = `${pool}-class`;
  return generatedFiles([nodePool(pool, { nodeClass: className, requirements })], [nodeClass(className, discovery)]);
}
