// karpenter.sh/do-not-disrupt on a pod, read as Karpenter's IsDoNotDisruptActive reads it.
import type { Pod } from '../../../../core/api/k8s.ts';
import { doNotDisruptUntil, describeDoNotDisrupt, hasDoNotDisrupt, isProvisionable, parseDoNotDisrupt } from '../../../../reconciler/views/cluster-state.ts';

const START = Date.parse('2026-03-03T10:00:00Z');
const H = 3_600_000;

function pod(value: string | undefined, startTime: string | null = new Date(START).toISOString()): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', ...(value !== undefined ? { annotations: { 'karpenter.sh/do-not-disrupt': value } } : {}) },
    spec: { containers: [] },
    status: { phase: 'Running', ...(startTime ? { startTime } : {}) },
  };
}

describe('doNotDisruptUntil', () => {
  test('"true" protects for ever', () => {
    expect(doNotDisruptUntil(pod('true'), START + 1000 * H)).toBe(Infinity);
  });

  test('a duration protects until startTime + duration, and not from then on', () => {
    expect(doNotDisruptUntil(pod('2h'), START)).toBe(START + 2 * H);
    expect(doNotDisruptUntil(pod('2h'), START + 2 * H - 1)).toBe(START + 2 * H);
    expect(doNotDisruptUntil(pod('2h'), START + 2 * H)).toBeUndefined();
    expect(doNotDisruptUntil(pod('30m'), START + 0.4 * H)).toBe(START + 0.5 * H);
    expect(doNotDisruptUntil(pod('1h30m'), START + 1.6 * H)).toBeUndefined();
  });

  test('a duration protects for ever while the pod has no start time (fail safe)', () => {
    expect(doNotDisruptUntil(pod('2h', null), START + 10 * H)).toBe(Infinity);
  });

  test('startTime may be a Date (client-node objects)', () => {
    const p = pod('2h');
    p.status!.startTime = new Date(START);
    expect(doNotDisruptUntil(p, START + H)).toBe(START + 2 * H);
  });

  test('no annotation, "false", "0", "Never", negative or malformed values protect nothing', () => {
    for (const v of [undefined, 'false', '0', '0s', 'Never', '-5m', '2 hours', 'True', '']) expect(doNotDisruptUntil(pod(v), START)).toBeUndefined();
    expect(parseDoNotDisrupt('soon').kind).toBe('invalid');
    expect(parseDoNotDisrupt('Never').kind).toBe('invalid');
    expect(parseDoNotDisrupt('45s')).toEqual({ kind: 'duration', durationMs: 45_000, text: '45s' });
  });

  test('messages say until when', () => {
    expect(describeDoNotDisrupt(pod('2h'), START + 2 * H)).toBe('karpenter.sh/do-not-disrupt: 2h (until 2026-03-03T12:00:00.000Z)');
    expect(describeDoNotDisrupt(pod('true'), Infinity)).toBe('karpenter.sh/do-not-disrupt');
  });

  test('on a node or NodeClaim only "true" counts', () => {
    expect(hasDoNotDisrupt({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } })).toBe(true);
    expect(hasDoNotDisrupt({ annotations: { 'karpenter.sh/do-not-disrupt': '2h' } })).toBe(false);
  });
});

describe('isProvisionable (Karpenter IsProvisionable)', () => {
  const pending = (extra: Partial<NonNullable<Pod['status']>> = {}): Pod => ({
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }], ...extra },
  });

  test('an unschedulable pending pod is provisioned for', () => {
    expect(isProvisionable(pending())).toBe(true);
  });

  test('a preempting pod (status.nominatedNodeName) is not: kube-scheduler makes room on the nominated node', () => {
    expect(isProvisionable(pending({ nominatedNodeName: 'node-1' }))).toBe(false);
    expect(isProvisionable(pending({ nominatedNodeName: '' }))).toBe(true);
  });
});
