// The intent the reconciler follows, against the real test environment. A bad commit
// pushed to a real repository (file:// URL) is rejected: the last good intent stays in
// force, the fleet is not touched, and the rejection is reported (log line with the
// commit, file and field; metric; NodePool condition). New pods keep being provisioned
// under the good commit, and a fixed commit is followed again.
// Also the cluster IntentSource: NodePools and EC2NodeClasses applied to the cluster.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import { ClusterIntentSource } from '../../reconciler/adapters/cluster-intent/index.ts';
import type { IntentEvent } from '../../reconciler/ports/intent.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const NODECLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };

const discovery = () => {
  if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
  return env.network.discoveryTag.value;
};

async function applyToCluster(pools: NodePool[], classes: EC2NodeClass[]): Promise<void> {
  for (const c of classes) await custom.createClusterCustomObject({ ...NODECLASSES, body: c });
  for (const p of pools) await custom.createClusterCustomObject({ ...NODEPOOLS, body: p });
}

async function removeFromCluster(pools: string[], classes: string[]): Promise<void> {
  for (const name of pools) {
    // The reconciler (stopped by now) put joinery's termination finalizer on the pool.
    await custom.patchClusterCustomObject({ ...NODEPOOLS, name, body: { metadata: { finalizers: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name }).catch(() => undefined);
  }
  for (const name of classes) await custom.deleteClusterCustomObject({ ...NODECLASSES, name }).catch(() => undefined);
}

describe('a bad policy commit', () => {
  const id = runId();
  const pool = `${id}-web`;
  const cls = `${id}-default`;
  const workload = new Workload(kc, `${id}-intent`);
  let repo: PolicyRepo;
  let running: RunningReconciler;
  let good = '';
  const events: IntentEvent[] = [];
  const webPool = () =>
    nodePool(pool, {
      nodeClass: cls,
      requirements: [
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ],
    });

  beforeAll(async () => {
    repo = createPolicyRepo();
    good = repo.push(generatedFiles([webPool()], [nodeClass(cls, discovery())]), 'web pool');
    // As Argo CD would: the same objects in the cluster, so their status can carry conditions.
    await applyToCluster([webPool()], [nodeClass(cls, discovery())]);
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-intent` });
    running.intent.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    await removeFromCluster([pool], [cls]);
    repo?.remove();
  });

  test('is rejected and reported; the fleet and the intent stay as they were; pods keep being provisioned under the good commit', async () => {
    await workload.createPods([podManifest('before', workload.namespace, { cpu: '500m', memory: '512Mi' })]);
    await eventually('the first pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      describe: () => describeDecisions(running),
    });
    const fleetBefore = (await instancesOfPools(ec2, [pool])).map((i) => i.InstanceId).sort();
    expect(fleetBefore).toHaveLength(1);

    // A commit that would take the pool away (renamed) and whose new pool is invalid.
    const broken = nodePool(`${id}-renamed`, { nodeClass: cls });
    broken.spec.template.spec.requirements[0]!.operator = 'Within' as never;
    const bad = repo.push(generatedFiles([broken], [nodeClass(cls, discovery())]), 'rename the web pool (broken)');
    await running.intent.refresh();

    const rejection = running.intent.lastRejection();
    expect(rejection?.commit).toBe(bad);
    expect(rejection?.problems).toContainEqual(
      expect.objectContaining({ file: `generated/nodepools/${id}-renamed.yaml`, field: 'spec.template.spec.requirements[0].operator' }),
    );
    expect(running.intent.current()?.commit).toBe(good);
    expect(events.map((e) => e.type)).toEqual(['rejected']);
    const logged = running.logs.find((l) => l.msg === 'policy commit rejected; the last good intent stays in force');
    expect(logged).toMatchObject({ commit: bad, commitInForce: good });
    expect(String(logged?.problems)).toContain(`generated/nodepools/${id}-renamed.yaml: spec.template.spec.requirements[0].operator`);
    const metrics = await running.metrics.registry.getSingleMetricAsString('joinery_intent_rejected_commits_total');
    expect(metrics).toMatch(/joinery_intent_rejected_commits_total 1$/m);

    // The NodePool in the cluster says so.
    const condition = await eventually('the NodePool condition naming the rejected commit', async () => {
      const np = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: pool })) as NodePool;
      const c = np.status?.conditions?.find((x) => x.type === 'joinery.dev/PolicyCommitAccepted');
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.message).toContain(bad.slice(0, 12));
    expect(condition.message).toContain(`generated/nodepools/${id}-renamed.yaml`);

    // The fleet is untouched a while later: same instances, none terminating, claims intact.
    await new Promise((r) => setTimeout(r, 8_000));
    expect((await instancesOfPools(ec2, [pool])).map((i) => i.InstanceId).sort()).toEqual(fleetBefore);
    const claims = await workload.nodeClaims([pool]);
    expect(claims.every((c) => !c.metadata.deletionTimestamp)).toBe(true);
    expect(running.decisions.filter((d) => ['delete', 'replace', 'terminate'].includes(d.action))).toEqual([]);

    // New pods are provisioned under the intent in force: the good commit.
    await workload.createPods([podManifest('after', workload.namespace, { cpu: '1500m', memory: '1Gi' })]);
    await eventually('the second pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      describe: () => describeDecisions(running),
    });
    const newest = (await workload.nodeClaims([pool])).filter((c) => !claims.some((o) => o.metadata.name === c.metadata.name));
    expect(newest.length).toBeGreaterThan(0);
    for (const c of newest) expect(c.metadata.labels?.['joinery.dev/policy-commit']).toBe(good);
    for (const i of await instancesOfPools(ec2, [pool])) expect(tagsOf(i)['joinery.dev/policy-commit']).toBe(good);

    // A fixed commit is followed again, and the condition turns back.
    const fixed = repo.push(generatedFiles([webPool()], [nodeClass(cls, discovery(), { tags: { 'joinery.dev/test': 'reconciler', team: 'web' } })]), 'fix');
    await running.intent.refresh();
    expect(running.intent.current()?.commit).toBe(fixed);
    expect(running.intent.lastRejection()).toBeUndefined();
    await eventually('the NodePool condition back to accepted', async () => {
      const np = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: pool })) as NodePool;
      return np.status?.conditions?.find((x) => x.type === 'joinery.dev/PolicyCommitAccepted' && x.status === 'True');
    });
  });
});

describe('the cluster IntentSource', () => {
  const id = runId();
  const pool = `${id}-argo`;
  const cls = `${id}-argo`;
  let source: ClusterIntentSource | undefined;

  afterAll(async () => {
    await source?.stop();
    await removeFromCluster([pool], [cls]);
  });

  test('follows the NodePools and EC2NodeClasses in the cluster, and rejects a pool whose class is missing', async () => {
    const events: IntentEvent[] = [];
    source = new ClusterIntentSource({ kubeconfigPath: env.kubeconfigPath, debounceMs: 300 });
    source.subscribe((e) => events.push(e));
    await source.start();
    const baseline = source.current();

    // A pool applied before its class: rejected, the intent in force stays.
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: nodePool(pool, { nodeClass: cls }) });
    const rejected = await eventually('the rejection', async () => events.find((e) => e.type === 'rejected'));
    expect(rejected.type === 'rejected' && rejected.rejection.problems).toContainEqual(
      expect.objectContaining({ file: `NodePool/${pool}`, field: 'spec.template.spec.nodeClassRef.name' }),
    );
    expect(source.current()).toBe(baseline);

    // Its class arrives: accepted, with both objects.
    await custom.createClusterCustomObject({ ...NODECLASSES, body: nodeClass(cls, discovery()) });
    const accepted = await eventually('an accepted intent with the pool', async () => {
      const c = source!.current();
      return c && c.nodePools.some((p) => p.metadata.name === pool) ? c : undefined;
    });
    expect(accepted.nodeClasses.map((c) => c.metadata.name)).toContain(cls);
    expect(accepted.commit).toMatch(/^cluster-[0-9a-f]{16}$/);
    expect(source.lastRejection()).toBeUndefined();

    // A status write (the reconciler's own) is not a new intent.
    const before = events.length;
    const patched = (await custom.patchClusterCustomObjectStatus(
      { ...NODEPOOLS, name: pool, body: { status: { nodes: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as NodePool;
    expect(patched.status?.nodes).toBe(3);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(events.length).toBe(before);
  });
});
