// Interruption handling on the real environment: moto's SQS holds the queue (created here
// with the SDK), the test publishes the EventBridge JSON AWS sends with SendMessage, and
// the reconciler (production controllers and its SqsEventQueue adapter, in this process)
// reacts against the real kube-apiserver, kube-scheduler, kwok and moto's EC2.
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { StructuredLogger } from '../../reconciler/observability/log.ts';
import { SystemClock } from '../../reconciler/runtime/system-clock.ts';
import { eventually, testEnv } from '../env/index.ts';
import { spotInterruptionWarning, stateChange } from '../fixtures/eventbridge/events.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, instanceState, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { TestQueue } from './support/sqs.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

const instanceIdOf = (providerID: string | undefined) => /\/(i-[0-9a-f]+)$/.exec(providerID ?? '')?.[1];
const running = (pods: V1Pod[]) => pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);

async function metricValue(r: RunningReconciler, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = r.metrics.registry.getSingleMetric(name);
  if (!m) return 0;
  const values = (await m.get()).values as { value: number; labels: Record<string, string | number>; metricName?: string }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .filter((v) => v.metricName === undefined || v.metricName.endsWith('_count') || !/_(sum|bucket)$/.test(v.metricName))
    .reduce((s, v) => s + v.value, 0);
}

