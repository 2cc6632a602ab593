// Provisioning on the simulator: the batching window, capacity shortages falling back
// to other offerings, NodePool limits counting nodes in flight, and garbage collection
// of an instance nobody claims (only joinery's: a node group's instance is never touched),
// and of launch templates no longer used.
import { launchTemplateName } from '../../../core/contract/index.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, START, MINUTE } from './fixtures.ts';

describe('provisioning', () => {
  test("with Karpenter's window (1 s idle, 10 s max), pods arriving every 500 ms are batched: one solve when the window reaches its 10 s maximum", async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { batchWindow: { idleMs: 1_000, maxMs: 10_000 } });
    for (let i = 0; i < 30; i++) {
      world.workloads.createPod({ metadata: { name: `p${i}`, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] } });
      await world.clock.advance(500);
    }
    await world.clock.advance(5 * MINUTE);
    const launches = h.decisions.filter((d) => d.action === 'launch');
    // The first pod opened the window at t=0; it closed at 10 s with the 20 pods seen so
    // far; the last 10 (10.0 to 14.5 s) form a second batch closing 1 s after the last.
    const times = [...new Set(launches.map((d) => d.time - START))];
    expect(times[0]).toBe(10_000);
    expect(times[1]).toBe(15_500);
    expect(times).toHaveLength(2);
    expect(podsOf(world).every((p) => p.spec.nodeName)).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test('offerings out of capacity during a launch are skipped, reported and avoided by the next solves', async () => {
    const world = newWorld({ shortages: [{ fromMs: START, untilMs: START + 60 * MINUTE, instanceTypes: ['c7i.', 'm7i.'] }] });
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 20, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(30_000);
    const noted = h.decisions.filter((d) => d.action === 'launched' && (d.details?.insufficientCapacity as string[] | undefined)?.length);
    expect(noted.length).toBeGreaterThan(0);
    expect(noted[0]!.message).toMatch(/out of capacity \((c7i|m7i)\./);
    for (const c of world.api.cache.list('NodeClaim')) expect(c.metadata.labels?.['karpenter.k8s.aws/instance-family']).toBe('m6i');
    // Within the 3 minutes they are avoided:
    // The next burst is solved without the short offerings: a type found short in every
    // zone is not even offered by the new claims.
    const shortZones = new Map<string, Set<string>>();
    for (const d of noted) {
      for (const key of d.details!.insufficientCapacity as string[]) {
        const [type, zone] = key.split('/') as [string, string];
        shortZones.set(type, (shortZones.get(type) ?? new Set()).add(zone));
      }
    }
    const shortEverywhere = [...shortZones].filter(([, zones]) => zones.size === world.ec2.zones.length).map(([t]) => t);
    expect(shortEverywhere.length).toBeGreaterThan(0);
    const before = new Set(world.api.cache.list('NodeClaim').map((c) => c.metadata.name));
    deployment(world, 'burst', 10, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(30_000);
    const fresh = world.api.cache.list('NodeClaim').filter((c) => !before.has(c.metadata.name));
    expect(fresh.length).toBeGreaterThan(0);
    for (const c of fresh) {
      const types = c.spec.requirements.find((r) => r.key === 'node.kubernetes.io/instance-type')?.values ?? [];
      expect(types.filter((t) => shortEverywhere.includes(t))).toEqual([]);
    }
    await world.clock.advance(5 * MINUTE);
    expect(podsOf(world).every((p) => p.spec.nodeName)).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test('a launch whose every offering is out of capacity fails, and the pods are provisioned once capacity returns', async () => {
    const world = newWorld({ shortages: [{ fromMs: START, untilMs: START + 10 * MINUTE, instanceTypes: ['c7i.'] }] });
    const pool = nodePool('general', {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c7i'] },
      ],
    });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 8, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    const failed = h.decisions.filter((d) => d.action === 'launch-failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((d) => d.reason === 'insufficient-capacity')).toBe(true);
    expect(world.api.cache.list('NodeClaim')).toEqual([]);
    expect(podsOf(world, 'web').some((p) => !p.spec.nodeName)).toBe(true);
    await world.clock.advance(20 * MINUTE);
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName)).toBe(true);
    expect(world.ec2.allInstances().length).toBe(world.api.cache.list('NodeClaim').length);
    await h.reconciler.stop();
  }, 60_000);

  test('NodePool limits stop launches, counting nodes still in flight, and say so', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { limits: { cpu: '16' } })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 40, { cpu: '1', memory: '1Gi' });
    await world.clock.advance(10 * MINUTE);
    let cpus = 0;
    for (const c of world.api.cache.list('NodeClaim')) cpus += Number(c.metadata.labels?.['karpenter.k8s.aws/instance-cpu'] ?? 0);
    expect(cpus).toBeLessThanOrEqual(16);
    expect(podsOf(world, 'web').some((p) => !p.spec.nodeName)).toBe(true);
    expect(h.decisions.some((d) => d.action === 'limit-reached' && /limit/.test(d.message))).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test("an instance of joinery's with no NodeClaim is terminated after the grace period", async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    const orphan = world.ec2.launchUntracked('m6i.large', 'us-east-1a', { 'karpenter.sh/nodepool': 'general', 'karpenter.sh/nodeclaim': 'general-gone1' });
    await world.clock.advance(30_000);
    expect((await world.ec2.list()).map((i) => i.id)).toContain(orphan.id);
    await world.clock.advance(5 * MINUTE);
    expect((await world.ec2.list()).map((i) => i.id)).not.toContain(orphan.id);
    const gc = h.decisions.find((d) => d.action === 'garbage-collect');
    expect(gc?.reason).toBe('orphan-instance');
    expect(gc?.message).toContain(orphan.id);
    await h.reconciler.stop();
  }, 60_000);

  test('an instance with the cluster tag but no NodePool tag (a self-managed node group) is never listed nor terminated', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    const group = world.ec2.launchUntracked('m6i.large', 'us-east-1a', { 'aws:autoscaling:groupName': 'ng-1' });
    await world.clock.advance(30 * MINUTE);
    expect((await world.ec2.list()).map((i) => i.id)).not.toContain(group.id);
    expect(world.ec2.allInstances().find((r) => r.instance.id === group.id)?.instance.state).toBe('running');
    expect(h.decisions.filter((d) => d.action === 'garbage-collect')).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test("launch templates of joinery's used by no instance for the grace period are deleted; one in use, or not joinery's, stays", async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    world.workloads.createPod({ metadata: { name: 'p0', namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] } });
    const owned = { 'kubernetes.io/cluster/test': 'owned', 'karpenter.sh/nodepool': 'general', 'karpenter.k8s.aws/ec2nodeclass': 'default' };
    const stale = world.ec2.addLaunchTemplate(launchTemplateName('test', 'stale'), owned);
    const foreignName = world.ec2.addLaunchTemplate('eks-ng-1-template', { 'kubernetes.io/cluster/test': 'owned', 'karpenter.sh/nodepool': 'general' });
    const foreignTags = world.ec2.addLaunchTemplate(launchTemplateName('test', 'no-pool'), { 'kubernetes.io/cluster/test': 'owned' });
    await world.clock.advance(10 * MINUTE);
    const names = world.ec2.allLaunchTemplates().map((t) => t.name);
    expect(names).not.toContain(stale.name);
    expect(names).toEqual(expect.arrayContaining([foreignName.name, foreignTags.name]));
    // The template the running node was launched from stays, however long ago it was used.
    const inUse = (await world.ec2.list()).map((i) => i.tags['joinery.dev/launch-template']);
    expect(inUse).toHaveLength(1);
    expect(names).toContain(inUse[0]);
    const deleted = h.decisions.filter((d) => d.reason === 'unused-launch-template');
    expect(deleted.map((d) => (d.details as { launchTemplateName?: string }).launchTemplateName)).toEqual([stale.name]);
    await h.reconciler.stop();
  }, 60_000);
});
