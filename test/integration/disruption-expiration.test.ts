// Expiration against the real test environment: a node older than its NodeClaim's
// expireAfter is replaced, forcefully — the pool's disruption budget allows nothing, and
// consolidation is off — with the replacement launched before the old node is drained, and
// not a moment before it expires.
import { eventually, testEnv } from '../env/index.ts';
import { Apps, DisruptionObserver, FAST_DISRUPTION, disruptionPool, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const EXPIRE_AFTER_MS = 30_000;

describe('expireAfter', () => {
  const id = runId();
  const poolName = `${id}-exp`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-expire`);
  const apps = new Apps(kc, workload.namespace);
  const observer = new DisruptionObserver(kc, [poolName]);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  const pool = (expireAfter: string) =>
    disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), expireAfter, consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '0' }] });

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(generatedFiles([pool('30s')], [nodeClass(className, env.network.discoveryTag.value)]), 'nodes expire after 30s');
    await workload.createNamespace();
    await observer.start();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-expire`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await observer.stop();
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('an expired node is replaced (replacement first) although the budget allows no disruption', async () => {
    await apps.createDeployment('app', { replicas: 2, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    const [old] = await eventually('the pods Running on one node', async () => {
      const pods = await workload.pods();
      const claims = await workload.nodeClaims([poolName]);
      return pods.length === 2 && notRunning(pods).length === 0 && claims.length === 1 ? claims : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running!)}` });
    const oldName = old!.metadata.name!;
    const createdAt = Date.parse(old!.metadata.creationTimestamp as unknown as string);
    expect(old!.spec.expireAfter).toBe('30s');
    // Later nodes must not expire during the test: the claim keeps the expireAfter it was created with.
    repo.push(generatedFiles([pool('720h')], [nodeClass(className, env.network!.discoveryTag.value)]), 'nodes expire after 30 days');

    const replacement = await eventually(
      'the old node replaced',
      async () => {
        if (!observer.isGone(oldName)) return undefined;
        const claims = await workload.nodeClaims([poolName]);
        return claims.length === 1 && claims[0]!.metadata.name !== oldName ? claims[0]! : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: () => `disrupting:\n${observer.describe()}\ndecisions:\n${describeDecisions(running!)}` },
    );
    const track = observer.tracks().find((t) => t.name === oldName)!;
    expect(track.method).toBe('expiration');
    // Not before expireAfter (a second of slack for the clocks of API server and test).
    expect(track.markedAt ?? track.deletingAt!).toBeGreaterThanOrEqual(createdAt + EXPIRE_AFTER_MS - 1_000);
    const decision = running!.decisions.find((d) => d.controller === 'disruption' && d.reason === 'expired');
    expect(decision).toMatchObject({ action: 'replace', nodeClaims: [oldName, replacement.metadata.name] });
    expect(decision!.message).toMatch(/past expireAfter/);
    // The replacement was up before the old node was drained: it was created before the old claim's deletion.
    expect(replacement.metadata.annotations?.['joinery.dev/replaces']).toBe(oldName);
    const replacementSeen = observer.tracks().find((t) => t.name === replacement.metadata.name)!.firstSeen;
    expect(replacementSeen).toBeLessThan(track.deletingAt!);
    // The budget of 0 stopped nothing: expiration is forceful. The new node is not drifted or expired.
    expect(replacement.spec.expireAfter).toBe('720h');
    await eventually('the pods Running on the replacement', async () => {
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === 2 && notRunning(pods).length === 0 && pods.every((p) => p.spec?.nodeName === replacement.status?.nodeName) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
  });
});
