// A pending pod that is preempting (status.nominatedNodeName: kube-scheduler is evicting
// lower-priority pods on that node to make room for it) is not provisioned for, as in
// Karpenter's IsProvisionable: a node launched for it would be left empty once it binds
// to its nominated node. A pod beside it without a nomination still gets a node.
import { newWorld, nodeClass, nodePool, startReconciler, MINUTE } from './fixtures.ts';

describe('preempting pods', () => {
  test('a pod with status.nominatedNodeName triggers no launch; an ordinary pending pod does', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    const spec = { containers: [{ name: 'c', resources: { requests: { cpu: '2', memory: '4Gi' } } }] };
    world.workloads.createPod({ metadata: { name: 'preemptor', namespace: 'default' }, spec });
    // As kube-scheduler writes it (the API server ignores status on create).
    world.api.update('Pod', 'preemptor', 'default', (p) => {
      p.status = { ...p.status, nominatedNodeName: 'busy-node' };
    });
    world.workloads.createPod({ metadata: { name: 'ordinary', namespace: 'default' }, spec });
    await world.clock.advance(2 * MINUTE);
    const launches = h.decisions.filter((d) => d.action === 'launch');
    expect(launches).toHaveLength(1);
    expect(launches[0]!.details?.pods).toBe(1);
    const pods = world.api.cache.list('Pod');
    expect(pods.find((p) => p.metadata.name === 'ordinary')?.spec.nodeName).toBeDefined();
    const preemptor = pods.find((p) => p.metadata.name === 'preemptor')!;
    expect(preemptor.spec.nodeName).toBeUndefined();
    expect(preemptor.status?.nominatedNodeName).toBe('busy-node');
    await h.reconciler.stop();
  }, 60_000);
});
