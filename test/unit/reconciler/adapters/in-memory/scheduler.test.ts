// The simulator's kube-scheduler process: binds in queue order, writes kube-scheduler's
// PodScheduled=False/Unschedulable message (what the reconciler provisions for), counts
// nodes that are not Ready with the node lifecycle controller's taint.
import type { Node, Pod } from '../../../../../core/api/k8s.ts';
import { InMemoryApiServer } from '../../../../../reconciler/adapters/in-memory/apiserver.ts';
import { InMemoryScheduler } from '../../../../../reconciler/adapters/in-memory/scheduler.ts';
import { VirtualClock } from '../../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { node, pod } from './kube-scheduler/cluster.ts';

const START = Date.UTC(2026, 0, 1);

function world() {
  const clock = new VirtualClock(START);
  const api = new InMemoryApiServer(clock, 1);
  new InMemoryScheduler(clock, api, 1);
  return { clock, api };
}

const status = (api: InMemoryApiServer, name: string) => {
  const p = api.cache.get('Pod', name, 'default')!;
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
  return { node: p.spec.nodeName, phase: p.status?.phase, reason: c?.reason, message: c?.message };
};

const unnamed = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, creationTimestamp: undefined } });

test('a pod that fits nowhere stays Pending with kube-scheduler\'s message; a NotReady node counts with its not-ready taint', async () => {
  const { clock, api } = world();
  api.create('Node', node('small', { cpu: '1' }));
  const booting: Node = { ...node('booting', { cpu: '8' }), status: { ...node('booting').status, conditions: [{ type: 'Ready', status: 'False' }] } };
  api.create('Node', booting);
  api.create('Pod', unnamed(pod('web', { cpu: '2' })));
  await clock.advance(1_000);
  expect(status(api, 'web')).toEqual({
    node: undefined,
    phase: 'Pending',
    reason: 'Unschedulable',
    message: '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.',
  });
  // The node turns Ready: the Node update requeues the pod, which binds.
  api.update('Node', 'booting', undefined, (n) => {
    n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'True' }] };
  });
  await clock.advance(1_000);
  expect(status(api, 'web')).toMatchObject({ node: 'booting', phase: 'Running' });
});

test('two pods with hostPort 8080 and one node: kube-scheduler binds one, the other waits for a node with the port free', async () => {
  const { clock, api } = world();
  api.create('Node', node('n1'));
  api.create('Pod', unnamed(pod('ingress-a', { hostPort: 8080 })));
  api.create('Pod', unnamed(pod('ingress-b', { hostPort: 8080 })));
  await clock.advance(1_000);
  expect(status(api, 'ingress-a').node).toBe('n1');
  expect(status(api, 'ingress-b')).toMatchObject({ node: undefined, message: "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports." });
});

test('queue order: the higher-priority pod gets the last room, though created later', async () => {
  const { clock, api } = world();
  api.create('Pod', unnamed(pod('batch', { cpu: '3' })));
  await clock.advance(1_000);
  api.create('Pod', unnamed(pod('payments', { cpu: '3', priority: 1000 })));
  await clock.advance(1_000);
  expect(status(api, 'batch').message).toBe('no nodes available to schedule pods');
  api.create('Node', node('n1', { cpu: '4' }));
  await clock.advance(1_000);
  expect(status(api, 'payments').node).toBe('n1');
  expect(status(api, 'batch')).toMatchObject({ node: undefined, message: '0/1 nodes are available: 1 Insufficient cpu.' });
});

describe('volumes', () => {
  const ZONE = 'topology.kubernetes.io/zone';
  const withClaim = (name: string, claimName: string) => unnamed(pod(name, { cpu: '1', volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] }));
  const zonal = (name: string, z: string) => node(name, { labels: { [ZONE]: z } });

  test('a pod whose claim is bound to a volume in us-east-1b binds only to the node in us-east-1b', async () => {
    const { clock, api } = world();
    api.create('Node', zonal('a', 'us-east-1a'));
    api.create('PersistentVolume', { metadata: { name: 'pv-b', labels: { [ZONE]: 'us-east-1b' } }, spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-b' } } });
    api.create('PersistentVolumeClaim', { metadata: { name: 'data', namespace: 'default' }, spec: { volumeName: 'pv-b' } });
    api.create('Pod', withClaim('db', 'data'));
    await clock.advance(1_000);
    expect(status(api, 'db')).toMatchObject({ node: undefined, message: '0/1 nodes are available: 1 node(s) had no available volume zone.' });
    api.create('Node', zonal('b', 'us-east-1b'));
    await clock.advance(1_000);
    expect(status(api, 'db').node).toBe('b');
  });

  test("an unbound WaitForFirstConsumer claim is provisioned in the zone of the node its pod binds to, and later pods of the claim follow it there", async () => {
    const { clock, api } = world();
    api.create('StorageClass', { metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' });
    api.create('PersistentVolumeClaim', { metadata: { name: 'scratch', namespace: 'default' }, spec: { storageClassName: 'gp3' } });
    api.create('Node', zonal('only', 'us-east-1c'));
    api.create('Pod', withClaim('first', 'scratch'));
    await clock.advance(1_000);
    expect(status(api, 'first').node).toBe('only');
    const bound = api.cache.get('PersistentVolumeClaim', 'scratch', 'default')!;
    const pv = api.cache.get('PersistentVolume', bound.spec!.volumeName!)!;
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]!.matchExpressions).toEqual([{ key: ZONE, operator: 'In', values: ['us-east-1c'] }]);
    expect(pv.spec?.csi?.driver).toBe('ebs.csi.aws.com');
    api.create('Node', zonal('other', 'us-east-1a'));
    api.create('Pod', withClaim('second', 'scratch'));
    await clock.advance(1_000);
    expect(status(api, 'second').node).toBe('only');
  });

  test('an unbound claim of an Immediate class leaves the pod Pending with kube-scheduler\'s message until it binds', async () => {
    const { clock, api } = world();
    api.create('Node', zonal('a', 'us-east-1a'));
    api.create('StorageClass', { metadata: { name: 'gp2' }, provisioner: 'ebs.csi.aws.com' });
    api.create('PersistentVolumeClaim', { metadata: { name: 'early', namespace: 'default' }, spec: { storageClassName: 'gp2' } });
    api.create('Pod', withClaim('waits', 'early'));
    await clock.advance(1_000);
    expect(status(api, 'waits')).toMatchObject({ node: undefined, message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.' });
    api.create('PersistentVolume', { metadata: { name: 'pv-a' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1a'] }] }] } } } });
    api.update('PersistentVolumeClaim', 'early', 'default', (c) => {
      c.spec = { ...c.spec, volumeName: 'pv-a' };
    });
    await clock.advance(1_000);
    expect(status(api, 'waits').node).toBe('a');
  });
});
