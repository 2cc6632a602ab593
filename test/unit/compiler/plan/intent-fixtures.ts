// Compiled NodePools and EC2NodeClasses built in code for the plan tests of the semantic
// diff and the consequences (the git tests cover the same through real compiles).
import type { EC2NodeClass, NodePool } from '../../../../core/api/karpenter.ts';
import { buildInstanceTypes } from '../../../../core/catalog/instance-types.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import type { IntentModel } from '../../../../compiler/intent.ts';
export const catalog = buildInstanceTypes(loadShippedCatalog());

type PoolSpec = NodePool['spec'];

export function pool(name: string, edit: (spec: PoolSpec) => void = () => {}): NodePool {
  const spec: PoolSpec = {
    template: {
      metadata: { labels: { team: 'web' } },
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        requirements: [
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm'] },
          { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gte', values: ['2'] },
          { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lte', values: ['16'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] },
          { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['metal'] },
        ],
        expireAfter: '720h',
      },
    },
    limits: { cpu: 1000, memory: '4000Gi' },
    disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [{ nodes: '1' }, { nodes: '0', schedule: '0 9 * * mon-fri', duration: '8h' }] },
  };
  edit(spec);
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name }, spec };
}

export function nodeClass(edit: (spec: NonNullable<EC2NodeClass['spec']>) => void = () => {}): EC2NodeClass {
  const spec: NonNullable<EC2NodeClass['spec']> = {
    amiSelectorTerms: [{ alias: 'al2023@v20250505' }],
    role: 'KarpenterNodeRole',
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
    metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
  };
  edit(spec);
  return { apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'default' }, spec };
}

export function model(pools: NodePool[], classes: EC2NodeClass[] = [nodeClass()]): IntentModel {
  return {
    nodePools: pools.map((p) => ({ kind: 'NodePool', name: p.metadata.name!, manifest: p, source: { file: 'policies/x.ts', line: 3 }, policyFile: 'policies/x.ts' })),
    ec2NodeClasses: classes.map((c) => ({ kind: 'EC2NodeClass', name: c.metadata.name!, manifest: c, source: { file: 'policies/x.ts', line: 2 }, policyFile: 'policies/x.ts' })),
  };
}
