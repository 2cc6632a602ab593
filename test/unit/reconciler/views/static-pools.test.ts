// How a static pool's claims are counted: limits.nodes counts every claim, replicas the ones
// not being deleted, scale-down the staying ones, where a replace-first in progress (the
// replacement created, its candidate not yet marked) counts once.
import type { NodePool } from '../../../../core/api/karpenter.ts';
import type { ClusterState, StateNode } from '../../../../reconciler/views/cluster-state.ts';
import { isStaticPool, nodeLimit, staticPoolCount } from '../../../../reconciler/views/static-pools.ts';

function node(name: string, over: { initialized?: boolean; deleting?: boolean; marked?: boolean; replaces?: string; pool?: string } = {}): StateNode {
  return {
    name,
    nodePool: over.pool ?? 'fixed',
    launched: true,
    initialized: over.initialized ?? true,
    deleting: over.deleting ?? false,
    disruption: over.marked ? { method: 'drift', reason: 'Drifted', replacements: [], decidedAt: '', group: [name] } : undefined,
    claim: { metadata: { name, annotations: over.replaces ? { 'joinery.dev/replaces': over.replaces } : {} } },
  } as unknown as StateNode;
}
const state = (nodes: StateNode[]) => ({ nodes, byClaim: new Map(nodes.map((n) => [n.name, n])) }) as unknown as ClusterState;
const pool = (replicas: number | undefined, nodes?: number | string): NodePool => ({ metadata: { name: 'fixed' }, spec: { ...(replicas !== undefined ? { replicas } : {}), ...(nodes !== undefined ? { limits: { nodes } } : {}), template: { spec: {} } } }) as unknown as NodePool;

test('static is replicas set (0 included); limits.nodes read as a count, Infinity when unset', () => {
  expect(isStaticPool(pool(0))).toBe(true);
  expect(isStaticPool(pool(undefined))).toBe(false);
  expect(nodeLimit(pool(2, '5'))).toBe(5);
  expect(nodeLimit(pool(2))).toBe(Infinity);
});

test('claims, present, staying, ready, launching and leaving', () => {
  const c = staticPoolCount(
    state([node('a'), node('b', { initialized: false }), node('c', { deleting: true }), node('d', { marked: true }), node('e', { replaces: 'd' }), node('x', { pool: 'other' })]),
    pool(3, 5),
  );
  expect(c).toMatchObject({ desired: 3, limit: 5, claims: 5, present: 4, ready: 2, launching: 1, leaving: 2 });
  // d is marked (leaving); e replaces d, which is marked already, so e stays.
  expect(c.staying.map((n) => n.name)).toEqual(['a', 'b', 'e']);
});

test('a replacement whose candidate is not marked yet counts once (the candidate), so scale-down does not take either', () => {
  const c = staticPoolCount(state([node('a'), node('b'), node('r', { initialized: false, replaces: 'b' })]), pool(2));
  expect(c.staying.map((n) => n.name)).toEqual(['a', 'b']);
  expect(c.present).toBe(3);
});
