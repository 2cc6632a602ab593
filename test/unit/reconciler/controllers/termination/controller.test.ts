// The termination controller's handling of a Node deleted through the API with no
// NodeClaim of joinery's: it is drained like any other (a PDB holds the drain), and its
// instance is terminated only when joinery launched it; an instance without joinery's
// tags is never terminated, the Node is released once drained.
import type { Node, Pod } from '../../../../../core/api/k8s.ts';
import { FINALIZER_TERMINATION, TAINT_DISRUPTED, clusterTagKey } from '../../../../../core/contract/index.ts';
import { REASON_NODE_DELETED } from '../../../../../reconciler/controllers/termination/controller.ts';
import type { Instance } from '../../../../../reconciler/ports/cloud.ts';
import { cloudOver, newWorld, nodeClass, nodePool, startReconciler, MINUTE } from '../../../behaviour/fixtures.ts';

const FOREIGN = 'aws:///us-east-1a/i-0123456789abcdef0';

test('a deleted Node of no NodeClaim on an instance not joinery\'s: drained (PDB honoured), released, the instance never terminated', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const foreign: Instance = {
    id: 'i-0123456789abcdef0',
    providerID: FOREIGN,
    instanceType: 'm6i.large',
    zone: 'us-east-1a',
    capacityType: 'on-demand',
    pricePerHour: 0.096,
    state: 'running',
    launchTime: world.clock.now(),
    // A self-managed node group's instance: the cluster tag, no NodePool tag.
    tags: { [clusterTagKey('test')]: 'owned' },
  };
  const deleted: string[] = [];
  const ec2 = world.ec2;
  const cloud = cloudOver(ec2, {
    async get(providerID) {
      return providerID === FOREIGN ? foreign : ec2.get(providerID);
    },
    async delete(providerID) {
      deleted.push(providerID);
      return ec2.delete(providerID);
    },
  });
  const h = await startReconciler(world, {}, cloud);
  const now = new Date(world.clock.now()).toISOString();
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'ng-node', finalizers: [FINALIZER_TERMINATION], labels: { 'kubernetes.io/hostname': 'ng-node' }, creationTimestamp: now },
    spec: { providerID: FOREIGN },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] },
  } as Node;
  world.api.create('Node', node);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'solo', namespace: 'default', labels: { app: 'solo' }, creationTimestamp: now },
    spec: { nodeName: 'ng-node', containers: [{ name: 'main', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  } as Pod;
  world.api.create('Pod', pod);
  world.workloads.applyPodDisruptionBudget({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'solo', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'solo' } }, maxUnavailable: 0 },
  });

  await world.api.deleteNode('ng-node');
  await world.clock.advance(2 * MINUTE);
  const held = world.api.cache.get('Node', 'ng-node');
  expect(held?.metadata.deletionTimestamp).toBeDefined();
  expect(held?.spec?.taints?.some((t) => t.key === TAINT_DISRUPTED.key)).toBe(true);
  expect(world.api.cache.get('Pod', 'solo', 'default')).toBeDefined();
  expect(h.decisions.some((d) => d.action === 'drain-blocked' && d.reason === 'pdb' && d.nodes?.includes('ng-node'))).toBe(true);

  world.api.delete('PodDisruptionBudget', 'solo', 'default');
  await world.clock.advance(1 * MINUTE);
  expect(world.api.cache.get('Pod', 'solo', 'default')).toBeUndefined();
  expect(world.api.cache.get('Node', 'ng-node')).toBeUndefined();
  expect(deleted).not.toContain(FOREIGN);
  const ours = h.decisions.filter((d) => d.reason === REASON_NODE_DELETED);
  expect(ours.map((d) => d.action)).toEqual(['terminate', 'terminated']);
  expect(ours[1]!.message).toBe('node ng-node (no NodeClaim) drained; finalizer removed');
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);