describe('interruption queue (moto SQS)', () => {
  const id = runId();
  const spotPool = `${id}-spot`;
  const odPool = `${id}-od`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-int`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let queue: TestQueue;
  let r: RunningReconciler;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const spot = disruptionPool(spotPool, {
      nodeClass: className,
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
      ],
      consolidationPolicy: 'WhenEmpty',
      consolidateAfter: 'Never',
    });
    const od = disruptionPool(odPool, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
    repo.push(generatedFiles([spot, od], [nodeClass(className, env.network.discoveryTag.value)]), 'interruption pools');
    await workload.createNamespace();
    queue = await TestQueue.create(env, `${id}-interruptions`);
    const logger = new StructuredLogger(new SystemClock(), () => {}, 'info', 'sqs');
    r = await startReconciler({ env, repo, logName: `reconciler-${id}-interruption`, options: FAST_DISRUPTION, events: queue.adapter(env, logger) });
  });

  afterAll(async () => {
    await r?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [spotPool, odPool]);
    await queue?.remove();
    repo?.remove();
  });

  test('a spot interruption warning: a replacement is launched and the pods run on it, the old NodeClaim is deleted, the PDB holds', async () => {
    await apps.createDeployment('web', { replicas: 3, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': spotPool } });
    await apps.createPdb('web', 'web', { minAvailable: 2 });
    const [old] = await eventually('3 web pods Running on one spot node', async () => {
      const pods = running(await workload.pods()).filter((p) => p.metadata?.labels?.app === 'web');
      const claims = (await workload.nodeClaims([spotPool])).filter((c) => c.status?.nodeName);
      return pods.length === 3 && claims.length === 1 && (await apps.pdbAllows('web')) === 1 ? claims : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });
    const oldName = old!.metadata.name!;
    const oldNode = old!.status!.nodeName!;
    const oldZone = old!.metadata.labels!['topology.kubernetes.io/zone'];
    const instanceId = instanceIdOf(old!.status!.providerID)!;
    // The spot instance carries the class's security group (a node launched into another
    // group would be drifted and replaced on its own, whatever the interruption does).
    const launched = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(launched.Reservations?.[0]?.Instances?.[0]?.SecurityGroups?.map((g) => g.GroupId)).toEqual([env.network!.securityGroupId]);
    expect(r.decisions.filter((d) => d.controller === 'disruption')).toEqual([]);

    // Sample the web pods while it all happens: never fewer than the PDB's 2 running.
    let minRunning = 3;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const n = running(await workload.pods()).filter((p) => p.metadata?.labels?.app === 'web' && p.spec?.nodeName).length;
        minRunning = Math.min(minRunning, n);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();

    const sentAt = Date.now();
    await queue.send(spotInterruptionWarning(instanceId));
    const replacement = await eventually('the web pods Running on a replacement node, the interrupted NodeClaim gone', async () => {
      const pods = running(await workload.pods()).filter((p) => p.metadata?.labels?.app === 'web');
      const claims = await workload.nodeClaims([spotPool]);
      const others = claims.filter((c) => c.metadata.name !== oldName && c.status?.nodeName);
      return pods.length === 3 && pods.every((p) => p.spec?.nodeName !== oldNode) && !claims.some((c) => c.metadata.name === oldName) && others.length === 1 ? others[0] : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });
    const elapsedS = (Date.now() - sentAt) / 1000;
    sampling = false;
    await sampler;

    // Within the 2-minute warning; the PDB held throughout.
    expect(elapsedS).toBeLessThan(120);
    expect(minRunning).toBeGreaterThanOrEqual(2);
    // The replacement avoided the interrupted offering (same type, spot: another zone).
    expect(replacement!.metadata.labels!['topology.kubernetes.io/zone']).not.toBe(oldZone);
    expect(r.decisions.filter((d) => d.controller === 'interruption' && d.action === 'launch')).toHaveLength(1);
    await eventually('the interrupted instance terminated', async () => ((await instanceState(ec2, instanceId)) === 'terminated' ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
    expect(await queue.depth()).toBe(0);
    expect(await metricValue(r, 'karpenter_interruption_received_messages_total', { message_type: 'spot_interrupted' })).toBe(1);
    expect(await metricValue(r, 'karpenter_interruption_deleted_messages_total')).toBe(1);
    process.stdout.write(`spot warning -> pods Running on the replacement: ${elapsedS.toFixed(1)} s; fewest web pods running meanwhile: ${minRunning}\n`);
  });

  test('state change "terminated" (sent twice, after a malformed message): one action, NodeClaim and Node removed, pods rescheduled; the loop stays alive', async () => {
    await apps.createDeployment('batch', { replicas: 2, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': odPool } });
    const [old] = await eventually('2 batch pods Running on one node', async () => {
      const pods = running(await workload.pods()).filter((p) => p.metadata?.labels?.app === 'batch');
      const claims = (await workload.nodeClaims([odPool])).filter((c) => c.status?.nodeName);
      return pods.length === 2 && claims.length === 1 ? claims : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });
    const oldName = old!.metadata.name!;
    const oldNode = old!.status!.nodeName!;
    const instanceId = instanceIdOf(old!.status!.providerID)!;
    const deletesBefore = await metricValue(r, 'karpenter_interruption_deleted_messages_total');

    await queue.send('{"detail-type": "EC2 Spot Instance Interruption Warning", truncated');
    // The instance goes away under us, as EC2 would, and EventBridge reports it (twice: at-least-once).
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await queue.send(stateChange(instanceId, 'terminated'));
    await queue.send(stateChange(instanceId, 'terminated'));

    await eventually('the NodeClaim and Node removed, the batch pods Running elsewhere', async () => {
      const pods = running(await workload.pods()).filter((p) => p.metadata?.labels?.app === 'batch');
      const claims: NodeClaim[] = await workload.nodeClaims([odPool]);
      const node = await workload.core.readNode({ name: oldNode }).catch(() => undefined);
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName !== oldNode) && !claims.some((c) => c.metadata.name === oldName) && !node ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });

    await eventually('every message deleted', async () => ((await queue.depth()) === 0 ? true : undefined), { timeoutMs: 20_000, intervalMs: 500 });
    expect(r.decisions.filter((d) => d.controller === 'interruption' && d.action === 'delete' && d.reason === 'instance_terminated')).toHaveLength(1);
    expect(await metricValue(r, 'joinery_interruption_malformed_messages_total')).toBe(1);
    expect((await metricValue(r, 'karpenter_interruption_deleted_messages_total')) - deletesBefore).toBe(3);
    expect(r.logs.some((l) => l.level === 'warn' && /malformed/.test(l.msg) && typeof l.messageId === 'string')).toBe(true);
    expect(r.logs.filter((l) => l.level === 'error' && l.controller === 'interruption')).toEqual([]);
  });
});
