// One broken EC2NodeClass stops only its own pools: a class whose subnet selector
// matches nothing makes its pool launch nothing (and say why, naming the class and the
// term), while the pool of a healthy class keeps provisioning pods.
// Goal reported: pools blocked by another pool's broken NodeClass = 0.
import type { EC2NodeClass, NodePool } from '../../../core/api/karpenter.ts';
import { NodeClassResolutionError } from '../../../reconciler/adapters/aws/discovery.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import { ec2NodeClassHealthLua, nodePoolHealthLua } from '../../../compiler/health/argocd.ts';
import { runHealthLua } from '../compiler/health/lua.ts';
import { MINUTE, cloudOver, newWorld, nodeClass, nodePool, podsOf, startReconciler } from './fixtures.ts';

function usingClass(pool: NodePool, className: string): NodePool {
  return { ...pool, spec: { ...pool.spec, template: { ...pool.spec.template, spec: { ...pool.spec.template.spec, nodeClassRef: { ...pool.spec.template.spec.nodeClassRef, name: className } } } } };
}

test('a NodeClass whose subnet selector matches nothing blocks only its own pool', async () => {
  const world = newWorld();
  const broken = nodeClass('broken');
  const badTerms = [{ tags: { 'karpenter.sh/discovery': 'no-such-cluster' } }];
  (broken.spec as { subnetSelectorTerms: unknown }).subnetSelectorTerms = badTerms;
  world.intent.accept({
    commit: 'a1',
    nodePools: [usingClass(nodePool('good'), 'default'), usingClass(nodePool('bad'), 'broken')],
    nodeClasses: [nodeClass(), broken],
  });
  const ec2 = world.ec2;
  // Discovery as the AWS adapter does it: only the cluster's tag matches a subnet.
  const cloud = cloudOver(ec2, {
    async getInstanceTypes(nc: EC2NodeClass) {
      const terms = nc.spec?.subnetSelectorTerms ?? [];
      if (!terms.some((t) => t.tags?.['karpenter.sh/discovery'] === 'test')) {
        throw new NodeClassResolutionError(nc.metadata.name ?? '', 'spec.subnetSelectorTerms', `matched no subnet (${canonicalJson(terms)})`, 'tag the cluster subnets to match');
      }
      return ec2.getInstanceTypes(nc);
    },
  });
  const h = await startReconciler(world, {}, cloud);
  for (const pool of ['good', 'bad']) {
    for (let i = 0; i < 4; i++) {
      world.workloads.createPod({
        metadata: { name: `${pool}-${i}`, namespace: 'default', labels: { app: pool } },
        spec: { nodeSelector: { 'karpenter.sh/nodepool': pool }, containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '2Gi' } } }] },
      });
    }
  }
  await world.clock.advance(5 * MINUTE);

  const claims = world.api.cache.list('NodeClaim');
  const poolsOfClaims = new Set(claims.map((c) => c.metadata.labels?.['karpenter.sh/nodepool']));
  expect(poolsOfClaims).toEqual(new Set(['good']));
  expect(podsOf(world, 'good').every((p) => p.spec.nodeName)).toBe(true);
  expect(podsOf(world, 'bad').some((p) => p.spec.nodeName)).toBe(false);
  const why = h.decisions.filter((d) => d.reason === 'nodeclass-not-ready');
  expect(why.map((d) => d.nodePool)).toEqual(['bad']);
  expect(why[0]!.message).toContain('EC2NodeClass broken');
  expect(why[0]!.message).toContain('spec.subnetSelectorTerms');
  expect(why[0]!.message).toContain('no-such-cluster');
  // Pools blocked by another pool's broken NodeClass: 0.
  const blockedByOther = ['good'].filter((p) => !poolsOfClaims.has(p));
  expect(blockedByOther).toEqual([]);
  // The status names the class and the term: NodeClassReady and Ready are False on the broken pool only.
  const cond = (pool: string, type: string) => world.api.cache.get('NodePool', pool)?.status?.conditions?.find((c) => c.type === type);
  expect(cond('bad', 'NodeClassReady')).toMatchObject({ status: 'False', reason: 'NodeClassNotReady', observedGeneration: 1 });
  expect(cond('bad', 'Ready')).toMatchObject({ status: 'False', reason: 'NodeClassNotReady' });
  expect(cond('bad', 'Ready')!.message).toMatch(/EC2NodeClass broken: spec.subnetSelectorTerms matched no subnet .*no-such-cluster/);
  expect(cond('good', 'NodeClassReady')).toMatchObject({ status: 'True', observedGeneration: 1 });
  expect(cond('good', 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
  // Argo CD: the broken pool is Degraded with the failing term; the other one Healthy.
  const health = (pool: string) => runHealthLua(nodePoolHealthLua(), JSON.parse(JSON.stringify(world.api.cache.get('NodePool', pool))) as Record<string, unknown>);
  expect(health('bad')).toEqual({ status: 'Degraded', message: cond('bad', 'Ready')!.message });
  expect(health('good').status).toBe('Healthy');
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);

test('a role that does not exist: its class is not Ready (InstanceProfileReady=False naming the role, an Event), its pool launches nothing, the other pool works', async () => {
  const world = newWorld({ roles: ['KarpenterNodeRole-test'] });
  const orphan = nodeClass('orphan');
  (orphan.spec as { role: string }).role = 'NoSuchRole';
  world.intent.accept({
    commit: 'a1',
    nodePools: [usingClass(nodePool('good'), 'default'), usingClass(nodePool('bad'), 'orphan')],
    nodeClasses: [nodeClass(), orphan],
  });
  const h = await startReconciler(world);
  for (const pool of ['good', 'bad']) {
    world.workloads.createPod({
      metadata: { name: `${pool}-0`, namespace: 'default', labels: { app: pool } },
      spec: { nodeSelector: { 'karpenter.sh/nodepool': pool }, containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '2Gi' } } }] },
    });
  }
  await world.clock.advance(5 * MINUTE);

  const claims = world.api.cache.list('NodeClaim');
  expect(new Set(claims.map((c) => c.metadata.labels?.['karpenter.sh/nodepool']))).toEqual(new Set(['good']));
  // Every instance launched has its identity: the profile created for its class's role.
  expect(world.ec2.allInstances().map((r) => r.instance.instanceProfile)).toEqual(claims.map(() => expect.stringMatching(/^test_\d+$/)));
  const status = (name: string) => world.api.cache.get('EC2NodeClass', name)?.status;
  const cond = (name: string, type: string) => status(name)?.conditions?.find((c) => c.type === type);
  expect(cond('orphan', 'InstanceProfileReady')).toMatchObject({ status: 'False', reason: 'InstanceProfileNotFound', observedGeneration: 1 });
  expect(cond('orphan', 'InstanceProfileReady')!.message).toContain('"NoSuchRole"');
  expect(cond('orphan', 'Ready')).toMatchObject({ status: 'False', reason: 'UnhealthyDependents' });
  expect(cond('default', 'Ready')).toMatchObject({ status: 'True' });
  expect(status('default')?.instanceProfile).toMatch(/^test_\d+$/);
  expect(world.api.events.filter((e) => e.involved.kind === 'EC2NodeClass').map((e) => [e.involved.name, e.type, e.reason])).toEqual([['orphan', 'Warning', 'NodeClassNotReady']]);
  // Argo CD: the class is Degraded with the role in the message.
  const health = runHealthLua(ec2NodeClassHealthLua(), JSON.parse(JSON.stringify(world.api.cache.get('EC2NodeClass', 'orphan'))) as Record<string, unknown>);
  expect(health.status).toBe('Degraded');
  expect(health.message).toContain('NoSuchRole');
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);
