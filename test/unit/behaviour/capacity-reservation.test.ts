// Capacity reservations on the whole reconciler, in-memory: the plan counts a
// reservation's free slots. A reservation with 2 free slots and a batch needing 3 nodes:
// 2 reserved nodes and 1 on-demand node are planned (and launched), not 3 planned as
// nearly free of which one falls back at launch. A node in a capacity block is expired
// 40 minutes before the block ends (Karpenter's capacity block expiration), and a node
// whose reservation the EC2NodeClass no longer selects drifts (CapacityReservationDrift).
import type { EC2NodeClass } from '../../../core/api/karpenter.ts';
import { LABEL_CAPACITY_RESERVATION_ID, LABEL_CAPACITY_TYPE, LABEL_HOSTNAME } from '../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import type { CloudProvider } from '../../../reconciler/ports/cloud.ts';
import { START, cloudOver, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

/** A cloud whose launches never come back (EC2 slow, or the process about to die): claims stay not launched. */
function stuckCloud(world: InMemoryWorld): CloudProvider {
  return cloudOver(world.ec2, { create: () => new Promise<never>(() => {}), reservationFree: (id) => world.ec2.reservationFree(id) });
}

const RESERVATION = 'cr-0123456789abcdef0';

function reservingClass(ids: string[] = [RESERVATION]): EC2NodeClass {
  const c = nodeClass();
  return { ...c, spec: { ...c.spec!, capacityReservationSelectorTerms: ids.map((id) => ({ id })) } } as EC2NodeClass;
}

const pool = nodePool('general', {
  requirements: [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['reserved', 'on-demand'] },
    { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6i.xlarge', 'm6i.2xlarge'] },
    { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a'] },
  ],
});

/** `replicas` pods of 3 cpu, one per node (hostname anti-affinity). */
function spread(world: InMemoryWorld, replicas: number): void {
  world.workloads.applyDeployment({
    name: 'web',
    namespace: 'default',
    replicas,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'main', resources: { requests: { cpu: '3', memory: '2Gi' } } }],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: LABEL_HOSTNAME, labelSelector: { matchLabels: { app: 'web' } } }] } },
      },
    },
  });
}

async function until(world: InMemoryWorld, what: string, done: () => boolean, withinMs: number): Promise<void> {
  const deadline = world.clock.now() + withinMs;
  while (!done()) {
    if (world.clock.now() >= deadline) throw new Error(`not within ${withinMs / MINUTE} min: ${what}`);
    await world.clock.advance(5_000);
  }
}

describe('capacity reservations in the plan', () => {
  test('a reservation with 2 free slots and a batch needing 3 nodes: 2 reserved and 1 on-demand node planned and launched', async () => {
    const world = newWorld({ reservations: [{ id: RESERVATION, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 2 }] });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [reservingClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    spread(world, 3);
    await until(world, '3 pods running', () => podsOf(world, 'web').filter((p) => p.status?.phase === 'Running').length === 3, 10 * MINUTE);

    // The plan: 3 claims, 2 priced as reserved (already paid for), 1 at the on-demand price.
    const launches = h.decisions.filter((d) => d.controller === 'provisioning' && d.action === 'launch');
    expect(launches).toHaveLength(3);
    const prices = launches.map((d) => d.details!.pricePerHour as number).sort((a, b) => a - b);
    expect(prices[0]).toBeLessThan(0.001);
    expect(prices[1]).toBeLessThan(0.001);
    expect(prices[2]).toBeGreaterThan(0.1);

    // What ran: 2 nodes in the reservation, 1 on-demand; nothing launched and given up.
    const nodes = world.api.cache.list('Node');
    expect(nodes.filter((n) => n.metadata.labels?.[LABEL_CAPACITY_TYPE] === 'reserved' && n.metadata.labels?.[LABEL_CAPACITY_RESERVATION_ID] === RESERVATION)).toHaveLength(2);
    expect(nodes.filter((n) => n.metadata.labels?.[LABEL_CAPACITY_TYPE] === 'on-demand')).toHaveLength(1);
    expect(world.ec2.calls.create).toBe(3);
    expect(world.ec2.reservationFree(RESERVATION)).toBe(0);
    expect(h.errors).toEqual([]);
  });

  test('a batch within the free slots is planned reserved entirely', async () => {
    const world = newWorld({ reservations: [{ id: RESERVATION, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 3 }] });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [reservingClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    spread(world, 3);
    await until(world, '3 pods running', () => podsOf(world, 'web').filter((p) => p.status?.phase === 'Running').length === 3, 10 * MINUTE);
    const launches = h.decisions.filter((d) => d.controller === 'provisioning' && d.action === 'launch');
    expect(launches.map((d) => (d.details!.pricePerHour as number) < 0.001)).toEqual([true, true, true]);
    expect(world.api.cache.list('Node').filter((n) => n.metadata.labels?.[LABEL_CAPACITY_TYPE] === 'reserved')).toHaveLength(3);
  });
});

describe('claims planned into a reservation survive a restart', () => {
  test('a reconciler started after 2 claims were planned into a 2-slot reservation, not launched yet, plans no more reserved nodes', async () => {
    const world = newWorld({ reservations: [{ id: RESERVATION, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 2 }] });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [reservingClass()] });
    const first = await startReconciler(world, { stabilizationMs: 0 }, stuckCloud(world));
    spread(world, 2);
    await until(world, '2 claims planned', () => world.api.cache.list('NodeClaim').length === 2, 2 * MINUTE);
    const reservedLaunches = (h: Awaited<ReturnType<typeof startReconciler>>) =>
      h.decisions.filter((d) => d.controller === 'provisioning' && d.action === 'launch' && (d.details!.pricePerHour as number) < 0.001);
    expect(reservedLaunches(first)).toHaveLength(2);
    // EC2 has not counted them: the reservation still shows 2 free slots.
    expect(world.ec2.reservationFree(RESERVATION)).toBe(2);

    // The process dies; a new one starts and 2 more pods arrive, one per node.
    void first.reconciler.stop();
    const second = await startReconciler(world, { stabilizationMs: 0 }, stuckCloud(world));
    spread(world, 4);
    await until(world, '4 claims', () => world.api.cache.list('NodeClaim').length >= 4, 2 * MINUTE);
    await world.clock.advance(MINUTE);
    const launches = second.decisions.filter((d) => d.controller === 'provisioning' && d.action === 'launch');
    expect(launches.length).toBeGreaterThanOrEqual(2);
    // The 2 slots are taken by the claims planned before the restart: the new nodes are on-demand.
    expect(reservedLaunches(second)).toEqual([]);
    expect(second.errors).toEqual([]);
  });
});

