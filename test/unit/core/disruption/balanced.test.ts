import type { Pod } from '../../../../core/api/k8s.ts';
import { BALANCED_K, launchPaybackSavings, nodeDisruptionCost, poolTotals, scoreBalancedMove, scoreMove } from '../../../../core/disruption/balanced.ts';

function pod(o: { priority?: number; deletionCost?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...(o.deletionCost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.deletionCost } } : {}) },
    spec: { containers: [], ...(o.priority !== undefined ? { priority: o.priority } : {}) },
  } as Pod;
}

describe('node disruption cost (Karpenter RescheduleDisruptionCost)', () => {
  test('1 for the node, plus 1 per default pod', () => {
    expect(nodeDisruptionCost([])).toBe(1);
    expect(nodeDisruptionCost([pod(), pod(), pod()])).toBe(4);
  });

  test('pod-deletion-cost and priority weigh a pod up or down; a pod never counts below 0 nor above 10', () => {
    expect(nodeDisruptionCost([pod({ deletionCost: String(2 ** 28) })])).toBe(1 + 3); // 1 + 2^28/2^27
    expect(nodeDisruptionCost([pod({ priority: 2 ** 26 })])).toBe(1 + 3); // 1 + 2^26/2^25
    expect(nodeDisruptionCost([pod({ priority: 2_000_000_000 })])).toBe(1 + 10); // system-critical: clamped
    expect(nodeDisruptionCost([pod({ deletionCost: String(-(2 ** 30)) })])).toBe(1); // negative: clamped to 0, never below the node's 1
  });
});

describe('scoreMove: savings fraction over disruption fraction, approved at 1/k', () => {
  test('k is 2: the savings fraction must be at least half the disruption fraction', () => {
    expect(BALANCED_K).toBe(2);
    const totals = { cost: 1, disruptionCost: 100 };
    expect(scoreMove('p', 0.1, 20, totals)).toMatchObject({ savingsFraction: 0.1, disruptionFraction: 0.2, score: 0.5, threshold: 0.5, approved: true });
    expect(scoreMove('p', 0.0999, 20, totals)).toMatchObject({ approved: false });
  });

  test('nothing saved is never approved; an unknown pool (no totals) is never approved', () => {
    expect(scoreMove('p', 0, 1, { cost: 1, disruptionCost: 10 })).toMatchObject({ score: 0, approved: false });
    expect(scoreMove('p', -0.1, 1, { cost: 1, disruptionCost: 10 })).toMatchObject({ score: 0, approved: false });
    expect(scoreMove('p', 1, 1, undefined)).toMatchObject({ approved: false });
  });
});

describe('pool totals and moves across pools', () => {
  test('totals sum every priced node of a pool; an unpriced node counts in neither', () => {
    const t = poolTotals([
      { nodePool: 'a', price: 0.5, pods: [pod(), pod()] },
      { nodePool: 'a', price: 0.25, pods: [] },
      { nodePool: 'a', price: 0, pods: [pod(), pod(), pod()] },
      { nodePool: 'b', price: 1, pods: [pod()] },
    ]);
    expect(t.get('a')).toEqual({ cost: 0.75, disruptionCost: 3 + 1 });
    expect(t.get('b')).toEqual({ cost: 1, disruptionCost: 2 });
  });

  test('each Balanced pool is scored on its share of the savings; one pool rejecting rejects the move; other policies are not scored', () => {
    const totals = new Map([
      ['a', { cost: 1, disruptionCost: 10 }],
      ['b', { cost: 1, disruptionCost: 10 }],
      ['c', { cost: 1, disruptionCost: 10 }],
    ]);
    // a's node costs 3x b's: a gets 3/4 of the $0.4/h saved (30% of a), b 1/4 (10% of b).
    const move = [
      { nodePool: 'a', price: 0.3, pods: [pod()] }, // disruption 2 of 10: a scores 0.3/0.2 = 1.5
      { nodePool: 'b', price: 0.1, pods: [pod(), pod(), pod()] }, // 4 of 10: b scores 0.1/0.4 = 0.25
      { nodePool: 'c', price: 0.1, pods: [pod(), pod(), pod(), pod(), pod(), pod()] },
    ];
    const onlyA = scoreBalancedMove(move.slice(0, 2), 0.4, totals, (p) => p === 'a');
    expect(onlyA.approved).toBe(true);
    expect(onlyA.scores.map((s) => [s.nodePool, +s.score.toFixed(3)])).toEqual([['a', 1.5]]);
    const both = scoreBalancedMove(move.slice(0, 2), 0.4, totals, (p) => p !== 'c');
    expect(both.approved).toBe(false);
    expect(both.scores.map((s) => [s.nodePool, +s.score.toFixed(3), s.approved])).toEqual([
      ['a', 1.5, true],
      ['b', 0.25, false],
    ]);
  });
});

test('a replacement pays for its launch when an hour of savings covers five minutes of its price', () => {
  expect(launchPaybackSavings(1.2)).toBeCloseTo(0.1, 10);
  expect(launchPaybackSavings(0)).toBe(0);
});
