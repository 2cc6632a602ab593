// withConsolidationPolicy: the same day under another consolidation policy (bench:days,
// `joinery simulate --consolidation-policy`), without editing the policies.
import type { NodePool } from '../../../../core/api/karpenter.ts';
import { jest } from '@jest/globals';
import { compilePolicyDir, PolicyCompileError, withConsolidationPolicy, type CompiledIntent } from '../../../../reconciler/scenario/policies.ts';
import { CLUSTERS, GENERAL } from '../../compiler/clusters/fixtures.ts';
import { fixtureProject } from '../../compiler/helpers.ts';

function pool(name: string, disruption: NodePool['spec']['disruption']): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: { ...(disruption ? { disruption } : {}), template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] } } },
  } as NodePool;
}

const intent: CompiledIntent = {
  commit: 'c0',
  message: 'compile policies',
  nodePools: [
    pool('general', { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '1m', budgets: [{ nodes: '10%' }] }),
    pool('defaulted', { consolidateAfter: '30s' }),
    pool('batch', { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m' }),
    pool('gpu', { consolidateAfter: 'Never' }),
  ],
  nodeClasses: [],
};

const policies = (i: CompiledIntent) => Object.fromEntries(i.nodePools.map((p) => [p.metadata.name, p.spec.disruption?.consolidationPolicy]));

describe('withConsolidationPolicy', () => {
  test('switches the pools that consolidate under-used nodes, keeps WhenEmpty and Never pools, and keeps their other settings', () => {
    const b = withConsolidationPolicy(intent, 'Balanced');
    expect(policies(b)).toEqual({ general: 'Balanced', defaulted: 'Balanced', batch: 'WhenEmpty', gpu: undefined });
    expect(b.nodePools[0]!.spec.disruption).toEqual({ consolidationPolicy: 'Balanced', consolidateAfter: '1m', budgets: [{ nodes: '10%' }] });
    // A new commit (the simulator records it), and the input is not changed.
    expect(b.commit).not.toBe(intent.commit);
    expect(b.message).toBe('compile policies (consolidationPolicy: Balanced)');
    expect(policies(intent)).toEqual({ general: 'WhenEmptyOrUnderutilized', defaulted: undefined, batch: 'WhenEmpty', gpu: undefined });
  });

  test('switching back to WhenEmptyOrUnderutilized restores the policy', () => {
    const back = withConsolidationPolicy(withConsolidationPolicy(intent, 'Balanced'), 'WhenEmptyOrUnderutilized');
    expect(policies(back)).toEqual({ general: 'WhenEmptyOrUnderutilized', defaulted: 'WhenEmptyOrUnderutilized', batch: 'WhenEmpty', gpu: undefined });
  });
});

describe('compilePolicyDir', () => {
  jest.setTimeout(120_000);
  test('a repository of clusters is refused with the reason, not simulated as an empty intent', async () => {
    const project = fixtureProject({ 'policies/clusters.ts': CLUSTERS, 'policies/general.ts': GENERAL });
    try {
      const refused = await compilePolicyDir(project.dir, 'policies', { typecheck: false }).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(PolicyCompileError);
      expect((refused as Error).message).toBe('the policies in policies declare clusters (dev, prod-use1): simulate runs a single-cluster repository only');
    } finally {
      project.remove();
    }
  });
});
