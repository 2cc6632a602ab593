// A pod that is preempting is not provisioned for (Karpenter's IsProvisionable), against
// the real test environment: a node full of low-priority pods, then a high-priority pod that
// fits there once one of them goes. The real kube-scheduler's preemption marks it
// Unschedulable and nominates the node (status.nominatedNodeName) in one status write, and
// deletes a victim; the pod stays Pending and nominated until its next scheduling attempt
// (after kube-scheduler's backoff, 1 s or more), longer than the reconciler's batch window
// (0.5 s idle here), so a reconciler that provisioned for it would launch a node, which with
// consolidation off would stay. joinery launches nothing; the pod runs on the node it was
// nominated for. (kwok, the environment's kubelet, removes a victim at once whatever its
// grace period or finalizers, so the window is the scheduler's backoff, not the victim's
// shutdown.)
import { SchedulingV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { FAST_DISRUPTION, disruptionPool, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('preempting pods', () => {
  const id = runId();
  const pool = `${id}-pre`;
  const low = `${id}-low`;
  const high = `${id}-high`;
  const workload = new Workload(kc, `${id}-preempt`);
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  /** The preemptor's states as its watch delivers them. */
  const seen: { phase: string; nominated?: string; nodeName?: string; unschedulable: boolean }[] = [];
  let watchAbort: AbortController | undefined;
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  const pod = (name: string, priorityClassName: string): V1Pod => {
    const p = podManifest(name, workload.namespace, { cpu: '700m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pool } });
    return { ...p, spec: { ...p.spec!, priorityClassName } };
  };
  const launches = () => running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool);

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    await scheduling.createPriorityClass({ body: { metadata: { name: low }, value: 100, description: 'joinery test: preemptible' } });
    await scheduling.createPriorityClass({ body: { metadata: { name: high }, value: 100_000, description: 'joinery test: preempts' } });
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(pool, { nodeClass: `${id}-default`, requirements: onlyType('m5.large'), consolidateAfter: 'Never' })],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'one m5.large pool, no consolidation',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-preempt`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    watchAbort?.abort();
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    await scheduling.deletePriorityClass({ name: low }).catch(() => undefined);
    await scheduling.deletePriorityClass({ name: high }).catch(() => undefined);
    repo?.remove();
  });

  test('a high-priority pod nominated by kube-scheduler preemption gets no new node; it runs on the node it preempted', async () => {
    // Two 700m pods fill an m5.large (a third does not fit).
    await workload.createPods([pod('low-1', low), pod('low-2', low)]);
    const node = await eventually(
      'the two low-priority pods Running on one node',
      async () => {
        const pods = await workload.pods();
        const nodes = new Set(pods.map((p) => p.spec?.nodeName));
        return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running') && nodes.size === 1 ? [...nodes][0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(launches()).toHaveLength(1);

    watchAbort = await new Watch(kc).watch(
      `/api/v1/namespaces/${workload.namespace}/pods`,
      { fieldSelector: 'metadata.name=preemptor' },
      (_type: string, p: V1Pod) => {
        if (!p?.status) return;
        seen.push({
          phase: p.status.phase ?? '',
          ...(p.status.nominatedNodeName ? { nominated: p.status.nominatedNodeName } : {}),
          ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
          unschedulable: p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') ?? false,
        });
      },
      () => undefined,
    );
    await workload.createPods([pod('preemptor', high)]);

    const bound = await eventually(
      'the preemptor Running',
      async () => {
        const p = (await workload.pods()).find((x) => x.metadata?.name === 'preemptor');
        return p?.status?.phase === 'Running' ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, describe: async () => `preemptor states: ${JSON.stringify(seen)}\ndecisions:\n${describeDecisions(running!)}` },
    );
    // kube-scheduler preempted: the pod was Pending, Unschedulable and nominated for the full
    // node (exactly what the reconciler provisions for, but for the nomination), and a victim went.
    expect(seen.some((s) => s.phase === 'Pending' && !s.nodeName && s.unschedulable && s.nominated === node)).toBe(true);
    expect(bound.spec?.nodeName).toBe(node);
    expect((await workload.pods()).filter((p) => p.metadata?.name?.startsWith('low-'))).toHaveLength(1);
    // Give a launch that was on its way time to show: still the one node, no launch since.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(launches()).toHaveLength(1);
    expect((await workload.nodeClaims([pool])).map((c) => c.status?.nodeName)).toEqual([node]);
  });
});
