// Graceful termination against the real test environment. A node expires (forceful: its
// replacement is launched first, then it is drained) while a PodDisruptionBudget with
// maxUnavailable 0 covers its pods: the Eviction API refuses, the drain waits, and the
// reconciler says so (a decision, a Warning Event on the Node, and `joinery explain node`).
// Then the reconciler is killed mid-drain (SIGKILL, a process of its own) and the PDB
// relaxed while nothing runs; a new reconciler process resumes from what the API server and
// EC2 hold: it drains, terminates the instance, releases the finalizers, and launches nothing.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, DisruptionObserver, FAST_DISRUPTION, disruptionPool, explainCli, notRunning, onlyType, spawnReconciler, type ChildReconciler } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

function lines(decisions: ChildReconciler['decisions']): string {
  return decisions.slice(-25).map((d) => `  ${d.controller} ${d.action} ${d.reason}: ${d.message}`).join('\n');
}

describe('a drain blocked by a PodDisruptionBudget, and a reconciler killed mid-drain', () => {
  const id = runId();
  const poolName = `${id}-db`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-drain`);
  const apps = new Apps(kc, workload.namespace);
  const observer = new DisruptionObserver(kc, [poolName]);
  const cli = explainCli(env);
  let repo: PolicyRepo;
  let first: ChildReconciler | undefined;
  let second: ChildReconciler | undefined;
  let old: NodeClaim;
  let replacement: NodeClaim;

  const pool = (expireAfter: string) =>
    disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), expireAfter, consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });

  function push(expireAfter: string, message: string): void {
    const files = generatedFiles([pool(expireAfter)], [nodeClass(className, env.network!.discoveryTag.value)]);
    repo.push(files, message);
    cli.write(files); // the same manifests for `joinery explain --generated`
  }

  const options = { ...FAST_DISRUPTION };

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    push('45s', 'db pool, nodes expire after 45s');
    await workload.createNamespace();
    await observer.start();
    first = await spawnReconciler({ repo, logName: `reconciler-${id}-drain-1`, options });
    await apps.createDeployment('db', { replicas: 2, cpu: '700m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    await apps.createPdb('db', 'db', { maxUnavailable: 0 });
    [old] = await eventually('both db pods Running on one node, the PDB allowing no disruption', async () => {
      const pods = await workload.pods();
      const claims = await workload.nodeClaims([poolName]);
      return pods.length === 2 && notRunning(pods).length === 0 && claims.length === 1 && (await apps.pdbAllows('db')) === 0 ? claims : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${lines(first!.decisions)}` });
    // The replacement is not to expire during the test: a claim keeps the expireAfter it was created with.
    push('720h', 'db pool, nodes expire after 30 days');
  });

  afterAll(async () => {
    await observer.stop();
    await first?.stop();
    await second?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
    cli.remove();
  });

  test('the PDB blocks the drain of the expired node; the decision log, an Event and `joinery explain node` say so', async () => {
    const oldName = old.metadata.name!;
    const oldNode = old.status!.nodeName!;
    replacement = await eventually(
      'the expired node replaced and its drain started',
      async () => {
        const claims = await workload.nodeClaims([poolName]);
        const o = claims.find((c) => c.metadata.name === oldName);
        const r = claims.find((c) => c.metadata.annotations?.['joinery.dev/replaces'] === oldName);
        return o?.metadata.deletionTimestamp && r ? r : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1_000, describe: () => `${observer.describe()}\n${lines(first!.decisions)}` },
    );
    const blocked = await eventually(
      'the drain reported blocked by the PDB',
      async () => first!.decisions.find((d) => d.controller === 'termination' && d.action === 'drain-blocked' && d.reason === 'pdb'),
      { timeoutMs: 30_000, intervalMs: 500, describe: () => lines(first!.decisions) },
    );
    expect(blocked.nodes).toEqual([oldNode]);
    expect(blocked.message).toMatch(new RegExp(`node ${oldNode}: eviction of ${workload.namespace}/db-.+ refused: a PodDisruptionBudget allows no disruption now`));
    // joinery's DrainBlockedByPDB, and Karpenter's FailedDraining for alerts written against Karpenter.
    const [event, failedDraining] = await eventually('DrainBlockedByPDB and FailedDraining Events on the Node', async () => {
      const events = await workload.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${oldNode}` });
      const own = events.items.find((e) => e.reason === 'DrainBlockedByPDB');
      const karpenters = events.items.find((e) => e.reason === 'FailedDraining');
      return own && karpenters ? [own, karpenters] : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500 });
    expect(event.type).toBe('Warning');
    expect(event.involvedObject.kind).toBe('Node');
    expect(failedDraining.type).toBe('Warning');
    expect(failedDraining.message).toMatch(/^Failed to drain node, eviction of .+ refused: a PodDisruptionBudget allows no disruption now/);

    // It stays blocked: both pods still on the old node, its instance still running.
    await new Promise((r) => setTimeout(r, 5_000));
    const pods = await workload.pods();
    expect(pods.map((p) => p.spec?.nodeName)).toEqual([oldNode, oldNode]);
    const providerID = old.status!.providerID!;
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [providerID.slice(providerID.lastIndexOf('/') + 1)] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');

    const e = await cli.explain(oldNode);
    expect(e.verdict).toBe('terminating');
    expect(e.summary).toMatch(new RegExp(`\\(expiration .*\\), drain blocked: PodDisruptionBudget ${workload.namespace}/db allows no eviction of ${workload.namespace}/db-`));
    expect(e.checks.filter((c) => c.check === 'pdb' && c.status === 'blocks')).toHaveLength(2);
  }, 360_000);

  test('killed mid-drain and started again, the reconciler finishes the drain, terminates the instance and launches nothing', async () => {
    const oldName = old.metadata.name!;
    const oldNode = old.status!.nodeName!;
    await first!.kill();
    // While no reconciler runs, the PDB is removed: nobody evicts. (Removed, not relaxed: the
    // test environment's pods can lose their Ready condition when kwok's heartbeats lag, and
    // a PDB counts only Ready pods as healthy.)
    await apps.policy.deleteNamespacedPodDisruptionBudget({ name: 'db', namespace: workload.namespace });
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await workload.pods()).map((p) => p.spec?.nodeName)).toEqual([oldNode, oldNode]);
    expect((await workload.nodeClaims([poolName])).find((c) => c.metadata.name === oldName)?.metadata.deletionTimestamp).toBeTruthy();

    second = await spawnReconciler({ repo: { url: repo.url, cacheDir: `${repo.cacheDir}-2` }, logName: `reconciler-${id}-drain-2`, options });
    await eventually(
      'the old node drained, terminated and released',
      async () => {
        const claims = await workload.nodeClaims([poolName]);
        const nodes = (await workload.core.listNode()).items.map((n) => n.metadata!.name!);
        const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
        return observer.isGone(oldName) && !nodes.includes(oldNode) && claims.length === 1 && pods.length === 2 && notRunning(pods).length === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, describe: async () => `${(await workload.notRunning()).join('\n')}\n${observer.describe()}\n${lines(second!.decisions)}` },
    );
    const providerID = old.status!.providerID!;
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [providerID.slice(providerID.lastIndexOf('/') + 1)] }));
    expect(['shutting-down', 'terminated']).toContain(out.Reservations?.[0]?.Instances?.[0]?.State?.Name);
    // Every pod on the replacement, which is the only claim: the restart launched nothing new.
    const claims = await workload.nodeClaims([poolName]);
    expect(claims.map((c) => c.metadata.name)).toEqual([replacement.metadata.name]);
    for (const p of await workload.pods()) expect(p.spec?.nodeName).toBe(claims[0]!.status?.nodeName);
    expect(second!.decisions.filter((d) => d.action === 'launch' || d.action === 'replace')).toEqual([]);
    expect(second!.decisions.find((d) => d.controller === 'termination' && d.action === 'terminated')?.nodeClaims).toEqual([oldName]);
  });
});
