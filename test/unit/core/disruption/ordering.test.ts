import { orderByDisruptionCost, podEvictionCost } from '../../../../core/disruption/ordering.ts';
import type { Pod } from '../../../../core/api/k8s.ts';

const pod = (name: string, extra: Partial<Pod['spec']> = {}, annotations: Record<string, string> = {}): Pod => ({
  metadata: { name, annotations },
  spec: { containers: [{ name: 'c' }], ...extra },
});

describe('disruption cost ordering', () => {
  test('nodes with fewer and cheaper pods, and nodes nearer expiry, are disrupted first', () => {
    const now = 100 * 3_600_000;
    const day = 24 * 3_600_000;
    const ordered = orderByDisruptionCost(
      [
        { name: 'busy', pods: [pod('a'), pod('b'), pod('c')], createdAtMs: now, expireAfterMs: day },
        { name: 'light', pods: [pod('a')], createdAtMs: now, expireAfterMs: day },
        { name: 'old', pods: [pod('a'), pod('b'), pod('c')], createdAtMs: now - 0.9 * day, expireAfterMs: day },
        { name: 'critical', pods: [pod('a', { priority: 1_000_000_000 })], createdAtMs: now, expireAfterMs: day },
      ],
      now,
    );
    expect(ordered.map((c) => c.name)).toEqual(['old', 'light', 'busy', 'critical']);
  });

  test('pod-deletion-cost lowers or raises a pod cost within [-10, 10]', () => {
    expect(podEvictionCost(pod('x', {}, { 'controller.kubernetes.io/pod-deletion-cost': '-2147483647' }))).toBe(-10);
    expect(podEvictionCost(pod('x'))).toBe(1);
  });

  test('a pod-deletion-cost the reconciler wrote (karpenter.sh/managed-deletion-cost) is a node rank, not a pod cost: ignored', () => {
    expect(podEvictionCost(pod('x', {}, { 'controller.kubernetes.io/pod-deletion-cost': '-2147483647', 'karpenter.sh/managed-deletion-cost': 'true' }))).toBe(1);
  });
});
