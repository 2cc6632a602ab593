// What explain says about a node the interruption controller or node auto-repair took,
// read from the annotations those controllers write on the NodeClaim; and about a node
// with a failing condition: when auto-repair replaces it, or why it does not.
import type { Node } from '../../../../core/api/k8s.ts';
import type { NodeClaim, NodePool } from '../../../../core/api/karpenter.ts';
import { ANNOTATION_INTERRUPTION, ANNOTATION_NODE_REPAIR, ANNOTATION_REPAIR } from '../../../../core/contract/index.ts';
import { healthCause, terminationCause } from '../../../../reconciler/explain/incidents.ts';
import { DEFAULT_REPAIR_POLICIES } from '../../../../reconciler/runtime/context.ts';

const T = Date.parse('2026-03-03T14:00:00Z');

function claim(annotations: Record<string, string>): NodeClaim {
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name: 'general-abc12', annotations }, spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] } } as NodeClaim;
}

function node(status: string, since: number): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-0-0-7.ec2.internal' }, status: { conditions: [{ type: 'Ready', status, reason: 'NodeStatusUnknown', lastTransitionTime: new Date(since).toISOString() }] } } as Node;
}

function pool(repair: boolean): NodePool {
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'general', ...(repair ? { annotations: { [ANNOTATION_NODE_REPAIR]: 'enabled' } } : {}) }, spec: {} } as unknown as NodePool;
}

describe('explain: why a node was interrupted or repaired', () => {
  test('a spot interruption: the kind, the instance, the event and queue message, and what was done', () => {
    const c = terminationCause(claim({ [ANNOTATION_INTERRUPTION]: JSON.stringify({ kind: 'spot_interrupted', messageId: 'msg-3', eventId: 'ev-1', instanceId: 'i-0abc1234def567890', at: '2026-03-03T14:00:02.000Z' }) }), DEFAULT_REPAIR_POLICIES);
    expect(c?.check).toBe('interruption');
    expect(c?.short).toBe('interrupted: spot interruption warning for instance i-0abc1234def567890 at 2026-03-03T14:00:02.000Z');
    expect(c?.message).toContain('(EventBridge event ev-1, queue message msg-3)');
    expect(c?.message).toContain('cordoned, replacements for its pods were launched');
    expect(c?.message).toContain('EC2 reclaims the instance two minutes after the warning');
  });

  test('a scheduled change says so, without the spot reclaim', () => {
    const c = terminationCause(claim({ [ANNOTATION_INTERRUPTION]: JSON.stringify({ kind: 'scheduled_change', instanceId: 'i-0abc1234def567890' }) }), DEFAULT_REPAIR_POLICIES);
    expect(c?.short).toBe('interrupted: scheduled change (AWS Health: instance retirement or maintenance) for instance i-0abc1234def567890');
    expect(c?.message).not.toContain('reclaims');
  });

  test('a repair: the condition, how long it held, the toleration, and that the node was not drained', () => {
    const c = terminationCause(claim({ [ANNOTATION_REPAIR]: JSON.stringify({ condition: 'Ready', status: 'Unknown', since: new Date(T).toISOString(), at: new Date(T + 31 * 60_000).toISOString() }) }), DEFAULT_REPAIR_POLICIES);
    expect(c?.check).toBe('repair');
    expect(c?.short).toBe('repaired: Ready=Unknown for 31m, past its toleration of 30m');
    expect(c?.message).toContain('force-terminated without drain');
  });

  test('a NodeClaim deleted for another reason has no such cause; a garbled annotation is not trusted', () => {
    expect(terminationCause(claim({}), DEFAULT_REPAIR_POLICIES)).toBeUndefined();
    expect(terminationCause(claim({ [ANNOTATION_REPAIR]: 'not json' }), DEFAULT_REPAIR_POLICIES)).toBeUndefined();
  });

  test('an unhealthy node: when auto-repair replaces it, or why it does not', () => {
    const n = node('Unknown', T);
    expect(healthCause(n, pool(true), true, DEFAULT_REPAIR_POLICIES, T + 10 * 60_000)?.message).toBe(
      "Ready=Unknown since 2026-03-03T14:00:00.000Z (10m): node auto-repair force-terminates it at 2026-03-03T14:30:00.000Z (toleration 30m), unless more than 20% of NodePool general's nodes are unhealthy",
    );
    expect(healthCause(n, pool(false), true, DEFAULT_REPAIR_POLICIES, T + 60_000)?.message).toContain('not repaired: NodePool general does not opt in to node auto-repair (nodeRepair: true)');
    expect(healthCause(n, pool(true), false, DEFAULT_REPAIR_POLICIES, T + 60_000)?.message).toContain('not repaired: the reconciler runs without the NodeRepair feature gate');
    expect(healthCause(n, pool(true), true, DEFAULT_REPAIR_POLICIES, T + 40 * 60_000)?.message).toContain('past its toleration of 30m');
    expect(healthCause(node('True', T), pool(true), true, DEFAULT_REPAIR_POLICIES, T)).toBeUndefined();
  });
});
