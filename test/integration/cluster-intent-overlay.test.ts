// The cluster IntentSource (--intent-source cluster) reads NodeOverlays with the NodePools
// and EC2NodeClasses Argo CD applied: an overlay applied to the cluster joins the intent,
// a change of its spec changes the intent, its status (the reconciler's write) does not,
// and once deleted it leaves the intent.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { ClusterIntentSource } from '../../reconciler/adapters/cluster-intent/index.ts';
import { eventually, testEnv } from '../env/index.ts';
import { nodeClass, nodePool } from './support/manifests.ts';
import { runId } from './support/workload.ts';

const env = testEnv();
const custom = env.kubeConfig().makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const NODECLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };
const OVERLAYS = { group: 'karpenter.sh', version: 'v1alpha1', plural: 'nodeoverlays' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('cluster intent source: NodeOverlays', () => {
  const id = runId();
  const pool = `${id}-ov`;
  const cls = `${id}-ov`;
  const name = `${id}-discount`;
  let source: ClusterIntentSource | undefined;

  afterAll(async () => {
    await source?.stop();
    await custom.deleteClusterCustomObject({ ...OVERLAYS, name }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: pool }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODECLASSES, name: cls }).catch(() => undefined);
  });

  test('an overlay in the cluster is in the intent; its spec changes it, its status does not; deleted, it leaves', async () => {
    if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
    await custom.createClusterCustomObject({ ...NODECLASSES, body: nodeClass(cls, env.network.discoveryTag.value) });
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: nodePool(pool, { nodeClass: cls }) });
    const overlay: NodeOverlay = {
      apiVersion: 'karpenter.sh/v1alpha1',
      kind: 'NodeOverlay',
      metadata: { name },
      spec: { requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: [pool] }], priceAdjustment: '-10%', weight: 3 },
    };
    await custom.createClusterCustomObject({ ...OVERLAYS, body: overlay });

    source = new ClusterIntentSource({ kubeconfigPath: env.kubeconfigPath, debounceMs: 300 });
    await source.start();
    const mine = () => source!.current()?.nodeOverlays?.find((o) => o.metadata.name === name);
    const first = await eventually('the overlay in the intent', async () => mine());
    expect(first.spec).toEqual(overlay.spec);
    expect(source.current()?.nodePools.map((p) => p.metadata.name)).toContain(pool);

    // A new adjustment: a new intent carrying it.
    const commitBefore = source.current()!.commit;
    await custom.patchClusterCustomObject({ ...OVERLAYS, name, body: { spec: { priceAdjustment: '-25%' } } }, MERGE);
    await eventually('the new adjustment in the intent', async () => (mine()?.spec.priceAdjustment === '-25%' ? true : undefined));
    expect(source.current()!.commit).not.toBe(commitBefore);

    // The reconciler's status write is not intent.
    const commitAfterEdit = source.current()!.commit;
    await custom.patchClusterCustomObjectStatus(
      { ...OVERLAYS, name, body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: new Date().toISOString() }] } } },
      MERGE,
    );
    // Nothing to wait for when nothing may happen: longer than the source's debounce (300 ms).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(source.current()!.commit).toBe(commitAfterEdit);

    await custom.deleteClusterCustomObject({ ...OVERLAYS, name });
    await eventually('the overlay gone from the intent', async () => (mine() === undefined ? true : undefined));
    expect(source.lastRejection()).toBeUndefined();
  }, 60_000);
});
