// A NodePool removed from git and pruned, against the real test environment (kube-apiserver
// with its garbage collector in kube-controller-manager, kube-scheduler, moto's EC2): the
// NodeClaims carry an ownerReference to their NodePool, the NodePool carries joinery's
// finalizer, so the prune (background propagation, as `kubectl delete` and Flux's prune)
// leaves the object Terminating while the reconciler replaces its nodes in the other pool,
// one at a time (10% of 3, rounded up), replacements first; then the object goes, and the
// pods run in the other pool.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NodePool } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, DisruptionObserver, FAST_DISRUPTION, disruptionPool, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('removing a NodePool', () => {
  const id = runId();
  const oldName = `${id}-old`;
  const newName = `${id}-new`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-removed`);
  const apps = new Apps(kc, workload.namespace);
  const observer = new DisruptionObserver(kc, [oldName]);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  // The old pool weighs more, so the pods start there; budgets of 0: only the removal may move them.
  const oldPool = (): NodePool => {
    const p = disruptionPool(oldName, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '0' }] });
    return { ...p, spec: { ...p.spec, weight: 50 } };
  };
  const newPool = (): NodePool => disruptionPool(newName, { nodeClass: className, requirements: onlyType('c5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '0' }] });
  const pool = async (name: string) => (await custom.getClusterCustomObject({ ...NODEPOOLS, name }).catch(() => undefined)) as NodePool | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const cls = nodeClass(className, env.network.discoveryTag.value);
    repo.push(generatedFiles([oldPool(), newPool()], [cls]), 'two pools');
    // What Argo CD or Flux does with the commit.
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: oldPool() });
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: newPool() });
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-removed`, options: FAST_DISRUPTION });
    // 1200m each: one pod per 2-vCPU node, three nodes.
    await apps.createDeployment('app', { replicas: 3, cpu: '1200m', memory: '512Mi' });
    await eventually('3 app pods Running on 3 nodes of the old pool', async () => {
      const pods = await workload.pods();
      const claims = await workload.nodeClaims([oldName]);
      return pods.length === 3 && notRunning(pods).length === 0 && claims.length === 3 && new Set(pods.map((p) => p.spec?.nodeName)).size === 3 ? true : undefined;
    }, { timeoutMs: 100_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` });
    await observer.start();
  });

  afterAll(async () => {
    await observer.stop();
    await running?.stop();
    await workload.deleteNamespace();
    for (const name of [oldName, newName]) {
      await custom.patchClusterCustomObject({ ...NODEPOOLS, name, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
      await custom.deleteClusterCustomObject({ ...NODEPOOLS, name }).catch(() => undefined);
    }
    await cleanUpPools(kc, ec2, [oldName, newName]);
    repo?.remove();
  });

  test('a NodePool removed from git and pruned: its nodes are replaced in the other pool one at a time, replacements first; the object goes last', async () => {
    const object = (await pool(oldName))!;
    const old = await workload.nodeClaims([oldName]);
    // Karpenter's ownerReference on every NodeClaim, joinery's finalizer on the pool.
    for (const c of old) expect(c.metadata.ownerReferences).toEqual([{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: oldName, uid: object.metadata.uid, blockOwnerDeletion: true }]);
    await eventually('the finalizer on the NodePool', async () => ((await pool(oldName))?.metadata.finalizers?.includes('joinery.dev/termination') ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });

    repo.push(generatedFiles([newPool()], [nodeClass(className, env.network!.discoveryTag.value)]), 'remove the old pool');
    // The prune: background propagation (kubectl's and Flux's).
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: oldName, propagationPolicy: 'Background' });
    expect((await pool(oldName))?.metadata.deletionTimestamp).toBeDefined();

    await eventually(
      'the old pool, its NodeClaims and its object gone; 3 app pods Running in the new pool',
      async () => {
        if (await pool(oldName)) return undefined;
        if ((await workload.nodeClaims([oldName])).length > 0) return undefined;
        const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
        const nodes = new Set((await workload.nodeClaims([newName])).map((c) => c.status?.nodeName));
        return pods.length === 3 && notRunning(pods).length === 0 && pods.every((p) => nodes.has(p.spec?.nodeName)) ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000, describe: async () => `disrupting over time:\n${observer.describe()}\nnot running: ${(await workload.notRunning()).join(', ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    // One at a time (10% of 3 nodes, rounded up), and each with a replacement launched first.
    expect(observer.maxConcurrent()).toBe(1);
    const removals = running!.decisions.filter((d) => d.controller === 'disruption' && d.reason === 'pool-removed');
    expect(removals.map((d) => d.action)).toEqual(['replace', 'replace', 'replace']);
    for (const t of observer.tracks().filter((t) => old.some((c) => c.metadata.name === t.name))) expect(t.method).toBe('removal');
    expect(running!.decisions.some((d) => d.controller === 'nodepool-termination' && d.action === 'released' && d.nodePool === oldName)).toBe(true);
  });
});
