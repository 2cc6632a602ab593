// How nodes count against a pool's budget: as Karpenter counts them, only initialized nodes
// make up the total, and deleting nodes consume the budget without raising it.
import type { NodePool } from '../../../../../core/api/karpenter.ts';
import { BudgetTracker } from '../../../../../reconciler/controllers/disruption/budgets.ts';
import type { ClusterState, StateNode } from '../../../../../reconciler/views/cluster-state.ts';

const ready = { status: { conditions: [{ type: 'Ready', status: 'True' }] }, metadata: { name: 'n' } };

function node(over: { initialized?: boolean; deleting?: boolean; marked?: boolean; terminating?: boolean; notReady?: boolean }): StateNode {
  const conditions = over.terminating ? [{ type: 'InstanceTerminating', status: 'True' }] : [];
  return {
    nodePool: 'p',
    launched: true,
    initialized: over.initialized ?? true,
    deleting: over.deleting ?? false,
    disruption: over.marked ? { method: 'drift', reason: 'Drifted', replacements: [], decidedAt: '', group: [] } : undefined,
    claim: { status: { conditions } },
    node: over.notReady ? { ...ready, status: { conditions: [{ type: 'Ready', status: 'False' }] } } : ready,
  } as unknown as StateNode;
}

const pool = (nodes: string) => new Map([['p', { metadata: { name: 'p' }, spec: { disruption: { budgets: [{ nodes }] } } } as unknown as NodePool]]);
const state = (nodes: StateNode[]) => ({ nodes }) as unknown as ClusterState;
const many = (n: number, over: Parameters<typeof node>[0] = {}) => Array.from({ length: n }, () => node(over));

test('replacements launched but not initialized do not raise the total', () => {
  // 80 nodes, 8 marked, 8 replacements booting: 10% of 80 is 8, all taken.
  const t = new BudgetTracker(state([...many(72), ...many(8, { marked: true }), ...many(8, { initialized: false })]), pool('10%'), 0);
  expect(t.allowed('p', 'Drifted')).toBe(0);
  expect(t.describe('p', 'Drifted')).toMatch(/^8 of 8 allowed/);
});

test('nodes being deleted count as disrupting but not in the total; terminating instances count for nothing', () => {
  // 72 + 8 initialized replacements = 80 in the total; 8 draining consume it.
  expect(new BudgetTracker(state([...many(80), ...many(8, { deleting: true, marked: true })]), pool('10%'), 0).allowed('p', 'Drifted')).toBe(0);
  // Once their instances are terminating, the budget is free again.
  expect(new BudgetTracker(state([...many(80), ...many(8, { deleting: true, terminating: true })]), pool('10%'), 0).allowed('p', 'Drifted')).toBe(8);
});

test('a NotReady node consumes the budget, as in Karpenter', () => {
  expect(new BudgetTracker(state([...many(9), node({ notReady: true })]), pool('2'), 0).allowed('p', 'Drifted')).toBe(1);
});
