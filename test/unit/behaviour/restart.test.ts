// State that must survive a restart lives in NodeClaims and on EC2: a reconciler that
// dies between creating a NodeClaim and recording its launch is replaced by a new one,
// which launches exactly one instance per claim (the NodeClaim UID is the client token).
import type { CloudProvider, LaunchRequest } from '../../../reconciler/ports/cloud.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { TAG_NODECLAIM } from '../../../core/contract/index.ts';
import { cloudOver, deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

/** A cloud whose create never returns to the caller: the process died during the call. */
function dyingCloud(world: InMemoryWorld, reachEc2: boolean): CloudProvider & { calls: number } {
  const ec2 = world.ec2;
  const cloud: CloudProvider & { calls: number } = Object.assign(
    cloudOver(ec2, {
      async create(request: LaunchRequest) {
        cloud.calls += 1;
        if (reachEc2) await ec2.create(request);
        return new Promise<never>(() => {});
      },
    }),
    { calls: 0 },
  );
  return cloud;
}

function instancesByClaim(world: InMemoryWorld): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of world.ec2.allInstances()) {
    const claim = r.instance.tags[TAG_NODECLAIM] ?? '';
    m.set(claim, (m.get(claim) ?? 0) + 1);
  }
  return m;
}

describe.each([
  ['after EC2 accepted the launch', true],
  ['before the launch reached EC2', false],
])('a reconciler killed %s', (_label, reachEc2) => {
  test('is resumed by a new one that launches exactly one instance per NodeClaim', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const cloud = dyingCloud(world, reachEc2);
    const first = await startReconciler(world, {}, cloud);
    deployment(world, 'web', 30, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(30_000);

    const claims = world.api.cache.list('NodeClaim');
    expect(claims.length).toBeGreaterThan(0);
    expect(cloud.calls).toBe(claims.length);
    for (const c of claims) expect(c.status?.providerID).toBeUndefined();
    expect(world.ec2.allInstances().length).toBe(reachEc2 ? claims.length : 0);

    // The process is gone: its in-memory state with it. A new reconciler starts.
    void first.reconciler.stop();
    const second = await startReconciler(world);
    await world.clock.advance(10 * MINUTE);

    const after = world.api.cache.list('NodeClaim');
    expect(after.map((c) => c.metadata.name).sort()).toEqual(claims.map((c) => c.metadata.name).sort());
    const perClaim = instancesByClaim(world);
    for (const c of after) {
      expect(perClaim.get(c.metadata.name!)).toBe(1);
      expect(c.status?.providerID).toBeDefined();
    }
    expect(world.ec2.allInstances().length).toBe(after.length);
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName)).toBe(true);
    expect(second.errors).toEqual([]);
    expect(second.decisions.filter((d) => d.action === 'garbage-collect')).toEqual([]);
    await second.reconciler.stop();
  }, 60_000);
});
