// The production adapter's Node patch (a JSON Patch guarded by tests of the lists it
// replaces) against the real kube-apiserver: registration's patch with a status write
// before it and another writer's finalizer and taint around it loses nothing (a failed
// test is re-read and retried), an absent finalizer list is added behind a test of null,
// label keys with "/" are escaped, and cordon and uncordon go the same way.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubernetesCluster } from '../../reconciler/adapters/kubernetes/cluster.ts';
import { eventually, testEnv } from '../env/index.ts';
import { runId } from './support/workload.ts';

const env = testEnv();
const core = env.kubeConfig().makeApiClient(CoreV1Api);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let attempt = 0;

test('patchNode loses no concurrent taint or finalizer, is not failed by a status write, and cordons and uncordons', async () => {
  attempt += 1;
  const name = `${runId()}-np${attempt}`;
  await core.createNode({ body: { metadata: { name }, spec: { taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] } } });
  const cluster = new KubernetesCluster({ kubeConfig: env.kubeConfig() });
  try {
    await cluster.waitForSync();
    await eventually('the adapter caches the node', async () => cluster.cache.get('Node', name));
    // Another writer adds a finalizer, then a taint while the adapter patches from its cached
    // copy, which cannot have seen the taint (it is sent first, not yet answered); a status
    // write moved the resourceVersion before. Nothing may be lost either way round.
    await core.patchNodeStatus({ name, body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Booting', message: 'test', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }] } } }, MERGE_PATCH);
    await core.patchNode({ name, body: [{ op: 'add', path: '/metadata/finalizers', value: ['example.com/keep'] }] }, JSON_PATCH);
    const other = core.patchNode({ name, body: [{ op: 'add', path: '/spec/taints/-', value: { key: 'example.com/other', effect: 'NoSchedule' } }] }, JSON_PATCH);
    const ours = cluster.patchNode(name, { labels: { 'karpenter.sh/registered': 'true' }, addFinalizers: ['karpenter.sh/termination'], removeTaints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }], addTaints: [{ key: 'example.com/mine', effect: 'NoSchedule' }] });
    await Promise.all([other, ours]);

    const after = await core.readNode({ name });
    const taints = (after.spec?.taints ?? []).map((t) => t.key).filter((k) => !k.startsWith('node.kubernetes.io/'));
    expect(taints.sort()).toEqual(['example.com/mine', 'example.com/other']);
    expect([...(after.metadata?.finalizers ?? [])].sort()).toEqual(['example.com/keep', 'karpenter.sh/termination']);
    expect(after.metadata?.labels?.['karpenter.sh/registered']).toBe('true');

    // Cordon and uncordon through the same path.
    await cluster.patchNode(name, { unschedulable: true });
    expect((await core.readNode({ name })).spec?.unschedulable).toBe(true);
    await eventually('the cache sees the cordon', async () => (cluster.cache.get('Node', name)?.spec?.unschedulable ? true : undefined));
    await cluster.patchNode(name, { unschedulable: false, removeFinalizers: ['karpenter.sh/termination', 'example.com/keep'] });
    const last = await core.readNode({ name });
    expect(last.spec?.unschedulable ?? false).toBe(false);
    expect(last.metadata?.finalizers ?? []).toEqual([]);
  } finally {
    await cluster.stop();
    await core.patchNode({ name, body: { metadata: { finalizers: null } } }, MERGE_PATCH).catch(() => undefined);
    await core.deleteNode({ name }).catch(() => undefined);
  }
}, 60_000);
