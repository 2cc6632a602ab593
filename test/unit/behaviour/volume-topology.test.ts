// Pods with PersistentVolumeClaims, through the whole reconciler on the in-memory adapters:
// a claim bound to a volume in us-east-1b gets a NodeClaim that can only launch there; a
// claim that binds immediately and is not bound yet launches nothing until it binds (the
// claim's change alone wakes provisioning); a volume in a zone no pool allows launches
// nothing and says why on the pod.
import { newWorld, nodeClass, nodePool, startReconciler, MINUTE } from './fixtures.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';

const ZONE = 'topology.kubernetes.io/zone';

function storage(world: InMemoryWorld): void {
  world.api.create('PersistentVolume', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv-b' },
    spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1b'] }] }] } } },
  });
  world.api.create('PersistentVolume', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv-f' },
    spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1f'] }] }] } } },
  });
  world.api.create('StorageClass', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp2' }, provisioner: 'ebs.csi.aws.com' });
  world.api.create('PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { volumeName: 'pv-b' } });
  world.api.create('PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'early', namespace: 'default' }, spec: { storageClassName: 'gp2' } });
  world.api.create('PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'far', namespace: 'default' }, spec: { volumeName: 'pv-f' } });
}

const withClaim = (name: string, claimName: string) => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '2Gi' } } }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] },
});

const zonesOfClaims = (world: InMemoryWorld) =>
  world.api.cache.list('NodeClaim').map((c) => c.spec.requirements.find((r) => r.key === ZONE)?.values);

describe('volume topology', () => {
  test('a pod whose claim is bound to a volume in us-east-1b gets a NodeClaim that launches only in us-east-1b', async () => {
    const world = newWorld();
    storage(world);
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    world.workloads.createPod(withClaim('db', 'data'));
    await world.clock.advance(2 * MINUTE);
    expect(zonesOfClaims(world)).toEqual([['us-east-1b']]);
    const node = world.api.cache.list('Node')[0]!;
    expect(node.metadata.labels?.[ZONE]).toBe('us-east-1b');
    await h.reconciler.stop();
  }, 60_000);

  test('an unbound claim of an Immediate StorageClass: nothing is launched until the claim binds, then a node in its volume\'s zone', async () => {
    const world = newWorld();
    storage(world);
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    world.workloads.createPod(withClaim('early-bird', 'early'));
    await world.clock.advance(90_000);
    expect(world.api.cache.list('NodeClaim')).toEqual([]);
    const why = world.api.events.filter((e) => e.involved.name === 'early-bird').map((e) => e.message);
    expect(why.join('\n')).toMatch(/claim default\/early, StorageClass gp2\): unbound, and the StorageClass binds immediately/);
    // The claim binds (as the PV controller would bind it) to the volume in us-east-1b.
    world.api.update('PersistentVolumeClaim', 'early', 'default', (c) => {
      c.spec = { ...c.spec, volumeName: 'pv-b' };
    });
    // Sooner than the minute after which pending pods are solved again anyway.
    await world.clock.advance(15_000);
    expect(zonesOfClaims(world)).toEqual([['us-east-1b']]);
    await h.reconciler.stop();
  }, 60_000);

  test('a volume in a zone no pool allows: nothing is launched, and the pod\'s Event names the volume and the zone', async () => {
    const world = newWorld();
    storage(world);
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    world.workloads.createPod(withClaim('stranded', 'far'));
    await world.clock.advance(2 * MINUTE);
    expect(world.api.cache.list('NodeClaim')).toEqual([]);
    const why = world.api.events.filter((e) => e.involved.name === 'stranded').map((e) => e.message).join('\n');
    expect(why).toContain(`NodePool general: volume data (claim default/far, bound to PersistentVolume pv-f) needs ${ZONE} In [us-east-1f]`);
    await h.reconciler.stop();
  }, 60_000);
});
