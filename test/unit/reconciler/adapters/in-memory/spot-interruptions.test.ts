// The simulated account's spot interruptions: seeded times at the offering's rate, the
// EventBridge warning on the queue, EC2 reclaiming the instance after the notice and its
// state changes following; nothing for on-demand instances or offerings at rate 0.
import { InMemoryEventQueue } from '../../../../../reconciler/adapters/in-memory/events.ts';
import { SimSpotInterruptions } from '../../../../../reconciler/adapters/in-memory/spot-interruptions.ts';
import { parseMessage } from '../../../../../reconciler/controllers/interruption/messages.ts';
import { newWorld, START, HOUR, MINUTE } from '../../../behaviour/fixtures.ts';

function fleet(seed: number, n = 40) {
  const world = newWorld({ seed });
  const queue = new InMemoryEventQueue(world.clock);
  for (let i = 0; i < n; i++) {
    world.ec2.restore({
      clientToken: `t-${i}`,
      nodeClaimName: `claim-${i}`,
      instanceType: 'm6i.large',
      zone: i % 2 === 0 ? 'us-east-1a' : 'us-east-1b',
      capacityType: i % 4 === 3 ? 'on-demand' : 'spot',
      launchTime: START,
      tags: { 'karpenter.sh/nodepool': 'general' },
      userData: { labels: {}, taints: [], startupTaints: [] },
    });
  }
  return { world, queue };
}

async function run(seed: number, rules = [{ zones: ['us-east-1b'], ratePerHour: 0 }]) {
  const { world, queue } = fleet(seed);
  const spot = new SimSpotInterruptions({ clock: world.clock, ec2: world.ec2, queue, seed, ratePerHour: 0.5, rules, untilMs: START + 4 * HOUR });
  const bodies: string[] = [];
  const drain = async () => {
    const got = await queue.receive();
    for (const m of got) bodies.push(m.body);
    await queue.delete(got);
  };
  for (let t = 0; t < 4 * HOUR + 10 * MINUTE; t += MINUTE) {
    await world.clock.advance(MINUTE);
    await drain();
  }
  return { world, spot, bodies };
}

describe('simulated spot interruptions', () => {
  test('each warning is an EventBridge event for a running spot instance; EC2 reclaims it after the two-minute notice and says so', async () => {
    const { world, spot, bodies } = await run(11);
    // 10 spot instances in us-east-1a at 0.5 per hour over 4 hours: most are interrupted.
    expect(spot.interruptions.length).toBeGreaterThanOrEqual(5);
    for (const i of spot.interruptions) {
      expect(i.zone).toBe('us-east-1a'); // us-east-1b has rate 0
      const r = world.ec2.record(i.instanceId)!;
      expect(r.instance.capacityType).toBe('spot');
      expect(i.reclaimedAt).toBe(i.warnedAt + 120_000);
      expect(r.instance.state).toBe('terminated');
      expect(i.nodePool).toBe('general');
    }
    const parsed = bodies.map((b) => parseMessage(b));
    const warned = parsed.filter((m) => m.kind === 'spot_interrupted').map((m) => m.instanceIds[0]);
    expect(warned.sort()).toEqual(spot.interruptions.map((i) => i.instanceId).sort());
    // shutting-down and terminated state changes follow each reclaim.
    expect(parsed.filter((m) => m.kind === 'instance_terminated').map((m) => m.state).sort()).toEqual(
      spot.interruptions.flatMap(() => ['shutting-down', 'terminated']).sort(),
    );
    // No on-demand instance was touched.
    expect(world.ec2.allInstances().filter((r) => r.instance.capacityType === 'on-demand').every((r) => r.instance.state === 'running')).toBe(true);
  });

  test('the same seed gives the same interruptions; another seed others', async () => {
    const a = (await run(11)).spot.interruptions.map((i) => [i.nodeClaim, i.warnedAt]);
    const b = (await run(11)).spot.interruptions.map((i) => [i.nodeClaim, i.warnedAt]);
    const c = (await run(12)).spot.interruptions.map((i) => [i.nodeClaim, i.warnedAt]);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test('an instance the reconciler terminated before the reclaim is not reclaimed again', async () => {
    const { world, queue } = fleet(5, 4);
    const spot = new SimSpotInterruptions({ clock: world.clock, ec2: world.ec2, queue, seed: 5, ratePerHour: 60, untilMs: START + HOUR });
    spot.onInterruption((i) => void world.ec2.delete(i.providerID));
    await world.clock.advance(10 * MINUTE);
    expect(spot.interruptions.length).toBeGreaterThan(0);
    for (const i of spot.interruptions) expect(i.reclaimedAt).toBeUndefined();
  });
});
