// Preemption against the real kube-scheduler: a high-priority pod that kube-scheduler places
// by evicting a lower-priority victim carries status.nominatedNodeName while the victim
// terminates, and joinery must not launch a node for it (Karpenter's IsProvisionable): once
// the victim is gone it binds to its nominated node, and a node launched for it would be
// left empty.
//
// The victim must stay Terminating long enough for the reconciler to judge the preemptor:
// kwok deletes a pod on its nodes at once (its pod-delete stage empties the finalizers), so
// the victim runs on a Node the test registers itself and keeps alive (its Lease renewed),
// out of kwok's care: with a finalizer and a long grace period, nothing but the test ends
// it. joinery counts the terminating victim on that Node (as kube-scheduler does), so without
// the nominatedNodeName check it sees no room for the preemptor and launches a node.
//
// That nothing is launched is judged from the reconciler's own decisions, not a fixed wait:
// after the preemptor is nominated, a canary pod that only a new node can host is created;
// its launch proves a provisioning pass ran after the nomination, and that launch must be
// planned for the canary alone, with no other NodeClaim. Then the victim is released and
// kube-scheduler binds the preemptor to the Node it nominated.
import { CoordinationV1Api, CoreV1Api, PatchStrategy, SchedulingV1Api, V1MicroTime, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const core = kc.makeApiClient(CoreV1Api);
const scheduling = kc.makeApiClient(SchedulingV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const HOLD_FINALIZER = 'joinery.dev/test-hold';
const LEASE_NAMESPACE = 'kube-node-lease';

describe('preemption', () => {
  const id = runId();
  const pool = `${id}-preempt`;
  const runLabel = 'joinery.dev/preempt-run';
  const taintKey = 'joinery.dev/preempt-hand-node';
  const low = `${id}-low`;
  const high = `${id}-high`;
  const workload = new Workload(kc, `${id}-preempt`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let attempt = 0;
  /** Hand-registered Nodes (and their Leases) of every attempt, and the lease renewer. */
  const handNodes: string[] = [];
  let renewer: NodeJS.Timeout | undefined;

  const renewLeases = async (): Promise<void> => {
    for (const name of handNodes) {
      await leases
        .patchNamespacedLease({ name, namespace: LEASE_NAMESPACE, body: { spec: { renewTime: new V1MicroTime().toISOString() } } }, MERGE)
        .catch(() => undefined);
    }
  };

  /** A Node as a kubelet outside kwok registers it: Ready, its Lease kept fresh by the test. */
  const registerHandNode = async (name: string): Promise<void> => {
    const now = new Date();
    await core.createNode({
      body: {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', [runLabel]: id } },
        spec: { taints: [{ key: taintKey, value: id, effect: 'NoSchedule' }] },
        status: {
          capacity: { cpu: '2', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'registered by the test', lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      },
    });
    handNodes.push(name);
    await leases.createNamespacedLease({
      namespace: LEASE_NAMESPACE,
      body: { metadata: { name, namespace: LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new V1MicroTime(now.getTime()) } },
    });
  };

  const releasePod = async (name: string): Promise<void> => {
    await core.patchNamespacedPod({ name, namespace: workload.namespace, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
    await core.deleteNamespacedPod({ name, namespace: workload.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  };

  const deleteHandNodes = async (): Promise<void> => {
    for (const name of handNodes.splice(0)) {
      await core.deleteNode({ name }).catch(() => undefined);
      await leases.deleteNamespacedLease({ name, namespace: LEASE_NAMESPACE }).catch(() => undefined);
    }
  };

  /**
   * A retry starts from nothing of the earlier attempt: no pod, no hand-made Node, and no
   * NodeClaim of the pool (deleted through the API; the running reconciler drains and
   * terminates them). A node left from it would take the next preemptor or canary.
   */
  const undoEarlierAttempt = async (): Promise<void> => {
    for (const p of await workload.pods()) await releasePod(p.metadata!.name!);
    await deleteHandNodes();
    for (const c of await workload.nodeClaims([pool])) {
      await workload.custom.deleteClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims', name: c.metadata.name! }).catch(() => undefined);
    }
    await eventually('the earlier attempt undone (no pod, no NodeClaim of the pool)', async () => ((await workload.pods()).length === 0 && (await workload.nodeClaims([pool])).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `pods: ${(await workload.pods()).map((p) => p.metadata?.name).join(', ')}; claims: ${(await workload.nodeClaims([pool])).map((c) => c.metadata.name).join(', ')}`,
    });
  };

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    await scheduling.createPriorityClass({ body: { metadata: { name: low }, value: 10, description: 'preempt-nominated test: the victim' } });
    await scheduling.createPriorityClass({ body: { metadata: { name: high }, value: 1000, description: 'preempt-nominated test: the preemptor' } });
    repo = createPolicyRepo();
    const className = `${pool}-class`;
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: className,
            labels: { [runLabel]: id },
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              // Two vCPUs: room for one 1500m pod per node.
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6i.large'] },
            ],
          }),
        ],
        [nodeClass(className, env.network.discoveryTag.value)],
      ),
      'preemption pool',
    );
    await workload.createNamespace();
    renewer = setInterval(() => void renewLeases(), 5_000);
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-preempt` });
  });

  afterAll(async () => {
    if (renewer) clearInterval(renewer);
    await running?.stop();
    for (const p of await workload.pods().catch(() => [])) await releasePod(p.metadata!.name!);
    await workload.deleteNamespace();
    await deleteHandNodes();
    await cleanUpPools(kc, ec2, [pool]);
    await scheduling.deletePriorityClass({ name: low }).catch(() => undefined);
    await scheduling.deletePriorityClass({ name: high }).catch(() => undefined);
    repo?.remove();
  });

  test('a nominated preemptor gets no node while its victim terminates, then binds to the victim\'s node', async () => {
    attempt += 1;
    if (attempt > 1) await undoEarlierAttempt();
    const nodeName = `${id}-hand-${attempt}`;
    const victimName = `victim-${attempt}`;
    const preemptorName = `preemptor-${attempt}`;
    const canaryName = `canary-${attempt}`;
    const claimsBefore = new Set((await workload.nodeClaims([pool])).map((c) => c.metadata.name!));
    const launchesBefore = running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool).length;
    const toleration = [{ key: taintKey, operator: 'Equal', value: id, effect: 'NoSchedule' }];

    await registerHandNode(nodeName);
    // The victim: bound to the hand-made Node (no kube-scheduler pass), low priority, and
    // held Terminating once evicted (finalizer, long grace period, no kubelet to end it).
    const victim = podManifest(victimName, workload.namespace, { cpu: '1800m', memory: '1Gi', tolerations: toleration });
    victim.metadata!.finalizers = [HOLD_FINALIZER];
    victim.spec!.nodeName = nodeName;
    victim.spec!.priorityClassName = low;
    victim.spec!.terminationGracePeriodSeconds = 3600;
    await workload.createPods([victim]);

    // The preemptor fits only on the hand-made Node (its label and taint), and only once
    // the victim is gone; it keeps away from the canaries, so their nodes never take it.
    const preemptor: V1Pod = podManifest(preemptorName, workload.namespace, {
      cpu: '1500m',
      memory: '1Gi',
      nodeSelector: { [runLabel]: id },
      tolerations: toleration,
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'canary' } } }] } },
    });
    preemptor.spec!.priorityClassName = high;
    await workload.createPods([preemptor]);

    const pod = async (name: string) => (await workload.pods()).find((p) => p.metadata?.name === name);
    const state = async () =>
      (await workload.pods())
        .map((p) => `  ${p.metadata?.name}: node=${p.spec?.nodeName ?? '-'} nominated=${p.status?.nominatedNodeName ?? '-'} deleting=${Boolean(p.metadata?.deletionTimestamp)} ${p.status?.phase}`)
        .join('\n') + `\ndecisions:\n${describeDecisions(running!)}`;

    await eventually(
      'kube-scheduler to evict the victim and nominate the hand-made Node for the preemptor',
      async () => {
        const [v, p] = [await pod(victimName), await pod(preemptorName)];
        return v?.metadata?.deletionTimestamp && p?.status?.nominatedNodeName === nodeName && !p.spec?.nodeName ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, describe: state },
    );

    // The canary: only a new node of the pool hosts it (the hand-made Node's taint keeps it
    // off). Its launch shows a provisioning pass ran while the preemptor was nominated.
    // Of the preemptor's priority, so that no later preemptor evicts it to take its node.
    const canary = podManifest(canaryName, workload.namespace, { cpu: '1500m', memory: '1Gi', nodeSelector: { [runLabel]: id }, labels: { app: 'canary' } });
    canary.spec!.priorityClassName = high;
    await workload.createPods([canary]);
    await eventually(
      'a launch for the canary',
      async () => ((await workload.podEvents('Nominated')).some((e) => e.pod === canaryName) ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 500, describe: state },
    );

    const p = await pod(preemptorName);
    expect(p?.status?.nominatedNodeName).toBe(nodeName);
    expect(p?.spec?.nodeName).toBeUndefined();
    expect((await pod(victimName))?.metadata?.deletionTimestamp).toBeDefined();
    // Every launch since the attempt began was planned for the canary alone.
    const launches = running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool).slice(launchesBefore);
    expect(launches.map((d) => d.details?.pods)).toEqual([1]);
    const newClaims = (await workload.nodeClaims([pool])).filter((c) => !claimsBefore.has(c.metadata.name!));
    expect(newClaims).toHaveLength(1);
    expect((await workload.podEvents('Nominated')).filter((e) => e.pod === preemptorName)).toEqual([]);

    // The victim goes, and kube-scheduler binds the preemptor to its nominated Node: the
    // only one it fits (no kubelet runs it there; binding is kube-scheduler's decision).
    await releasePod(victimName);
    await eventually(
      'the preemptor bound to the hand-made Node',
      async () => ((await pod(preemptorName))?.spec?.nodeName === nodeName ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500, describe: state },
    );
    const claimsAfter = (await workload.nodeClaims([pool])).filter((c) => !claimsBefore.has(c.metadata.name!));
    expect(claimsAfter.map((c) => c.metadata.name)).toEqual(newClaims.map((c) => c.metadata.name));
  });
});
