// VolumeBinding: claims must exist and be bound or delayed to their first consumer; a bound
// claim's volume node affinity and a delayed claim's allowedTopologies restrict the nodes.
import type { PersistentVolume, StorageClass } from '../../../../../../core/api/k8s.ts';
import { SchedulingFramework } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/framework.ts';
import { ERR_BIND_CONFLICT, ERR_NODE_CONFLICT, ERR_PV_NOT_EXIST, ERR_UNBOUND_IMMEDIATE, volumeBinding } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/volume-binding.ts';
import { accepted, claim, cluster, node, storage, withClaims, zone } from './cluster.ts';

const ZONE = 'topology.kubernetes.io/zone';
const pvIn = (name: string, z: string): PersistentVolume => ({
  metadata: { name },
  spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [z] }] }] } } },
});
const wffc = (name: string, zones?: string[], provisioner = 'ebs.csi.aws.com'): StorageClass => ({
  metadata: { name },
  provisioner,
  volumeBindingMode: 'WaitForFirstConsumer',
  ...(zones ? { allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: zones }] }] } : {}),
});
const nodes = () => [node('a', { labels: zone('us-east-1a') }), node('b', { labels: zone('us-east-1b') })];

test("a claim bound to a volume in us-east-1b: only the node in us-east-1b, the other has a volume node affinity conflict", () => {
  const c = { ...cluster(nodes()), storage: storage({ claims: [claim('data', { volumeName: 'pv-b' })], volumes: [pvIn('pv-b', 'us-east-1b')] }) };
  const f = volumeBinding.prepareFilter(withClaims('db', ['data']), c);
  expect(accepted(f, c)).toEqual(['b']);
  expect(f(c.nodes[0]!)).toEqual([ERR_NODE_CONFLICT]);
});

test("an unbound WaitForFirstConsumer claim goes where its class's allowedTopologies allow; anywhere without them; nowhere without a provisioner", () => {
  const s = storage({
    claims: [claim('late', { storageClassName: 'gp3-a' }), claim('free', { storageClassName: 'gp3' }), claim('local', { storageClassName: 'local' })],
    classes: [wffc('gp3-a', ['us-east-1a']), wffc('gp3'), wffc('local', undefined, 'kubernetes.io/no-provisioner')],
  });
  const c = { ...cluster(nodes()), storage: s };
  expect(accepted(volumeBinding.prepareFilter(withClaims('x', ['late']), c), c)).toEqual(['a']);
  expect(accepted(volumeBinding.prepareFilter(withClaims('y', ['free']), c), c)).toEqual(['a', 'b']);
  expect(volumeBinding.prepareFilter(withClaims('z', ['local']), c)(c.nodes[0]!)).toEqual([ERR_BIND_CONFLICT]);
});

test('PreFilter: a missing claim, an unbound Immediate claim, a missing class; a claim bound to a missing volume fails on every node', () => {
  const s = storage({
    claims: [claim('now', { storageClassName: 'gp2' }), claim('classless', {}), claim('nosc', { storageClassName: 'missing' }), claim('lost', { volumeName: 'gone' })],
    classes: [{ metadata: { name: 'gp2' }, provisioner: 'ebs.csi.aws.com' }],
  });
  const c = { ...cluster(nodes()), storage: s };
  expect(volumeBinding.preFilter!(withClaims('p', ['nope']), c)).toBe('persistentvolumeclaim "nope" not found');
  expect(volumeBinding.preFilter!(withClaims('p', ['now']), c)).toBe(ERR_UNBOUND_IMMEDIATE);
  expect(volumeBinding.preFilter!(withClaims('p', ['classless']), c)).toBe(ERR_UNBOUND_IMMEDIATE);
  expect(volumeBinding.preFilter!(withClaims('p', ['nosc']), c)).toBe('storageclass.storage.k8s.io "missing" not found');
  expect(volumeBinding.preFilter!(withClaims('p', ['lost']), c)).toBeUndefined();
  expect(volumeBinding.prepareFilter(withClaims('p', ['lost']), c)(c.nodes[0]!)).toEqual([ERR_PV_NOT_EXIST]);
});

test("the framework prints a PreFilter rejection as kube-scheduler does", () => {
  const s = storage({ claims: [claim('now', { storageClassName: 'gp2' })], classes: [{ metadata: { name: 'gp2' }, provisioner: 'ebs.csi.aws.com' }] });
  const c = { ...cluster(nodes()), storage: s };
  expect(new SchedulingFramework({ random: () => 0 }).schedule(withClaims('p', ['now']), c)).toEqual({ message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.' });
  const bound = { ...c, storage: storage({ claims: [claim('data', { volumeName: 'pv-b' })], volumes: [pvIn('pv-b', 'us-east-1c')] }) };
  expect(new SchedulingFramework({ random: () => 0 }).schedule(withClaims('p', ['data']), bound)).toEqual({ message: '0/2 nodes are available: 2 node(s) had volume node affinity conflict.' });
});
