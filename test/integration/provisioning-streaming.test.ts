// Streaming batches on the real test environment (kube-apiserver, kube-scheduler, kwok,
// moto): while pods keep arriving, the reconciler does not hold them in one window that
// stretches to Karpenter's 10 s maximum; it launches for the pods seen so far and puts
// later ones in later batches, and every pod ends up running on a launched node.
//
// Ordering, not a timed assertion: pods are created one after another, 250 ms apart, and
// the stream stops as soon as a NodeClaim of the pool exists. A window stretched by every
// new pod to a 10 s maximum would let the whole stream (24 pods, at least 6 s, longer
// under load) go by without a claim; streaming batches create one for the first pods.
import { eventually, testEnv } from '../env/index.ts';
import { onDemandAmd64, onePoolFiles } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

/** Most pods in the stream (at least 6 s at one pod per 250 ms plus the create call). */
const MAX_PODS = 24;

describe('streaming provisioning batches', () => {
  const id = runId();
  const pool = `${id}-stream`;
  const workload = new Workload(kc, `${id}-stream`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(onePoolFiles(pool, env.network.discoveryTag.value, onDemandAmd64({ key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm'] })), 'stream pool');
    await workload.createNamespace();
    // The reconciler's default window (streaming batches).
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-stream` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('a stream of pending pods is launched for while it still arrives, and every pod runs', async () => {
    let created = 0;
    let claimFirst = false;
    while (created < MAX_PODS) {
      await workload.createPods([podManifest(`s-${created}`, workload.namespace, { cpu: '250m', memory: '256Mi' })]);
      created += 1;
      if ((await workload.nodeClaims([pool])).length > 0) {
        claimFirst = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(claimFirst).toBe(true);
    expect(created).toBeLessThan(MAX_PODS);
    await eventually(
      `all ${created} pods Running`,
      async () => {
        const pods = await workload.pods();
        return pods.length === created && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
  }, 300_000);
});
