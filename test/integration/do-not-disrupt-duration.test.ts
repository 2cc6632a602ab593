// karpenter.sh/do-not-disrupt with a duration, against the real test environment: a pod
// annotated "40s" protects its node from voluntary disruption for 40 s after the pod started,
// as in Karpenter (a duration, not only "true"). A commit drifts the node while the pod is
// protected: the reconciler skips the node and says until when; once the 40 s have passed
// it replaces the node (replacement first) and the pod runs on the new one.
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const PROTECTED_MS = 40_000;

describe('karpenter.sh/do-not-disrupt: "40s"', () => {
  const id = runId();
  const poolName = `${id}-dnd`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-dnd`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  // Budget 100%: only the annotation may hold the node back. Consolidation never: only drift acts.
  const pool = (type: string) =>
    disruptionPool(poolName, { nodeClass: className, requirements: onlyType(type), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '100%' }] });

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(generatedFiles([pool('m5.large')], [nodeClass(className, env.network.discoveryTag.value)]), 'dnd pool on m5.large');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-dnd`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('the node is not disrupted until 40 s after the pod started, then it is replaced', async () => {
    await apps.createDeployment('app', { replicas: 1, cpu: '1200m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName }, podAnnotations: { 'karpenter.sh/do-not-disrupt': '40s' } });
    const pod = await eventually('the app pod Running', async () => {
      const pods = await workload.pods();
      return pods.length === 1 && notRunning(pods).length === 0 && pods[0]!.status?.startTime ? pods[0]! : undefined;
    }, { timeoutMs: 100_000, intervalMs: 500, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` });
    const startedAt = new Date(pod.status!.startTime!).getTime();
    const oldNode = pod.spec!.nodeName!;
    const [oldClaim] = await workload.nodeClaims([poolName]);

    // Drift the node while the pod is still protected.
    repo.push(generatedFiles([pool('c5.large')], [nodeClass(className, env.network!.discoveryTag.value)]), 'dnd pool: c5.large only');
    const skip = await eventually(
      'a drift skip naming do-not-disrupt',
      async () => running!.decisions.find((d) => d.controller === 'disruption' && d.action === 'skip' && d.reason === 'do-not-disrupt'),
      { timeoutMs: 30_000, intervalMs: 250, describe: () => describeDecisions(running!) },
    );
    // Only meaningful if the skip came inside the protected window.
    expect(skip.time).toBeLessThan(startedAt + PROTECTED_MS);
    expect(skip.message).toMatch(/do-not-disrupt/);

    const replaced = await eventually(
      'the drifted node replaced',
      async () => running!.decisions.find((d) => d.controller === 'disruption' && d.reason === 'drifted' && (d.action === 'replace' || d.action === 'delete')),
      { timeoutMs: PROTECTED_MS + 60_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    // Not before the duration ran out (1 s for clock granularity: startTime has whole seconds).
    expect(replaced.time).toBeGreaterThanOrEqual(startedAt + PROTECTED_MS - 1_000);
    expect(replaced.action).toBe('replace');

    await eventually('the pod Running on a c5.large, the old claim gone', async () => {
      const claims = (await workload.nodeClaims([poolName])).filter((c) => !c.metadata.deletionTimestamp);
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      const ok =
        claims.length === 1 &&
        claims[0]!.metadata.name !== oldClaim!.metadata.name &&
        claims[0]!.metadata.labels?.['node.kubernetes.io/instance-type'] === 'c5.large' &&
        pods.length === 1 &&
        notRunning(pods).length === 0 &&
        pods[0]!.spec?.nodeName !== oldNode;
      return ok ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => `pods: ${(await workload.notRunning()).join(', ')}\ndecisions:\n${describeDecisions(running!)}` });
  });
});
