// The rule for deleting launch templates, on the in-memory EC2: joinery's template used by
// no live instance and by no launch for the grace period goes; anything else stays.
import { collectLaunchTemplates } from '../../../../../reconciler/controllers/gc/launch-templates.ts';
import type { DecisionRecord } from '../../../../../reconciler/observability/decisions.ts';
import type { Instance } from '../../../../../reconciler/ports/cloud.ts';
import { launchTemplateName } from '../../../../../core/contract/index.ts';
import { newWorld } from '../../../behaviour/fixtures.ts';

const OWNED = { 'kubernetes.io/cluster/test': 'owned', 'karpenter.sh/nodepool': 'general' };

function setup() {
  const world = newWorld();
  const records: DecisionRecord[] = [];
  const ctx = { cloud: world.ec2, decisions: { record: (d: Omit<DecisionRecord, 'time'>) => records.push(d as DecisionRecord) }, options: { gcGraceMs: 60_000, clusterName: 'test' } };
  return { world, records, ctx: ctx as unknown as Parameters<typeof collectLaunchTemplates>[0] };
}

test('an unused template of joinery’s is deleted after the grace period, not before', async () => {
  const { world, ctx, records } = setup();
  const t = world.ec2.addLaunchTemplate(launchTemplateName('test', 'a'), OWNED);
  await world.clock.advance(59_000);
  expect(await collectLaunchTemplates(ctx, [], world.clock.now())).toEqual([]);
  await world.clock.advance(2_000);
  expect(await collectLaunchTemplates(ctx, [], world.clock.now())).toEqual([t.name]);
  expect((await world.ec2.listLaunchTemplates()).map((x) => x.name)).toEqual([]);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ action: 'garbage-collect', reason: 'unused-launch-template', nodePool: 'general' });
});

test('a template a live instance names (by joinery’s tag or by EC2’s id tag) stays', async () => {
  const { world, ctx } = setup();
  const a = world.ec2.addLaunchTemplate(launchTemplateName('test', 'a'), OWNED);
  const b = world.ec2.addLaunchTemplate(launchTemplateName('test', 'b'), OWNED);
  await world.clock.advance(10 * 60_000);
  const live = [
    { state: 'running', tags: { 'joinery.dev/launch-template': a.name } },
    { state: 'pending', tags: { 'aws:ec2launchtemplate:id': b.id } },
  ] as unknown as Instance[];
  expect(await collectLaunchTemplates(ctx, live, world.clock.now())).toEqual([]);
});

test('templates without joinery’s tags or name are never deleted, even when the adapter lists them', async () => {
  const { world, ctx: base } = setup();
  const ec2 = world.ec2;
  const ctx = { ...base, cloud: { listLaunchTemplates: async () => ec2.allLaunchTemplates(), deleteLaunchTemplate: (n: string) => ec2.deleteLaunchTemplate(n) } } as unknown as typeof base;
  world.ec2.addLaunchTemplate('eks-ng-1', OWNED);
  world.ec2.addLaunchTemplate(launchTemplateName('test', 'no-pool'), { 'kubernetes.io/cluster/test': 'owned' });
  world.ec2.addLaunchTemplate(launchTemplateName('other', 'x'), { 'kubernetes.io/cluster/other': 'owned', 'karpenter.sh/nodepool': 'general' });
  await world.clock.advance(60 * 60_000);
  expect(await collectLaunchTemplates(ctx, [], world.clock.now())).toEqual([]);
  expect(world.ec2.allLaunchTemplates()).toHaveLength(3);
  expect(await world.ec2.listLaunchTemplates()).toEqual([]);
});
