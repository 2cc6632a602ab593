// The interruption controller on the in-memory cluster and EC2, fed real EventBridge
// payloads through the in-memory queue: what a user notices (the node replaced, pods
// moved, the offering avoided, messages gone from the queue, the metrics).
import { InMemoryEventQueue } from '../../../../../reconciler/adapters/in-memory/events.ts';
import { createReconciler } from '../../../../../reconciler/reconciler.ts';
import type { DecisionRecord } from '../../../../../reconciler/observability/decisions.ts';
import type { LogRecord } from '../../../../../reconciler/observability/log.ts';
import type { InMemoryWorld } from '../../../../../reconciler/adapters/in-memory/world.ts';
import { instanceIdOf } from '../../../../../reconciler/controllers/interruption/messages.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, MINUTE } from '../../../behaviour/fixtures.ts';
import { rebalanceRecommendation, scheduledChange, spotInterruptionWarning, stateChange } from '../../../../fixtures/eventbridge/events.ts';

const SPOT_POOL = nodePool('general', {
  requirements: [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i', 'm7i', 'c7i'] },
  ],
  consolidateAfter: 'Never',
});

async function start(world: InMemoryWorld, options: { interruptionActOnRebalance?: boolean } = {}) {
  const events = new InMemoryEventQueue(world.clock, { idleDelayMs: 1_000 });
  const decisions: DecisionRecord[] = [];
  const logs: LogRecord[] = [];
  const reconciler = createReconciler({
    clock: world.clock,
    cluster: world.api,
    cloud: world.ec2,
    intent: world.intent,
    events,
    logSink: (r) => logs.push(r),
    options: { clusterName: 'test', ...options },
  });
  reconciler.context.decisions.subscribe((d) => decisions.push(d));
  await reconciler.start();
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await reconciler.context.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    // A histogram counts its observations in the _count series; counters have one series per label set.
    const values = (m?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
    return values
      .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
      .filter((v) => v.metricName === undefined || v.metricName.endsWith('_count') || !/_(sum|bucket)$/.test(v.metricName))
      .reduce((s, v) => s + v.value, 0);
  };
  return { events, decisions, logs, reconciler, metric };
}

function claimsOf(world: InMemoryWorld) {
  return world.api.cache.list('NodeClaim');
}

