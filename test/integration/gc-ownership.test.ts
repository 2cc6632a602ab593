// Garbage collection touches only what is joinery's, against the real test environment
// (moto as EC2, the node-join simulator registering a Node for each instance of the
// cluster, kwok running its pods):
// - an instance of a self-managed node group (the cluster tag `owned`, as AWS asks node
//   groups to carry, and aws:autoscaling:groupName, no karpenter.sh/nodepool), with a
//   Ready Node and a Running pod, survives many GC passes with a 5 s grace period, while
//   an instance of joinery's without a NodeClaim is terminated in the same run;
// - a launch template of joinery's that nothing uses is deleted; one joinery launched a
//   node from stays while the node lives and is deleted once the node is gone; templates
//   without joinery's tags or name are never deleted.
import {
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  DeleteLaunchTemplateCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CoreV1Api } from '@kubernetes/client-node';
import { launchTemplateName } from '../../core/contract/index.ts';
import { clusterTagKey, eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const core = kc.makeApiClient(CoreV1Api);

async function instanceState(id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function templateExists(name: string): Promise<boolean> {
  try {
    const out = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }));
    return (out.LaunchTemplates ?? []).length > 0;
  } catch (err) {
    if (/NotFound/.test(String((err as { name?: string }).name ?? err))) return false;
    throw err;
  }
}

async function createTemplate(name: string, imageId: string, tags: Record<string, string>): Promise<string> {
  const out = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: imageId },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  return out.LaunchTemplate!.LaunchTemplateId!;
}

