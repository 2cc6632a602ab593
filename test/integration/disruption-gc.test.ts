// Garbage collection against the real test environment: an instance started in EC2 by
// hand, tagged as joinery's (the cluster tag and its NodePool) but with no NodeClaim (what
// a crash between launch and recording would leave), is terminated after the grace period, and a log line names it;
// the instances that do have claims are left alone. And the other way round: a NodeClaim
// whose instance was terminated behind the reconciler's back is deleted, and its pod ends
// up on a new node.
import { DescribeImagesCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { clusterTagKey, eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, instanceState, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('garbage collection', () => {
  const id = runId();
  const poolName = `${id}-gc`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-gc`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let orphanId: string | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' })],
        [nodeClass(className, env.network.discoveryTag.value)],
      ),
      'gc pool',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-gc`, options: FAST_DISRUPTION });
    await apps.createDeployment('app', { replicas: 1, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    await eventually('the app pod Running', async () => {
      const pods = await workload.pods();
      return pods.length === 1 && notRunning(pods).length === 0 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: () => describeDecisions(running!) });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    if (orphanId) await ec2.send(new TerminateInstancesCommand({ InstanceIds: [orphanId] })).catch(() => undefined);
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('an instance of joinery\'s without a NodeClaim is terminated and named in the log; claimed ones stay', async () => {
    const [claimed] = await instancesOfPools(ec2, [poolName]);
    expect(claimed).toBeDefined();
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['amazon-eks-node-al2023-x86_64-standard-*'] }] }));
    const started = await ec2.send(
      new RunInstancesCommand({
        ImageId: images.Images![0]!.ImageId!,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: env.network!.subnets[0]!.subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: clusterTagKey(env.clusterName), Value: 'owned' }, { Key: 'karpenter.sh/nodepool', Value: poolName }, { Key: 'Name', Value: `${id} started by hand` }] }],
      }),
    );
    orphanId = started.Instances![0]!.InstanceId!;

    const decision = await eventually(
      'the orphan garbage-collected',
      async () => running!.decisions.find((d) => d.controller === 'gc' && d.reason === 'orphan-instance' && (d.details as { instanceId?: string } | undefined)?.instanceId === orphanId),
      { timeoutMs: 40_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    expect(decision.action).toBe('garbage-collect');
    expect(decision.message).toContain(orphanId);
    expect(decision.message).toMatch(/has no NodeClaim; terminated/);
    expect(['shutting-down', 'terminated']).toContain(await instanceState(ec2, orphanId));
    // The log line, as an operator reads it.
    expect(running!.logs.some((l) => l.msg.includes(orphanId!) && l.reason === 'orphan-instance')).toBe(true);

    // The instance of the claim is untouched, and nothing else was collected.
    expect(await instanceState(ec2, claimed!.InstanceId!)).toBe('running');
    expect(running!.decisions.filter((d) => d.controller === 'gc' && d.reason === 'orphan-instance')).toHaveLength(1);
    expect(await workload.nodeClaims([poolName])).toHaveLength(1);
  });

  test('a NodeClaim whose instance was terminated outside the reconciler is deleted, and its pod runs on a new node', async () => {
    const [claim] = await workload.nodeClaims([poolName]);
    const [instance] = await instancesOfPools(ec2, [poolName]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance!.InstanceId!] }));

    // Two paths race, both correct: the GC finds the instance gone, or the Node of the
    // terminated instance is deleted first (the node-join simulator does it 1 s later, as the
    // cloud node lifecycle controller would) and the termination controller deletes the claim.
    const name = claim!.metadata.name!;
    const decision = await eventually(
      'the claim deleted (instance gone, or its Node deleted)',
      async () =>
        running!.decisions.find(
          (d) =>
            (d.controller === 'gc' && d.reason === 'instance-gone' && d.nodeClaims?.includes(name)) ||
            (d.controller === 'termination' && d.reason === 'node-deleted-by-user' && d.message.includes(name)),
        ),
      { timeoutMs: 40_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    if (decision.controller === 'gc') expect(decision.message).toContain(instance!.InstanceId!);
    await eventually('the pod Running on a new node', async () => {
      const claims = await workload.nodeClaims([poolName]);
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      const fresh = claims.filter((c) => c.metadata.name !== claim!.metadata.name);
      return claims.every((c) => c.metadata.name !== claim!.metadata.name) &&
        fresh.length === 1 && pods.length === 1 && notRunning(pods).length === 0 && pods[0]!.spec?.nodeName === fresh[0]!.status?.nodeName
        ? true
        : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running!)}` });
  });
});
