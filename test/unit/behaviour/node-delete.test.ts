// `kubectl delete node`: the Node carries joinery's termination finalizer, so it is not
// removed at once; as in Karpenter, its NodeClaim is deleted and the claim's termination
// drains the node (through the Eviction API), terminates the instance and releases the
// Node. A Node of no NodeClaim is drained and released; its instance is terminated only
// when joinery launched it.
import { FINALIZER_TERMINATION } from '../../../core/contract/index.ts';
import { REASON_NODE_DELETED } from '../../../reconciler/controllers/termination/controller.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

describe('a Node deleted through the API', () => {
  test('of a running claim: its pods are evicted, the claim deleted, the instance terminated, the Node gone', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 6, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    const nodeName = podsOf(world, 'web')[0]!.spec.nodeName!;
    const node = world.api.cache.get('Node', nodeName)!;
    expect(node.metadata.finalizers).toContain(FINALIZER_TERMINATION);
    const claim = world.api.cache.list('NodeClaim').find((c) => c.status?.nodeName === nodeName)!;
    expect(claim).toBeDefined();
    const providerID = node.spec!.providerID!;
    const podsBefore = podsOf(world, 'web').filter((p) => p.spec.nodeName === nodeName).map((p) => p.metadata.name);
    expect(podsBefore.length).toBeGreaterThan(0);

    await world.api.deleteNode(nodeName); // kubectl delete node
    expect(world.api.cache.get('Node', nodeName)?.metadata.deletionTimestamp).toBeDefined();
    await world.clock.advance(5 * MINUTE);

    const decided = h.decisions.find((d) => d.reason === REASON_NODE_DELETED);
    expect(decided?.action).toBe('delete');
    expect(decided?.message).toContain('node deleted by a user');
    expect(decided?.nodeClaims).toEqual([claim.metadata.name]);
    // Evicted, not left to die with the node: the Eviction API was used and the pods run elsewhere.
    expect(world.api.cache.list('Pod').some((p) => podsBefore.includes(p.metadata.name) && p.spec.nodeName === nodeName)).toBe(false);
    const web = podsOf(world, 'web');
    expect(web.length).toBe(6);
    expect(web.every((p) => p.spec.nodeName && p.spec.nodeName !== nodeName)).toBe(true);
    expect(h.decisions.some((d) => d.action === 'terminated' && d.nodeClaims?.includes(claim.metadata.name!))).toBe(true);
    expect(world.api.cache.get('NodeClaim', claim.metadata.name!)).toBeUndefined();
    expect(world.ec2.allInstances().find((r) => r.instance.providerID === providerID)?.instance.state).toBe('terminated');
    expect(world.api.cache.get('Node', nodeName)).toBeUndefined();
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test('with no NodeClaim: drained and released; its instance, which joinery launched, is terminated; a Node whose instance is gone is released', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 2, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    const nodeName = podsOf(world, 'web')[0]!.spec.nodeName!;
    const providerID = world.api.cache.get('Node', nodeName)!.spec!.providerID!;
    const claim = world.api.cache.list('NodeClaim').find((c) => c.status?.nodeName === nodeName)!;
    // The claim disappears without its termination (say, its finalizer removed by hand).
    await world.api.patchNodeClaim(claim.metadata.name!, { removeFinalizers: [FINALIZER_TERMINATION] });
    await world.api.deleteNodeClaim(claim.metadata.name!);
    expect(world.api.cache.get('NodeClaim', claim.metadata.name!)).toBeUndefined();
    // A Node of no instance EC2 knows, carrying the finalizer all the same.
    world.api.create('Node', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'foreign', finalizers: [FINALIZER_TERMINATION], labels: { 'kubernetes.io/hostname': 'foreign' } },
      spec: { providerID: 'aws:///us-east-1a/i-0f0f0f0f0f0f0f0f0' },
    });

    await world.api.deleteNode(nodeName);
    await world.api.deleteNode('foreign');
    await world.clock.advance(5 * MINUTE);

    const orphan = h.decisions.filter((d) => d.reason === REASON_NODE_DELETED && d.nodes?.includes(nodeName));
    expect(orphan.map((d) => d.action)).toEqual(['terminate', 'terminate', 'terminated']);
    expect(world.ec2.allInstances().find((r) => r.instance.providerID === providerID)?.instance.state).toBe('terminated');
    expect(world.api.cache.get('Node', nodeName)).toBeUndefined();
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName && p.spec.nodeName !== nodeName)).toBe(true);
    expect(world.api.cache.get('Node', 'foreign')).toBeUndefined();
    const foreign = h.decisions.filter((d) => d.reason === REASON_NODE_DELETED && d.nodes?.includes('foreign'));
    // Not Ready and no instance behind it: nothing to drain, released at once (as Karpenter).
    expect(foreign.map((d) => d.action)).toEqual(['terminated']);
    expect(foreign[0]!.message).toContain('is not Ready and its instance is gone');
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);
});
