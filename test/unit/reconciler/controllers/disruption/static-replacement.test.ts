// The static methods' decisions on one pass: a drifted static node is replaced by the pool's
// template, replacement first, when limits.nodes leaves room; at the limit it stays, saying
// so, while an expired one is deleted first; one node of a pool at a time.
import type { NodePool } from '../../../../../core/api/karpenter.ts';
import type { NewNode } from '../../../../../core/scheduling/types.ts';
import type { Candidate, Rejection } from '../../../../../reconciler/controllers/disruption/candidates.ts';
import type { MethodContext, StaticPoolPass } from '../../../../../reconciler/controllers/disruption/method.ts';
import { staticDrift, staticExpiration } from '../../../../../reconciler/controllers/disruption/static-replacement.ts';
import type { StaticPoolCount } from '../../../../../reconciler/views/static-pools.ts';

const fixed = { metadata: { name: 'fixed' }, spec: { replicas: 2, template: { spec: {} } } } as unknown as NodePool;
const template: NewNode = { name: 'fixed-replacement', nodePool: 'fixed', requirements: [], labels: {}, instanceTypeOptions: [], pods: [], requests: {}, price: 0.1 };

function candidate(name: string, o: { drift?: boolean; ageMs?: number } = {}): Candidate {
  return {
    name,
    pool: fixed,
    state: { nodePool: 'fixed' },
    reschedulable: [],
    pods: [],
    price: 0.1,
    createdAtMs: -(o.ageMs ?? 0),
    expireAfterMs: 3_600_000,
    drift: o.drift ? { reason: 'NodePoolDrifted', detail: 'template changed' } : undefined,
    lastPodEventMs: 0,
    blocked: undefined,
  } as unknown as Candidate;
}

function context(count: Partial<StaticPoolCount>, rejections: Rejection[], allowed = 10): MethodContext {
  const statics = new Map<string, StaticPoolPass>([['fixed', { count: { desired: 2, limit: 3, claims: 2, present: 2, staying: [{}, {}], ready: 2, launching: 0, leaving: 0, ...count } as StaticPoolCount, replacement: () => template }]]);
  return { now: 0, statics, budgets: { allowed: () => allowed, describe: () => 'budget' }, reject: (r: Rejection) => rejections.push(r) } as unknown as MethodContext;
}

test('a drifted static node: the pool template launched first, when limits.nodes leaves room', () => {
  const rejections: Rejection[] = [];
  const cmd = staticDrift.computeCommand([candidate('a', { drift: true }), candidate('b', { drift: true })], context({}, rejections))!;
  expect(cmd).toMatchObject({ method: 'drift', reason: 'Drifted', replacements: [template] });
  expect(cmd.candidates).toHaveLength(1);
  expect(cmd.explanation).toMatch(/^static NodePool fixed: drifted \(template changed\); a node of the pool's template launched first$/);
});

test('at limits.nodes a drifted node stays and says how to let drift through; an expired one is deleted first', () => {
  const rejections: Rejection[] = [];
  expect(staticDrift.computeCommand([candidate('a', { drift: true })], context({ limit: 2 }, rejections))).toBeUndefined();
  expect(rejections).toEqual([expect.objectContaining({ name: 'a', reason: 'nodepool-limit', message: expect.stringContaining('raise limits.nodes above replicas 2') })]);
  const cmd = staticExpiration.computeCommand([candidate('a', { ageMs: 2 * 3_600_000 })], context({ limit: 2 }, []))!;
  expect(cmd).toMatchObject({ method: 'expiration', reason: 'Expired', replacements: [] });
});

test('one at a time: nothing starts while a node of the pool is leaving or launching, or the pool scales down; a budget of 0 holds drift', () => {
  for (const [count, why] of [
    [{ leaving: 1 }, /replaces one node at a time: 1 leaving, 0 launching/],
    [{ launching: 1 }, /replaces one node at a time: 0 leaving, 1 launching/],
    [{ staying: [{}, {}, {}] }, /is scaling down to 2 first/],
  ] as const) {
    const rejections: Rejection[] = [];
    expect(staticDrift.computeCommand([candidate('a', { drift: true })], context(count as Partial<StaticPoolCount>, rejections))).toBeUndefined();
    expect(rejections[0]!.message).toMatch(why);
  }
  const rejections: Rejection[] = [];
  expect(staticDrift.computeCommand([candidate('a', { drift: true })], context({}, rejections, 0))).toBeUndefined();
  expect(rejections).toEqual([expect.objectContaining({ reason: 'budget' })]);
});

test('a node of a dynamic pool is not theirs', () => {
  const dynamic = { ...candidate('a', { drift: true, ageMs: 2 * 3_600_000 }), pool: { metadata: { name: 'fixed' }, spec: { template: { spec: {} } } } } as unknown as Candidate;
  expect(staticDrift.computeCommand([dynamic], context({}, []))).toBeUndefined();
  expect(staticExpiration.computeCommand([dynamic], context({}, []))).toBeUndefined();
});
