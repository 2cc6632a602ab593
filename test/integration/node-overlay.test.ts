// NodeOverlay on the real environment: an overlay that discounts one instance family in
// one NodePool makes the reconciler launch that family there (EC2, i.e. moto, runs it),
// while an identical pool without the overlay launches the cheaper family; the overlay
// object Argo CD applied to the cluster gets Ready=True. A malformed priceAdjustment is
// refused by the kube-apiserver (the CRD's pattern) and, in a commit, by the reconciler,
// which keeps the last good intent and its overlay.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const OVERLAYS = { group: 'karpenter.sh', version: 'v1alpha1', plural: 'nodeoverlays' };
const discovery = () => {
  if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
  return env.network.discoveryTag.value;
};

function overlay(name: string, spec: NodeOverlay['spec']): NodeOverlay {
  return { apiVersion: 'karpenter.sh/v1alpha1', kind: 'NodeOverlay', metadata: { name }, spec };
}

describe('NodeOverlay', () => {
  const id = runId();
  const cls = `${id}-overlay`;
  // Two identical pools: c5 or m5, large or xlarge, on demand. c5.large ($0.085) is the
  // cheapest for a small pod; m5.large ($0.096) becomes $0.0672 under a -30% overlay.
  const pools = { discounted: `${id}-disc`, plain: `${id}-plain` };
  const requirements = [
    { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] },
    { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['c5', 'm5'] },
    { key: 'karpenter.k8s.aws/instance-size', operator: 'In' as const, values: ['large', 'xlarge'] },
  ];
  const discount = overlay(`${id}-m5-discount`, {
    requirements: [
      { key: 'karpenter.sh/nodepool', operator: 'In', values: [pools.discounted] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] },
    ],
    priceAdjustment: '-30%',
    weight: 10,
  });
  const manifests = (overlays: NodeOverlay[]) =>
    generatedFiles(
      [nodePool(pools.discounted, { nodeClass: cls, requirements }), nodePool(pools.plain, { nodeClass: cls, requirements })],
      [nodeClass(cls, discovery())],
      overlays,
    );
  const workload = new Workload(kc, `${id}-overlay`);
  let repo: PolicyRepo;
  let running: RunningReconciler;
  let goodCommit: string;

  beforeAll(async () => {
    repo = createPolicyRepo();
    goodCommit = repo.push(manifests([discount]), 'two pools, an m5 discount on one');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-overlay` });
    // As Argo CD syncs generated/, after the reconciler read the commit: the overlay object
    // arrives in the cluster (its status is written once it is there).
    await custom.createClusterCustomObject({ ...OVERLAYS, body: discount });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, Object.values(pools));
    await custom.deleteClusterCustomObject({ ...OVERLAYS, name: discount.metadata.name! }).catch(() => undefined);
    repo?.remove();
  });

  test('a -30% priceAdjustment on m5 in one pool: that pool launches m5.large, the same pool without it c5.large; the overlay is Ready', async () => {
    const ns = workload.namespace;
    await workload.createPods([
      podManifest('discounted', ns, { cpu: '500m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pools.discounted } }),
      podManifest('plain', ns, { cpu: '500m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pools.plain } }),
    ]);
    const instances = await eventually(
      'one instance per pool in EC2',
      async () => {
        const list = await instancesOfPools(ec2, Object.values(pools));
        const byPool = new Map(list.map((i) => [tagsOf(i)['karpenter.sh/nodepool'], i.InstanceType]));
        return byPool.size === 2 ? byPool : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `decisions:\n${describeDecisions(running)}` },
    );
    expect(instances.get(pools.discounted)).toBe('m5.large');
    expect(instances.get(pools.plain)).toBe('c5.large');

    const conditions = await eventually(
      'the overlay Ready in the cluster',
      async () => {
        const o = (await custom.getClusterCustomObject({ ...OVERLAYS, name: discount.metadata.name! })) as NodeOverlay;
        const c = o.status?.conditions ?? [];
        return c.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'ValidationSucceeded', status: 'True' }));
  }, 150_000);

  test('a malformed priceAdjustment: the kube-apiserver refuses the object, and the reconciler the commit (the last good intent and its overlay stay)', async () => {
    const bad = overlay(`${id}-bad`, { requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: [pools.plain] }], priceAdjustment: '10%' });
    const refused = await custom.createClusterCustomObject({ ...OVERLAYS, body: bad }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; body?: unknown },
    );
    await custom.deleteClusterCustomObject({ ...OVERLAYS, name: bad.metadata.name! }).catch(() => undefined);
    expect(refused?.code).toBe(422);
    expect(String(refused?.body)).toContain('spec.priceAdjustment');

    repo.push(manifests([discount, bad]), 'a malformed overlay');
    const rejection = await eventually(
      'the commit with the malformed overlay rejected',
      async () => {
        await running.intent.refresh();
        const r = running.intent.lastRejection();
        return r && r.problems.some((p) => p.file.includes(`nodeoverlays/${bad.metadata.name}.yaml`)) ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    expect(rejection.problems).toContainEqual(expect.objectContaining({ field: 'spec.priceAdjustment', message: expect.stringContaining('"10%"') }));
    expect(running.intent.current()?.commit).toBe(goodCommit);
    expect(running.intent.current()?.nodeOverlays?.map((o) => o.metadata.name)).toEqual([discount.metadata.name]);
  }, 60_000);
});
