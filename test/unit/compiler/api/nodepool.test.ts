// The NodePool construct's checks of a static pool (spec.replicas): bad values fail the
// compile at the policy line, naming the field and the fix; a good static pool compiles
// into a manifest with replicas and limits.nodes and no finding.
import { Ami, EC2NodeClass, NodePool, type NodePoolProps } from '../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const FILE = 'test/unit/compiler/api/nodepool.test.ts';

function compileStatic(props: Partial<NodePoolProps>) {
  let poolLine = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      const nodeClass = new EC2NodeClass(p, 'default', {
        ami: Ami.alias('al2023', 'v20250715'),
        role: 'KarpenterNodeRole-test',
        subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
        securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      });
      poolLine = nextLine();
      new NodePool(p, 'fixed', { nodeClass, instances: { families: ['m5'] }, expireAfter: '720h', ...props } as NodePoolProps);
    },
  });
  return { result, poolLine, invalid: findings(result.diagnostics, 'invalid-value') };
}

describe('a static NodePool (replicas)', () => {
  test('replicas above limits.nodes fails the compile at the pool line, naming the field and both fixes', () => {
    const { result, poolLine, invalid } = compileStatic({ replicas: 5, limits: { nodes: 3 } });
    expect(result.ok).toBe(false);
    expect(invalid).toEqual([expect.objectContaining({ severity: 'error', file: FILE, line: poolLine, object: { kind: 'NodePool', name: 'fixed' } })]);
    expect(invalid[0]!.field).toMatch(/replicas$/);
    expect(invalid[0]!.message).toContain('5 is above limits.nodes 3');
    expect(invalid[0]!.fix).toBe('lower replicas to 3 or less, or raise limits.nodes to at least 5 (above replicas, so drifted nodes can be replaced before they go)');
  });

  test.each([[-1], [1.5]])('replicas %p is refused: a whole number, 0 or more', (replicas) => {
    const { result, invalid } = compileStatic({ replicas, limits: { nodes: 3 } });
    expect(result.ok).toBe(false);
    expect(invalid).toEqual([expect.objectContaining({ message: `must be a non-negative integer, got ${replicas}`, fix: 'use a whole number of nodes, 0 or more' })]);
  });

  test('a static pool supports only limits.nodes and no weight', () => {
    const { result, invalid } = compileStatic({ replicas: 2, limits: { nodes: 3, cpu: 100 }, weight: 10 });
    expect(result.ok).toBe(false);
    expect(invalid.map((f) => f.message)).toEqual(expect.arrayContaining(['weight is not supported on a static pool (replicas is set)', 'a static pool (replicas is set) supports only limits.nodes, not cpu']));
  });

  test('replicas within limits.nodes compiles with no error: replicas and limits.nodes in the manifest', () => {
    const { result } = compileStatic({ replicas: 2, limits: { nodes: 3 } });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.ok).toBe(true);
    const pool = result.model.nodePools.find((p) => p.name === 'fixed')!;
    expect(pool.manifest.spec).toMatchObject({ replicas: 2, limits: { nodes: 3 } });
  });
});
