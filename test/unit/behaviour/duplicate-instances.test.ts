// Duplicate instances of one NodeClaim (a launch repeated after an unknown outcome, on an
// EC2 that ignores client tokens or had not yet listed the first instance): garbage
// collection terminates every instance tagged for a live claim except the claim's own,
// once older than the grace period; before the claim records one, its own is the one the
// launch adopts (the earliest launched, `adoptionOrder`). The claim and its instance stay.
import { TAG_NODECLAIM, TAG_NODEPOOL } from '../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { adoptionOrder, type Instance, type LaunchRequest } from '../../../reconciler/ports/cloud.ts';
import { MINUTE, cloudOver, deployment, newWorld, nodeClass, nodePool, onDemandClaim, startReconciler } from './fixtures.ts';

const live = async (world: InMemoryWorld) => (await world.ec2.list()).map((i) => i.id);

test('an instance tagged for a claim whose recorded instance is another one is terminated after the grace period', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world, { gcGraceMs: 60_000, gcIntervalMs: 30_000 });
  deployment(world, 'web', 1, { cpu: '1', memory: '1Gi' });
  await world.clock.advance(2 * MINUTE);
  const [claim] = world.api.cache.list('NodeClaim');
  const own = claim?.status?.providerID;
  expect(own).toBeDefined();

  const duplicate = world.ec2.launchUntracked('m6i.large', 'us-east-1b', { [TAG_NODEPOOL]: 'general', [TAG_NODECLAIM]: claim!.metadata.name! });
  await world.clock.advance(30_000);
  expect(await live(world)).toContain(duplicate.id); // younger than the grace period
  await world.clock.advance(2 * MINUTE);
  expect(await live(world)).not.toContain(duplicate.id);
  // The claim and its own instance are untouched; the pod still runs.
  expect(world.api.cache.get('NodeClaim', claim!.metadata.name!)?.status?.providerID).toBe(own);
  expect((await world.ec2.list()).map((i) => i.providerID)).toContain(own);
  const gc = h.decisions.filter((d) => d.action === 'garbage-collect');
  expect(gc.map((d) => [d.reason, d.details?.instanceId])).toEqual([['duplicate-instance', duplicate.id]]);
  expect(gc[0]?.message).toContain(claim!.metadata.name!);
  await h.reconciler.stop();
}, 60_000);

test('two instances tagged for a claim not yet recorded: the launch adopts the earliest, GC removes the other', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const claim = onDemandClaim(world, 'general-dup');
  await world.api.createNodeClaim(claim);
  // Two launches of the claim both took effect (each answered 500), 20 s apart.
  const first = world.ec2.launchUntracked('m6i.large', 'us-east-1a', { [TAG_NODEPOOL]: 'general', [TAG_NODECLAIM]: 'general-dup' });
  await world.clock.advance(20_000);
  const second = world.ec2.launchUntracked('m6i.large', 'us-east-1b', { [TAG_NODEPOOL]: 'general', [TAG_NODECLAIM]: 'general-dup' });

  // The launch is still in flight (EC2 slow), then finds the claim's instances by tag, as the AWS adapter does.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const ec2 = world.ec2;
  const cloud = cloudOver(ec2, {
    async create(request: LaunchRequest): Promise<Instance> {
      await gate;
      const tagged = (await ec2.list()).filter((i) => i.tags[TAG_NODECLAIM] === request.nodeClaim.metadata.name).sort(adoptionOrder);
      return tagged[0]!;
    },
  });
  const h = await startReconciler(world, { gcGraceMs: 60_000, gcIntervalMs: 30_000 }, cloud);
  await world.clock.advance(3 * MINUTE);
  // The claim records nothing yet: the earliest is kept as the one it will adopt, the other goes.
  expect(world.api.cache.get('NodeClaim', 'general-dup')?.status?.providerID).toBeUndefined();
  expect(await live(world)).toContain(first.id);
  expect(await live(world)).not.toContain(second.id);
  expect(h.decisions.filter((d) => d.action === 'garbage-collect').map((d) => [d.reason, d.details?.instanceId])).toEqual([['duplicate-instance', second.id]]);

  release();
  await world.clock.advance(MINUTE);
  expect(world.api.cache.get('NodeClaim', 'general-dup')?.status?.providerID).toBe(first.providerID);
  expect(await live(world)).toContain(first.id);
  await h.reconciler.stop();
}, 60_000);
