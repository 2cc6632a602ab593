// A Terminating pod (deletionTimestamp set, held by a finalizer, still bound) occupies its
// node until the object is gone, as kube-scheduler counts it. A pod that fits on the node
// only in the room the terminating pod still holds is Unschedulable for kube-scheduler,
// and the reconciler must launch a node for it rather than count on that room; once the
// terminating pod is gone, its room is free again and the next such pod needs no launch.
import { newWorld, nodeClass, nodePool, startReconciler, MINUTE } from './fixtures.ts';

describe('terminating pods', () => {
  test('a Terminating pod holds its node’s room: the pod that needs it gets a node; after it is gone, its room is used', async () => {
    const world = newWorld();
    // One instance size only, so each 3-CPU pod fills a node.
    const pool = nodePool('general', {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['c7i.xlarge'] },
      ],
      consolidateAfter: 'Never',
    });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    const spec = { containers: [{ name: 'c', resources: { requests: { cpu: '3', memory: '1Gi' } } }] };
    const pod = (name: string) => world.api.cache.list('Pod').find((p) => p.metadata.name === name);
    const launches = () => h.decisions.filter((d) => d.action === 'launch').length;

    world.workloads.createPod({ metadata: { name: 'leaving', namespace: 'default', finalizers: ['example.com/hold'] }, spec });
    await world.clock.advance(2 * MINUTE);
    const first = pod('leaving')?.spec.nodeName;
    expect(first).toBeDefined();
    expect(launches()).toBe(1);

    await world.api.deletePod('default', 'leaving');
    expect(pod('leaving')?.metadata.deletionTimestamp).toBeDefined();
    world.workloads.createPod({ metadata: { name: 'next', namespace: 'default' }, spec });
    await world.clock.advance(2 * MINUTE);
    // The room on the first node is still taken: a second node, and `next` runs there.
    expect(launches()).toBe(2);
    expect(pod('next')?.spec.nodeName).toBeDefined();
    expect(pod('next')?.spec.nodeName).not.toBe(first);

    // The finalizer goes, and with it the pod: its room is free, and a third pod takes it.
    world.api.update('Pod', 'leaving', 'default', (p) => {
      p.metadata.finalizers = [];
    });
    expect(pod('leaving')).toBeUndefined();
    world.workloads.createPod({ metadata: { name: 'third', namespace: 'default' }, spec });
    await world.clock.advance(2 * MINUTE);
    expect(pod('third')?.spec.nodeName).toBe(first);
    expect(launches()).toBe(2);
    await h.reconciler.stop();
  }, 60_000);
});