describe('garbage collection touches only what is joinery’s', () => {
  const id = runId();
  const poolName = `${id}-own`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-own`);
  const apps = new Apps(kc, workload.namespace);
  const clusterTag = clusterTagKey(env.clusterName);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let imageId: string;
  const started: string[] = [];
  const templates: string[] = [];
  /** GC passes seen (each lists the launch templates once; no other controller does). */
  let gcPasses = 0;
  let groupInstanceId: string;
  let groupNodeName: string;

  async function runInstance(tags: Record<string, string>): Promise<string> {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: env.network!.subnets[0]!.subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]): Tag => ({ Key, Value })) }],
      }),
    );
    const instanceId = out.Instances![0]!.InstanceId!;
    started.push(instanceId);
    return instanceId;
  }

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['amazon-eks-node-al2023-x86_64-standard-*'] }] }));
    imageId = images.Images![0]!.ImageId!;
    await workload.createNamespace();

    // A self-managed node group's instance, its Node (registered by the node-join
    // simulator, as its kubelet would) and a pod running on it, before joinery starts.
    groupInstanceId = await runInstance({ [clusterTag]: 'owned', 'aws:autoscaling:groupName': `${id}-workers`, Name: `${id} node group` });
    groupNodeName = await eventually(
      'the node group instance’s Node Ready',
      async () => {
        const node = (await core.listNode()).items.find((n) => n.spec?.providerID?.endsWith(`/${groupInstanceId}`));
        return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? node.metadata!.name! : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await core.createNamespacedPod({
      namespace: workload.namespace,
      body: {
        metadata: { name: 'on-node-group', namespace: workload.namespace },
        spec: { nodeName: groupNodeName, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    });
    await eventually('the node group’s pod Running', async () => ((await workload.pods()).every((p) => p.status?.phase === 'Running') ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: '2s' })],
        [nodeClass(className, env.network.discoveryTag.value)],
      ),
      'gc ownership pool',
    );
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-own`, options: FAST_DISRUPTION });
    const cloud = running.cloud;
    const listTemplates = cloud.listLaunchTemplates.bind(cloud);
    cloud.listLaunchTemplates = () => {
      gcPasses += 1;
      return listTemplates();
    };
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    if (started.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: started })).catch(() => undefined);
    for (const name of templates) await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: name })).catch(() => undefined);
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('a node group instance with a Ready node and a running pod survives many GC passes; joinery’s orphan is terminated in the same run', async () => {
    const orphanId = await runInstance({ [clusterTag]: 'owned', 'karpenter.sh/nodepool': poolName, 'karpenter.sh/nodeclaim': `${poolName}-gone`, Name: `${id} orphan` });
    const passesAtStart = gcPasses;
    await eventually(
      'the orphan garbage-collected',
      async () => running!.decisions.find((d) => d.controller === 'gc' && d.reason === 'orphan-instance' && (d.details as { instanceId?: string } | undefined)?.instanceId === orphanId),
      { timeoutMs: 40_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    // Keep going: many more passes, each past the 5 s grace period of the node group's instance.
    await eventually('20 GC passes', async () => (gcPasses - passesAtStart >= 20 ? true : undefined), { timeoutMs: 90_000, intervalMs: 500 });

    const groupState = await instanceState(groupInstanceId);
    const node = await core.readNode({ name: groupNodeName });
    const pods = await workload.pods();
    const collected = running!.decisions.filter((d) => d.controller === 'gc' && d.reason === 'orphan-instance').map((d) => (d.details as { instanceId: string }).instanceId);
    const counts = {
      gcPasses: gcPasses - passesAtStart,
      nodeGroupInstancesWronglyTerminated: collected.filter((i) => i !== orphanId).length + (groupState === 'running' ? 0 : 1),
      joineryOrphansTerminated: collected.filter((i) => i === orphanId).length,
    };
    console.log(`gc-ownership: ${JSON.stringify(counts)}`);
    expect(counts.nodeGroupInstancesWronglyTerminated).toBe(0);
    expect(counts.joineryOrphansTerminated).toBe(1);
    expect(groupState).toBe('running');
    expect(['shutting-down', 'terminated']).toContain(await instanceState(orphanId));
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pods.find((p) => p.metadata?.name === 'on-node-group')?.status?.phase).toBe('Running');
    // Nor is the node group's instance even listed as the reconciler's.
    expect((await running!.cloud.list()).map((i) => i.id)).not.toContain(groupInstanceId);
  });

  test('launch templates: joinery’s unused one is deleted, the one its node runs from stays until the node is gone, others never', async () => {
    const owned = { [clusterTag]: 'owned', 'karpenter.sh/nodepool': poolName, 'karpenter.k8s.aws/ec2nodeclass': className };
    const stale = launchTemplateName(env.clusterName, `${id}stale`);
    const nodeGroupTemplate = `${id}-eks-node-group`;
    const noPoolTag = launchTemplateName(env.clusterName, `${id}nopool`);
    const foreignName = `${id}-named-otherwise`;
    await createTemplate(stale, imageId, owned);
    await createTemplate(nodeGroupTemplate, imageId, { [clusterTag]: 'owned', 'aws:autoscaling:groupName': `${id}-workers` });
    await createTemplate(noPoolTag, imageId, { [clusterTag]: 'owned', 'karpenter.k8s.aws/ec2nodeclass': className });
    await createTemplate(foreignName, imageId, owned);
    templates.push(stale, nodeGroupTemplate, noPoolTag, foreignName);

    // joinery launches a node for a pod: its template is created and used.
    await apps.createDeployment('app', { replicas: 1, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    await eventually('the app pod Running', async () => {
      const pods = (await workload.pods()).filter((p) => p.metadata?.name !== 'on-node-group');
      return pods.length === 1 && notRunning(pods).length === 0 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, describe: () => describeDecisions(running!) });
    const [instance] = await instancesOfPools(ec2, [poolName]);
    // The template names itself on the instances launched from it.
    const usedName = tagsOf(instance!)['joinery.dev/launch-template'];
    expect(usedName).toBeDefined();
    const used = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [usedName!] }))).LaunchTemplates![0]!;
    expect(used.LaunchTemplateName).toMatch(new RegExp(`^joinery\\.dev/${env.clusterName}/`));
    expect(Object.fromEntries((used.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject(owned);

    await eventually('the stale template deleted', async () => ((await templateExists(stale)) ? undefined : true), {
      timeoutMs: 40_000,
      intervalMs: 500,
      describe: () => describeDecisions(running!),
    });
    // Past the grace period the used one is still there: its node runs from it.
    const passes = gcPasses;
    await eventually('5 more GC passes', async () => (gcPasses - passes >= 5 ? true : undefined), { timeoutMs: 40_000, intervalMs: 500 });
    expect(await templateExists(used.LaunchTemplateName!)).toBe(true);

    // The app goes, its node is consolidated away (WhenEmpty), and then its template goes too.
    await apps.scale('app', 0);
    await eventually('the node removed', async () => ((await instancesOfPools(ec2, [poolName])).length === 0 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      describe: () => describeDecisions(running!),
    });
    await eventually('the used template deleted once unused', async () => ((await templateExists(used.LaunchTemplateName!)) ? undefined : true), {
      timeoutMs: 40_000,
      intervalMs: 500,
      describe: () => describeDecisions(running!),
    });

    const others = { [nodeGroupTemplate]: await templateExists(nodeGroupTemplate), [noPoolTag]: await templateExists(noPoolTag), [foreignName]: await templateExists(foreignName) };
    const deleted = running!.decisions.filter((d) => d.reason === 'unused-launch-template').map((d) => (d.details as { launchTemplateName: string }).launchTemplateName);
    console.log(`gc-ownership templates: ${JSON.stringify({ deleted, othersStillPresent: others })}`);
    expect(others).toEqual({ [nodeGroupTemplate]: true, [noPoolTag]: true, [foreignName]: true });
    // Both of this test's joinery templates went; anything else deleted is an unused template
    // of joinery's for this cluster left by an earlier test file in the shared environment.
    expect(deleted).toEqual(expect.arrayContaining([stale, used.LaunchTemplateName!]));
    for (const name of deleted) expect(name).toMatch(new RegExp(`^joinery\\.dev/${env.clusterName}/`));
    expect(deleted).not.toContain(noPoolTag);
  });
});
