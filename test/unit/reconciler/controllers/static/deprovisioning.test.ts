// Which surplus nodes of a static pool go first, and how many the budgets let go at once.
import type { NodePool } from '../../../../../core/api/karpenter.ts';
import type { Pod } from '../../../../../core/api/k8s.ts';
import { BudgetTracker } from '../../../../../reconciler/controllers/disruption/budgets.ts';
import { scaleDown, scaleDownAllowance, scaleDownOrder } from '../../../../../reconciler/controllers/static/deprovisioning.ts';
import type { ClusterState, StateNode } from '../../../../../reconciler/views/cluster-state.ts';
import type { StaticPoolCount } from '../../../../../reconciler/views/static-pools.ts';

const ready = { status: { conditions: [{ type: 'Ready', status: 'True' }] } };
const pod = (name: string, annotations: Record<string, string> = {}): Pod => ({ metadata: { name, namespace: 'default', annotations }, spec: { containers: [] }, status: { phase: 'Running' } }) as unknown as Pod;

function node(name: string, over: { launched?: boolean; initialized?: boolean; pods?: Pod[]; doNotDisrupt?: boolean } = {}): StateNode {
  return {
    name,
    nodePool: 'fixed',
    launched: over.launched ?? true,
    initialized: over.initialized ?? true,
    deleting: false,
    disruption: undefined,
    createdAtMs: 0,
    pods: over.pods ?? [],
    claim: { metadata: { name, annotations: over.doNotDisrupt ? { 'karpenter.sh/do-not-disrupt': 'true' } : {} }, spec: { expireAfter: '720h' }, status: { conditions: [] } },
    node: { ...ready, metadata: { name: `node-${name}` } },
  } as unknown as StateNode;
}

test('order: not launched, launching, empty, then by disruption cost, protected pods last; a do-not-disrupt node never', () => {
  const nodes = [
    node('busy2', { pods: [pod('a'), pod('b')] }),
    node('protected', { pods: [pod('p', { 'karpenter.sh/do-not-disrupt': 'true' })] }),
    node('busy1', { pods: [pod('c')] }),
    node('empty'),
    node('booting', { initialized: false }),
    node('unlaunched', { launched: false, initialized: false }),
    node('pinned', { doNotDisrupt: true }),
  ];
  expect(scaleDownOrder(nodes, 0).map((n) => n.name)).toEqual(['unlaunched', 'booting', 'empty', 'busy1', 'busy2', 'protected']);
});

const pools = (budget: string, reasons?: string[]) =>
  new Map([['fixed', { metadata: { name: 'fixed' }, spec: { replicas: 1, disruption: { budgets: [{ nodes: '100%' }, { nodes: budget, ...(reasons ? { reasons } : {}) }] } } } as unknown as NodePool]]);
const state = (nodes: StateNode[]) => ({ nodes }) as unknown as ClusterState;

test('the most restrictive active budget holds a scale-down, whatever reasons it names', () => {
  const nodes = [node('a'), node('b'), node('c')];
  expect(scaleDownAllowance(new BudgetTracker(state(nodes), pools('1', ['Underutilized']), 0), 'fixed').allowed).toBe(1);
  expect(scaleDownAllowance(new BudgetTracker(state(nodes), pools('2'), 0), 'fixed').allowed).toBe(2);
});

test('deletes the surplus within the budget; claims not initialized take no budget; says what waits', async () => {
  const nodes = [node('a', { pods: [pod('x')] }), node('b'), node('c'), node('d', { initialized: false })];
  const deleted: string[] = [];
  const decisions: unknown[] = [];
  const deps = {
    cluster: { deleteNodeClaim: async (n: string) => void deleted.push(n), recordEvent: () => undefined },
    decisions: { record: (d: unknown) => void decisions.push(d) },
  } as unknown as Parameters<typeof scaleDown>[0];
  const count = { desired: 1, staying: nodes } as unknown as StaticPoolCount;
  const out = await scaleDown(deps, 'fixed', count, new BudgetTracker(state(nodes), pools('1'), 0), 0);
  // Surplus 3: the booting claim (free), then one initialized node (the budget of 1): an empty one.
  expect(deleted).toEqual(['d', 'b']);
  expect(out.held).toEqual({ reason: 'budget', message: expect.stringMatching(/^NodePool fixed: 1 node\(s\) above replicas 1 wait for the disruption budget: /) });
  expect(decisions).toEqual([expect.objectContaining({ controller: 'static', action: 'delete', reason: 'static-scale-down', nodeClaims: ['d', 'b'] })]);
});
