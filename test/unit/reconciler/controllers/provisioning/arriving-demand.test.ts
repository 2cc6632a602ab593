import type { Pod } from '../../../../../core/api/k8s.ts';
import type { NewNode } from '../../../../../core/scheduling/types.ts';
import { ArrivingDemand, isArriving, STEP_GAP_MS, RISING_WINDOW_MS, withoutArriving } from '../../../../../reconciler/controllers/provisioning/arriving-demand.ts';

const MINUTE = 60_000;

function pod(name: string, owner: { kind: string; name: string } | undefined): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `o-${owner.name}`, controller: true }] } : {}) },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
    status: { phase: 'Pending' },
  };
}
const web = (i: number) => pod(`web-${i}`, { kind: 'ReplicaSet', name: 'web-rs' });

describe('arriving demand', () => {
  test("a ReplicaSet's third step within the window is solved with one more step; its first two steps, a Job and a bare pod are not", () => {
    const d = new ArrivingDemand();
    const t0 = 1_000_000;
    const first = [web(1), web(2), web(3), pod('job-1', { kind: 'Job', name: 'etl' }), pod('bare', undefined)];
    expect(d.expand(first, t0)).toHaveLength(5);
    // A re-solve of the same step (closer than STEP_GAP_MS) adds nothing.
    expect(d.expand([web(3)], t0 + STEP_GAP_MS - 1)).toHaveLength(1);
    // One earlier step is no evidence of a ramp: a burst that jumps twice gets nothing for a third jump.
    const second = [web(4), web(5), web(6), pod('job-2', { kind: 'Job', name: 'etl' })];
    expect(d.expand(second, t0 + 5 * MINUTE).filter(isArriving)).toHaveLength(0);
    const third = [web(7), web(8), web(9), pod('job-3', { kind: 'Job', name: 'etl' })];
    const expanded = d.expand(third, t0 + 10 * MINUTE);
    expect(expanded.filter(isArriving)).toHaveLength(3);
    expect(expanded.filter((p) => !isArriving(p))).toEqual(third);
    expect(expanded.filter(isArriving).every((p) => p.spec.containers[0]!.resources?.requests?.cpu === '500m' && p.metadata.name!.startsWith('web-7-arriving-'))).toBe(true);
    // A step after a quiet window is a first step again.
    expect(d.expand([web(10)], t0 + 10 * MINUTE + RISING_WINDOW_MS + 1).filter(isArriving)).toHaveLength(0);
  });

  test('the room made is no larger than the smallest step the ReplicaSet showed', () => {
    const d = new ArrivingDemand();
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => web(from + i));
    d.expand(many(0, 4), 0);
    d.expand(many(10, 2), 5 * MINUTE);
    expect(d.expand(many(20, 8), 10 * MINUTE).filter(isArriving)).toHaveLength(2);
  });

  test('arriving pods are dropped from the new nodes, and a node planned only for them is not launched', () => {
    const d = new ArrivingDemand();
    d.expand([web(0)], 0);
    d.expand([web(1)], 5 * MINUTE);
    const [real, arriving] = [web(2), d.expand([web(2)], 10 * MINUTE).find(isArriving)!];
    const node = (name: string, pods: Pod[]): NewNode => ({ name, nodePool: 'general', requirements: [], labels: {}, instanceTypeOptions: [], pods, requests: {}, price: 0.1 });
    const out = withoutArriving([node('a', [real, arriving]), node('b', [arriving]), node('c', [real])]);
    expect(out.map((n) => [n.name, n.pods.map((p) => p.metadata.name)])).toEqual([
      ['a', ['web-2']],
      ['c', ['web-2']],
    ]);
  });
});