describe('interruption controller', () => {
  test('a spot interruption warning: replacement launched first, pods move to it, the old claim is deleted, the offering avoided', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [SPOT_POOL], nodeClasses: [nodeClass()] });
    const h = await start(world);
    deployment(world, 'web', 3, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);
    // The node with the most web pods is interrupted.
    const old = [...claimsOf(world)].sort((a, b) => world.api.cache.podsOnNode(b.status!.nodeName!).length - world.api.cache.podsOnNode(a.status!.nodeName!).length)[0];
    const oldName = old!.metadata.name!;
    const oldNode = old!.status!.nodeName!;
    const instanceId = instanceIdOf(old!.status!.providerID)!;
    const offering = { instanceType: old!.metadata.labels!['node.kubernetes.io/instance-type']!, zone: old!.metadata.labels!['topology.kubernetes.io/zone']!, capacityType: 'spot' as const };

    h.events.send(spotInterruptionWarning(instanceId, { time: new Date(world.clock.now()) }));
    await world.clock.advance(5_000);
    // Cordoned, replaced, deleted at once (the replacement is launching).
    const replacement = h.decisions.find((d) => d.controller === 'interruption' && d.action === 'launch');
    expect(replacement).toBeDefined();
    const deleting = world.api.cache.get('NodeClaim', oldName);
    expect(deleting === undefined || deleting.metadata.deletionTimestamp !== undefined).toBe(true);
    expect(h.decisions.find((d) => d.controller === 'interruption' && d.action === 'delete')?.message).toMatch(/spot interruption warning/);
    expect(h.reconciler.context.unavailable.isUnavailable(offering)).toBe(true);
    expect(h.events.depth).toBe(0);

    await world.clock.advance(2 * MINUTE);
    expect(claimsOf(world).map((c) => c.metadata.name)).not.toContain(oldName);
    const pods = podsOf(world, 'web');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.phase === 'Running' && p.spec.nodeName && p.spec.nodeName !== oldNode)).toBe(true);
    const newClaim = claimsOf(world).find((c) => c.metadata.name === replacement!.nodeClaims![0]);
    expect(newClaim).toBeDefined();
    // Not on the interrupted offering.
    const l = newClaim!.metadata.labels!;
    expect(`${l['node.kubernetes.io/instance-type']}/${l['topology.kubernetes.io/zone']}`).not.toBe(`${offering.instanceType}/${offering.zone}`);
    expect(await h.metric('karpenter_interruption_received_messages_total', { message_type: 'spot_interrupted' })).toBe(1);
    expect(await h.metric('karpenter_interruption_deleted_messages_total')).toBe(1);
    expect(await h.metric('karpenter_interruption_message_queue_duration_seconds')).toBe(1);
    await h.reconciler.stop();
  }, 60_000);

  test('a duplicate message acts once; malformed and foreign messages are deleted and counted; the loop goes on', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await start(world);
    deployment(world, 'web', 2, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);
    const [old] = claimsOf(world);
    const instanceId = instanceIdOf(old!.status!.providerID)!;

    h.events.send('{"this is": "not an event"');
    h.events.send(stateChange('i-0fffffffffffffff0', 'terminated')); // not ours
    h.events.send(stateChange(instanceId, 'terminated'));
    h.events.send(stateChange(instanceId, 'terminated')); // delivered twice
    await world.clock.advance(5_000);
    expect(h.events.depth).toBe(0);
    expect(h.decisions.filter((d) => d.controller === 'interruption' && d.action === 'delete')).toHaveLength(1);
    expect(await h.metric('joinery_interruption_malformed_messages_total')).toBe(1);
    expect(await h.metric('karpenter_interruption_deleted_messages_total')).toBe(4);
    expect(await h.metric('karpenter_interruption_received_messages_total', { message_type: 'instance_terminated' })).toBe(3);
    const warn = h.logs.find((r) => r.level === 'warn' && /malformed/.test(r.msg));
    expect(warn).toMatchObject({ messageId: 'msg-1' });
    // The same event again later: the claim is already going, nothing more happens.
    h.events.send(stateChange(instanceId, 'terminated'));
    await world.clock.advance(5_000);
    expect(h.decisions.filter((d) => d.controller === 'interruption' && d.action === 'delete')).toHaveLength(1);
    // The loop is alive: a scheduled change on the replacement still acts.
    await world.clock.advance(3 * MINUTE);
    const next = claimsOf(world).find((c) => c.metadata.name !== old!.metadata.name && c.status?.providerID);
    expect(next).toBeDefined();
    h.events.send(scheduledChange([instanceIdOf(next!.status!.providerID)!]));
    await world.clock.advance(5_000);
    expect(h.decisions.filter((d) => d.controller === 'interruption' && d.action === 'delete' && d.reason === 'scheduled_change')).toHaveLength(1);
    expect(h.logs.filter((r) => r.level === 'error')).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test('a rebalance recommendation is recorded only, unless acting on it is switched on', async () => {
    for (const act of [false, true]) {
      const world = newWorld();
      world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
      const h = await start(world, { interruptionActOnRebalance: act });
      deployment(world, 'web', 1, { cpu: '1', memory: '2Gi' });
      await world.clock.advance(3 * MINUTE);
      const [old] = claimsOf(world);
      h.events.send(rebalanceRecommendation(instanceIdOf(old!.status!.providerID)!));
      await world.clock.advance(5_000);
      const acted = h.decisions.some((d) => d.controller === 'interruption' && d.action === 'delete');
      expect(acted).toBe(act);
      expect(h.decisions.some((d) => d.controller === 'interruption' && d.action === 'record')).toBe(!act);
      expect(h.events.depth).toBe(0);
      await h.reconciler.stop();
    }
  }, 60_000);
});
