// NodeVolumeLimits: per CSI driver, the node's CSINode count caps the distinct volumes of its pods.
import type { CSINode } from '../../../../../../core/api/k8s.ts';
import { ERR_MAX_VOLUME_COUNT, nodeVolumeLimits } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-volume-limits.ts';
import { accepted, claim, cluster, node, storage, withClaims } from './cluster.ts';

const EBS = 'ebs.csi.aws.com';
const csiNode = (name: string, count?: number): CSINode => ({ metadata: { name }, spec: { drivers: [{ name: EBS, nodeID: name, ...(count !== undefined ? { allocatable: { count } } : {}) }] } });
const s = (csiNodes: CSINode[]) =>
  storage({
    claims: ['d1', 'd2', 'd3'].map((n) => claim(n, { volumeName: `pv-${n}` })).concat([claim('new', { storageClassName: 'gp3' })]),
    volumes: ['d1', 'd2', 'd3'].map((n) => ({ metadata: { name: `pv-${n}` }, spec: { csi: { driver: EBS, volumeHandle: `vol-${n}` } } })),
    classes: [{ metadata: { name: 'gp3' }, provisioner: EBS, volumeBindingMode: 'WaitForFirstConsumer' }],
    csiNodes,
  });

test('a node whose CSINode allows one EBS volume and has one attached refuses a pod with another; a node without a count or a CSINode takes it', () => {
  const placed = { full: [withClaims('old', ['d1'])], nocount: [withClaims('old2', ['d1'])], nocsinode: [withClaims('old3', ['d1'])] };
  const c = { ...cluster([node('full'), node('nocount'), node('nocsinode')], placed), storage: s([csiNode('full', 1), csiNode('nocount')]) };
  const f = nodeVolumeLimits.prepareFilter(withClaims('p', ['d2']), c);
  expect(f(c.byName('full'))).toEqual([ERR_MAX_VOLUME_COUNT]);
  expect(accepted(f, c)).toEqual(['nocount', 'nocsinode']);
});

test('a volume already attached on the node counts once; an unbound claim counts by its class provisioner', () => {
  const c = { ...cluster([node('n')], { n: [withClaims('old', ['d1'])] }), storage: s([csiNode('n', 2)]) };
  expect(accepted(nodeVolumeLimits.prepareFilter(withClaims('same', ['d1', 'd2']), c), c)).toEqual(['n']);
  expect(accepted(nodeVolumeLimits.prepareFilter(withClaims('more', ['d2', 'new']), c), c)).toEqual([]);
});
