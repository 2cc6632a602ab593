// A pod that is preempting is not provisioned for (Karpenter's IsProvisionable), against
// the real test environment: a node full of low-priority pods, then a high-priority pod that
// fits there once one of them goes and that joinery's NodePool could also host. The real
// kube-scheduler's preemption marks it Unschedulable and nominates the full node
// (status.nominatedNodeName), and deletes a victim. While the victim shuts down the pod is
// Pending, Unschedulable and nominated — everything the reconciler provisions for but the
// nomination — and joinery launches nothing for it; once the victim is gone it binds to the
// node it was nominated for.
//
// The full node is one the test registers by hand (no kubelet, not kwok's: kwok would remove
// a victim at once whatever its grace period), so the victim stays Terminating for as long as
// the test holds it; the test keeps the node's Ready heartbeat fresh meanwhile.
//
// What this does not isolate: joinery does not count a Terminating pod's requests on its
// node (kube-scheduler does, until the pod is gone), so it also sees room for the preemptor
// on the full node once the victim is deleted. Run with the nominatedNodeName check removed
// from isProvisionable (reconciler/views/cluster-state.ts), this test still passes; the
// check itself is covered by test/unit/behaviour/preempting.test.ts.
import { CoreV1Api, PatchStrategy, SchedulingV1Api, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { FAST_DISRUPTION, disruptionPool, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const core = kc.makeApiClient(CoreV1Api);
const GROUP = 'test.joinery.dev/preempt-group';
/** How long the victim is held Terminating: the preemptor is nominated all that time. */
const HOLD_MS = 15_000;

describe('preempting pods', () => {
  const id = runId();
  const pool = `${id}-pre`;
  const busy = `${id}-busy-node`;
  const low = `${id}-low`;
  const high = `${id}-high`;
  const workload = new Workload(kc, `${id}-preempt`);
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  const pod = (name: string, priorityClassName: string, nodeSelector: Record<string, string>, graceS: number): V1Pod => {
    const p = podManifest(name, workload.namespace, { cpu: '700m', memory: '512Mi', nodeSelector });
    return { ...p, spec: { ...p.spec!, priorityClassName, terminationGracePeriodSeconds: graceS } };
  };
  const launches = () => running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool);
  /** Ready, with room for two 700m pods, as a kubelet would report it (a fresh heartbeat each call). */
  const heartbeat = async () => {
    const now = new Date();
    await core.patchNodeStatus(
      {
        name: busy,
        body: {
          status: {
            capacity: { cpu: '1500m', memory: '4Gi', pods: '110' },
            allocatable: { cpu: '1500m', memory: '4Gi', pods: '110' },
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test kubelet', lastHeartbeatTime: now, lastTransitionTime: now }],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  };

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    await scheduling.createPriorityClass({ body: { metadata: { name: low }, value: 100, description: 'joinery test: preemptible' } });
    await scheduling.createPriorityClass({ body: { metadata: { name: high }, value: 100_000, description: 'joinery test: preempts' } });
    await core.createNode({ body: { metadata: { name: busy, labels: { 'kubernetes.io/hostname': busy, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', [GROUP]: id } } } });
    await heartbeat();
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(pool, { nodeClass: `${id}-default`, requirements: onlyType('m5.large'), labels: { [GROUP]: id }, consolidateAfter: 'Never' })],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'an m5.large pool whose nodes carry the group label',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-preempt`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await core.deleteNode({ name: busy }).catch(() => undefined);
    await cleanUpPools(kc, ec2, [pool]);
    await scheduling.deletePriorityClass({ name: low }).catch(() => undefined);
    await scheduling.deletePriorityClass({ name: high }).catch(() => undefined);
    repo?.remove();
  });

  test('a high-priority pod nominated by kube-scheduler preemption gets no new node; it binds to the node it preempted', async () => {
    // Two 700m low-priority pods fill the hand-registered node (1500m).
    await workload.createPods([pod('low-1', low, { 'kubernetes.io/hostname': busy }, 30), pod('low-2', low, { 'kubernetes.io/hostname': busy }, 30)]);
    await eventually('the two low-priority pods bound to the full node', async () => {
      const pods = await workload.pods();
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName === busy) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });

    // The preemptor fits the group: the full node, or a new node of the pool.
    await workload.createPods([pod('preemptor', high, { [GROUP]: id }, 0)]);
    const preemptor = async () => (await workload.pods()).find((p) => p.metadata?.name === 'preemptor');
    await eventually(
      'the preemptor Unschedulable and nominated for the full node, a victim Terminating',
      async () => {
        await heartbeat();
        const p = await preemptor();
        const unschedulable = p?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
        const victims = (await workload.pods()).filter((x) => x.metadata?.name?.startsWith('low-') && x.metadata.deletionTimestamp);
        return unschedulable && p?.status?.nominatedNodeName === busy && !p.spec?.nodeName && victims.length === 1 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, describe: async () => `preemptor: ${JSON.stringify((await preemptor())?.status)}` },
    );

    // While the victim shuts down, the reconciler launches nothing for the nominated pod.
    let polls = 0;
    let mostClaims = 0;
    const holdUntil = Date.now() + HOLD_MS;
    while (Date.now() < holdUntil) {
      await heartbeat();
      const p = await preemptor();
      if (p?.status?.nominatedNodeName === busy && !p.spec?.nodeName) polls += 1;
      mostClaims = Math.max(mostClaims, (await workload.nodeClaims([pool])).length);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(polls).toBeGreaterThan(5);
    expect(mostClaims).toBe(0);
    expect(launches()).toEqual([]);

    // The victim is gone (its kubelet would finish it): the preemptor binds where it was nominated.
    const victim = (await workload.pods()).find((x) => x.metadata?.name?.startsWith('low-') && x.metadata.deletionTimestamp)!;
    await core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace: workload.namespace, gracePeriodSeconds: 0 });
    const bound = await eventually(
      'the preemptor bound',
      async () => {
        await heartbeat();
        const p = await preemptor();
        return p?.spec?.nodeName ? p : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, describe: async () => `preemptor: ${JSON.stringify((await preemptor())?.status)}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(bound.spec?.nodeName).toBe(busy);
    expect(launches()).toEqual([]);
    expect(await workload.nodeClaims([pool])).toEqual([]);
  });
});
