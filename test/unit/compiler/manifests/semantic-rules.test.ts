// The CEL rules of the Karpenter CRDs for static NodePools (spec.replicas), and joinery's own
// rule that replicas fit under limits.nodes, on a hand-written manifest (as `joinery import`
// and the reconciler's intent check read them).
import { semanticProblems } from '../../../../compiler/manifests/semantic-rules.ts';

const pool = (spec: Record<string, unknown>) => ({
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name: 'fixed' },
  spec: { template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] } }, ...spec },
});

describe('static NodePools', () => {
  test('replicas above limits.nodes is a problem at /spec/replicas; within it, none', () => {
    expect(semanticProblems('NodePool', pool({ replicas: 4, limits: { nodes: 3 } }))).toEqual([
      expect.objectContaining({ pointer: '/spec/replicas', message: 'replicas 4 is above limits.nodes 3: the pool could never reach it' }),
    ]);
    expect(semanticProblems('NodePool', pool({ replicas: 3, limits: { nodes: 3 } }))).toEqual([]);
    expect(semanticProblems('NodePool', pool({ replicas: 3 }))).toEqual([]);
  });

  test('only limits.nodes, and no weight (the CRD CEL rules)', () => {
    expect(semanticProblems('NodePool', pool({ replicas: 1, limits: { nodes: 3, cpu: 10 }, weight: 5 })).map((p) => p.pointer)).toEqual(['/spec/limits', '/spec/weight']);
  });
});
