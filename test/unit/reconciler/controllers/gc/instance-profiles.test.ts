// The rule for deleting instance profiles, on the in-memory EC2: joinery's profile for a
// class the intent no longer has (or that now gives spec.instanceProfile), used by no live
// instance, goes after the grace period; anything else stays, and nothing goes without an intent.
import { collectInstanceProfiles } from '../../../../../reconciler/controllers/gc/instance-profiles.ts';
import type { DecisionRecord } from '../../../../../reconciler/observability/decisions.ts';
import type { Instance } from '../../../../../reconciler/ports/cloud.ts';
import { instanceProfileName } from '../../../../../core/contract/index.ts';
import { newWorld, nodeClass, nodePool } from '../../../behaviour/fixtures.ts';

function setup() {
  const world = newWorld();
  const records: DecisionRecord[] = [];
  const ctx = { cloud: world.ec2, intent: world.intent, decisions: { record: (d: Omit<DecisionRecord, 'time'>) => records.push(d as DecisionRecord) }, options: { gcGraceMs: 60_000 } };
  return { world, records, ctx: ctx as unknown as Parameters<typeof collectInstanceProfiles>[0] };
}

const profileOf = (cls: string) => instanceProfileName('test', 'us-east-1', cls);

test("a removed class's profile is deleted once no instance uses it and the grace period passed; a needed one stays", async () => {
  const { world, ctx, records } = setup();
  world.intent.accept({ commit: 'c1', nodePools: [nodePool('general')], nodeClasses: [nodeClass('default'), nodeClass('old')] });
  await world.ec2.resolveNodeClass(nodeClass('default'));
  await world.ec2.resolveNodeClass(nodeClass('old'));
  expect((await world.ec2.listInstanceProfiles()).map((p) => p.name).sort()).toEqual([profileOf('default'), profileOf('old')].sort());
  world.intent.accept({ commit: 'c2', nodePools: [nodePool('general')], nodeClasses: [nodeClass('default')] });
  const usedByOld = [{ state: 'running', tags: { 'karpenter.k8s.aws/ec2nodeclass': 'old' } }] as unknown as Instance[];
  await world.clock.advance(30_000);
  expect(await collectInstanceProfiles(ctx, [], world.clock.now())).toEqual([]); // within the grace period
  await world.clock.advance(31_000);
  expect(await collectInstanceProfiles(ctx, usedByOld, world.clock.now())).toEqual([]); // an instance still runs with it
  expect(await collectInstanceProfiles(ctx, [], world.clock.now())).toEqual([profileOf('old')]);
  expect((await world.ec2.listInstanceProfiles()).map((p) => p.name)).toEqual([profileOf('default')]);
  expect(records).toEqual([expect.objectContaining({ action: 'garbage-collect', reason: 'unused-instance-profile' })]);
});

test('a class that now gives spec.instanceProfile no longer needs the one created for its role; with no intent nothing is deleted', async () => {
  const { world, ctx } = setup();
  const cls = nodeClass('default');
  await world.ec2.resolveNodeClass(cls);
  await world.clock.advance(10 * 60_000);
  expect(await collectInstanceProfiles(ctx, [], world.clock.now())).toEqual([]); // no intent yet
  const given = { ...cls, spec: { ...cls.spec!, role: undefined, instanceProfile: 'MyOwnProfile' } };
  world.intent.accept({ commit: 'c1', nodePools: [nodePool('general')], nodeClasses: [given] });
  expect(await collectInstanceProfiles(ctx, [], world.clock.now())).toEqual([profileOf('default')]);
});
