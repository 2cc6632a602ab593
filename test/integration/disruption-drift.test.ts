// Drift against the real test environment: a policy commit that changes a NodePool's
// requirements (m5.large -> c5.large) drifts every node of the pool. Under a disruption
// budget of one node, the reconciler replaces them one at a time — the test watches every
// NodeClaim change and records how many were being disrupted at once, for the whole
// rollout — launching each replacement before draining the old node. The NodePool's status
// (as Argo CD or Flux applied it) reports the rollout and turns RolledOut when it is done.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { NodePool, StatusCondition } from '../../core/api/karpenter.ts';
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
const ROLLED_OUT = 'joinery.dev/PolicyRolledOut';

describe('a policy commit that changes requirements', () => {
  const id = runId();
  const poolName = `${id}-roll`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-drift`);
  const apps = new Apps(kc, workload.namespace);
  const observer = new DisruptionObserver(kc, [poolName]);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  const seenConditions: StatusCondition[] = [];

  const pool = (type: string): NodePool =>
    // Budget: one node at a time. Consolidation never: only drift may act.
    disruptionPool(poolName, { nodeClass: className, requirements: onlyType(type), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '1' }] });

  /** What Argo CD or Flux does with a commit: the cluster's NodePool object follows it. */
  async function applyPool(p: NodePool): Promise<void> {
    const existing = await custom.getClusterCustomObject({ ...NODEPOOLS, name: poolName }).catch(() => undefined);
    if (!existing) {
      await custom.createClusterCustomObject({ ...NODEPOOLS, body: p });
      return;
    }
    const rv = (existing as NodePool).metadata.resourceVersion;
    await custom.replaceClusterCustomObject({ ...NODEPOOLS, name: poolName, body: { ...p, metadata: { ...p.metadata, resourceVersion: rv } } });
  }

  async function rolledOut(): Promise<StatusCondition | undefined> {
    const p = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: poolName })) as NodePool;
    const c = p.status?.conditions?.find((x) => x.type === ROLLED_OUT);
    if (c && !seenConditions.some((s) => s.status === c.status && s.message === c.message)) seenConditions.push(c);
    return c;
  }

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const initial = pool('m5.large');
    repo.push(generatedFiles([initial], [nodeClass(className, env.network.discoveryTag.value)]), 'roll pool on m5.large');
    await applyPool(initial);
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-drift`, options: FAST_DISRUPTION });
    // 1200m each: one pod per 2-vCPU node, three nodes.
    await apps.createDeployment('app', { replicas: 3, cpu: '1200m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    await eventually('3 app pods Running on 3 nodes', async () => {
      const pods = await workload.pods();
      return pods.length === 3 && notRunning(pods).length === 0 && new Set(pods.map((p) => p.spec?.nodeName)).size === 3 ? true : undefined;
    }, { timeoutMs: 100_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` });
    await observer.start();
  });

  afterAll(async () => {
    await observer.stop();
    await running?.stop();
    await workload.deleteNamespace();
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: poolName }).catch(() => undefined);
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('rolls every old node under a budget of one, never more than one at a time, replacement first', async () => {
    const old = (await workload.nodeClaims([poolName])).map((c) => c.metadata.name!);
    expect(old).toHaveLength(3);
    await eventually('the rollout condition True before the commit', async () => ((await rolledOut())?.status === 'True' ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });

    const next = pool('c5.large');
    const commit = repo.push(generatedFiles([next], [nodeClass(className, env.network!.discoveryTag.value)]), 'roll pool: c5.large only');
    await applyPool(next);

    await eventually(
      'every old node replaced by a c5.large',
      async () => {
        await rolledOut();
        const claims = await workload.nodeClaims([poolName]);
        const current = claims.filter((c) => !c.metadata.deletionTimestamp);
        const done = old.every((n) => observer.isGone(n)) && current.length === 3 && current.every((c) => c.metadata.labels?.['node.kubernetes.io/instance-type'] === 'c5.large');
        return done ? current : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1_000, describe: () => `disrupting over time:\n${observer.describe()}\ndecisions:\n${describeDecisions(running!)}` },
    );

    // The budget held throughout: never two nodes disrupted at once, and the rollout did happen.
    expect(observer.maxConcurrent()).toBe(1);
    const tracks = observer.tracks().filter((t) => old.includes(t.name));
    for (const t of tracks) expect(t.method).toBe('drift');
    // One at a time means strictly sequential: each old node was gone before the next was chosen.
    const chosen = tracks.map((t) => ({ name: t.name, at: t.markedAt ?? t.deletingAt!, gone: t.goneAt! })).sort((a, b) => a.at - b.at);
    for (let i = 1; i < chosen.length; i++) expect(chosen[i]!.at).toBeGreaterThanOrEqual(chosen[i - 1]!.gone);
    // Replacement first: each drift decision launched a replacement, and each replacement carries the new commit.
    const replaces = running!.decisions.filter((d) => d.controller === 'disruption' && d.reason === 'drifted');
    expect(replaces.map((d) => d.action)).toEqual(['replace', 'replace', 'replace']);
    for (const c of await workload.nodeClaims([poolName])) {
      expect(c.metadata.labels?.['joinery.dev/policy-commit']).toBe(commit);
      expect(c.metadata.annotations?.['joinery.dev/replaces']).toBeTruthy();
    }

    await eventually('the 3 app pods Running on the new nodes', async () => {
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      const nodes = new Set((await workload.nodeClaims([poolName])).map((c) => c.status?.nodeName));
      return pods.length === 3 && notRunning(pods).length === 0 && pods.every((p) => nodes.has(p.spec?.nodeName)) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, describe: async () => (await workload.notRunning()).join('\n') });

    // Status: the rollout was reported in progress, then done, on the commit.
    const done = await eventually('RolledOut True on the new commit', async () => {
      const c = await rolledOut();
      return c?.status === 'True' && c.message?.includes(commit.slice(0, 12)) ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, describe: () => JSON.stringify(seenConditions, null, 1) });
    expect(done.reason).toBe('RolledOut');
    expect(done.message).toMatch(/3\/3 nodes up to date, 0 drifted, 0 being replaced/);
    const progressing = seenConditions.filter((c) => c.status === 'False');
    expect(progressing.length).toBeGreaterThan(0);
    expect(progressing[0]).toMatchObject({ reason: 'RollingOut' });
    expect(progressing[0]!.message).toMatch(new RegExp(`commit ${commit.slice(0, 12)}: \\d/3 nodes up to date, \\d drifted, \\d being replaced`));
  });
});
