// CSI attach limits through the whole reconciler on the in-memory adapters, whose
// kube-scheduler refuses a node whose CSINode count a pod's volumes would exceed
// (NodeVolumeLimits): a node allowing one EBS volume holds one pod with an EBS claim; a
// second such pod, which would fit by CPU and memory, gets a node launched for it and runs
// there. Without the limit in the solver, nothing would be launched and the pod would wait.
import { newWorld, nodeClass, nodePool, startReconciler, MINUTE } from './fixtures.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';

const EBS = 'ebs.csi.aws.com';

function storage(world: InMemoryWorld): void {
  for (const name of ['d1', 'd2']) {
    world.api.create('PersistentVolume', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `pv-${name}` }, spec: { csi: { driver: EBS, volumeHandle: `vol-${name}` } } });
    world.api.create('PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { volumeName: `pv-${name}` } });
  }
}

const withClaim = (name: string, claimName: string) => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: '500m', memory: '512Mi' } } }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] },
});

test("a node whose CSINode allows one EBS volume: the second pod with an EBS claim gets a node of its own, and both run", async () => {
  const world = newWorld();
  storage(world);
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world);
  world.workloads.createPod(withClaim('first', 'd1'));
  await world.clock.advance(2 * MINUTE);
  const first = world.api.cache.get('Pod', 'first', 'default')!.spec.nodeName!;
  expect(first).toBeDefined();
  // The EBS CSI driver registers on the node: one volume attachable.
  world.api.create('CSINode', { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: first }, spec: { drivers: [{ name: EBS, nodeID: first, allocatable: { count: 1 } }] } });
  world.workloads.createPod(withClaim('second', 'd2'));
  await world.clock.advance(2 * MINUTE);
  const second = world.api.cache.get('Pod', 'second', 'default')!.spec.nodeName;
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  expect(world.api.cache.list('NodeClaim')).toHaveLength(2);
  await h.reconciler.stop();
}, 60_000);
