// An EC2NodeClass's spec.tags reach every instance launched for it, beside joinery's own
// tags (which a class tag cannot override).
import { TAG_NODEPOOL } from '../../../core/contract/index.ts';
import { deployment, newWorld, nodeClass, nodePool, startReconciler, MINUTE } from './fixtures.ts';

test("an EC2NodeClass's tags are on every instance launched for it; joinery's own tags win", async () => {
  const world = newWorld();
  const cls = nodeClass();
  cls.spec = { ...cls.spec!, tags: { 'cost-center': 'data-platform', [TAG_NODEPOOL]: 'spoofed' } };
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [cls] });
  const h = await startReconciler(world);
  deployment(world, 'web', 4, { cpu: '1', memory: '1Gi' });
  await world.clock.advance(5 * MINUTE);
  const instances = world.ec2.allInstances().map((r) => r.instance);
  expect(instances.length).toBeGreaterThan(0);
  for (const instance of instances) {
    expect(instance.tags['cost-center']).toBe('data-platform');
    expect(instance.tags[TAG_NODEPOOL]).toBe('general');
  }
  await h.reconciler.stop();
}, 60_000);