describe('nodes of a capacity reservation leave with it', () => {
  const disruptions = (h: Awaited<ReturnType<typeof startReconciler>>) => h.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'));
  const reservedNodes = (world: InMemoryWorld) => world.api.cache.list('Node').filter((n) => n.metadata.labels?.[LABEL_CAPACITY_RESERVATION_ID] === RESERVATION && !n.metadata.deletionTimestamp);

  test('a node in a capacity block is expired 40 minutes before the block ends, not before, and its pod moves to on-demand', async () => {
    const endMs = START + 3 * 60 * MINUTE;
    const world = newWorld({ reservations: [{ id: RESERVATION, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 1, type: 'capacity-block', endMs }] });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [reservingClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    spread(world, 1);
    await until(world, 'the pod running on the block', () => reservedNodes(world).length === 1 && podsOf(world, 'web').some((p) => p.status?.phase === 'Running'), 10 * MINUTE);
    expect(reservedNodes(world)[0]!.metadata.labels?.['karpenter.k8s.aws/capacity-reservation-type']).toBe('capacity-block');

    // Until 40 minutes before the end the node stays.
    await until(world, '41 min before the end', () => world.clock.now() >= endMs - 41 * MINUTE, 3 * 60 * MINUTE);
    expect(disruptions(h)).toEqual([]);
    // Then it is expired, and the pod runs on an on-demand node before EC2 would reclaim the block (30 min before its end).
    await until(world, 'the block node expired', () => disruptions(h).length > 0, 5 * MINUTE);
    const d = disruptions(h)[0]!;
    expect(d.message).toMatch(/^expiration: /);
    expect(d.message).toContain('capacity block ending at');
    expect(world.clock.now()).toBeGreaterThanOrEqual(endMs - 40 * MINUTE);
    await until(world, 'the pod on on-demand', () => podsOf(world, 'web').some((p) => p.status?.phase === 'Running' && world.api.cache.get('Node', p.spec?.nodeName ?? '')?.metadata.labels?.[LABEL_CAPACITY_TYPE] === 'on-demand'), 10 * MINUTE);
    expect(world.clock.now()).toBeLessThan(endMs - 30 * MINUTE);
    expect(h.errors).toEqual([]);
  });

  test('a node whose reservation the EC2NodeClass no longer selects drifts, and is replaced', async () => {
    const other = 'cr-0fedcba9876543210';
    const world = newWorld({
      reservations: [
        { id: RESERVATION, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 1 },
        { id: other, instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 1 },
      ],
    });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [reservingClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    spread(world, 1);
    await until(world, 'the pod running in the reservation', () => reservedNodes(world).length === 1 && podsOf(world, 'web').some((p) => p.status?.phase === 'Running'), 10 * MINUTE);
    await world.clock.advance(10 * MINUTE);
    expect(disruptions(h)).toEqual([]);

    world.intent.accept({ commit: 'a2', nodePools: [pool], nodeClasses: [reservingClass([other])] });
    await until(world, 'the node drifted', () => disruptions(h).length > 0, 15 * MINUTE);
    expect(disruptions(h)[0]!.message).toMatch(/^drift: .*capacity reservation cr-0123456789abcdef0 is no longer one EC2NodeClass default selects/);
    await until(world, 'the pod running in the other reservation', () => podsOf(world, 'web').some((p) => p.status?.phase === 'Running' && world.api.cache.get('Node', p.spec?.nodeName ?? '')?.metadata.labels?.[LABEL_CAPACITY_RESERVATION_ID] === other), 15 * MINUTE);
    await until(world, 'the drifted node gone', () => reservedNodes(world).length === 0, 10 * MINUTE);
    expect(h.errors).toEqual([]);
  });
});
