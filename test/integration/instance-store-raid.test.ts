// instanceStorePolicy: RAID0 on the real test environment. An AL2023 class asks for RAID0;
// its pool admits m5.large (no instance store, cheaper) and m5d.large (75 GB of NVMe
// instance store). A pod asking for 40Gi of ephemeral storage fits only the RAID0 array
// (the root volume is 20Gi), so the reconciler launches an m5d.large in moto; the launch
// template moto stores (DescribeLaunchTemplateVersions) carries nodeadm's RAID0 local
// storage strategy, and the node-join simulator, which reads that user data as nodeadm and
// the kubelet would (test/env/kubelet-allocatable.ts), registers the Node with the instance
// store as its ephemeral-storage: exactly what the solver assumed.
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import { buildInstanceTypes } from '../../core/catalog/instance-types.ts';
import { TAG_LAUNCH_TEMPLATE } from '../../core/contract/tags.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { loadShippedCatalog } from '../../data/catalog.ts';
import { kubeletSettings } from '../../reconciler/adapters/aws/catalog.ts';
import { eventually, testEnv } from '../env/index.ts';
import { FAST_DISRUPTION, disruptionPool } from './support/disruption.ts';
import { generatedFiles, nodeClass, onDemandAmd64 } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

function predicted(type: string): { capacity: number; allocatable: number } {
  const raw = loadShippedCatalog().instanceTypes.filter((t) => t.name === type);
  const [t] = buildInstanceTypes({ meta: { region: 'us-east-1' }, instanceTypes: raw }, { kubelet: kubeletSettings(undefined, 20 * 2 ** 30, 'RAID0') });
  return { capacity: t!.capacity['ephemeral-storage']!, allocatable: t!.allocatable['ephemeral-storage']! };
}

describe('instanceStorePolicy RAID0', () => {
  const id = runId();
  const workload = new Workload(kc, `${id}-raid`);
  const pool = `${id}-raid0`;
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(pool, { nodeClass: `${pool}-class`, requirements: onDemandAmd64({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5d.large'] }), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' })],
        [nodeClass(`${pool}-class`, env.network.discoveryTag.value, { instanceStorePolicy: 'RAID0' })],
      ),
      'raid0 pool',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-raid`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test("a pod asking for 40Gi of ephemeral storage runs on an m5d.large whose template assembles RAID0; the Node's ephemeral-storage is the instance store the solver assumed", async () => {
    const pod: V1Pod = {
      metadata: { name: 'scratch', namespace: workload.namespace },
      spec: {
        nodeSelector: { 'karpenter.sh/nodepool': pool },
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '40Gi' } } }],
      },
    };
    await workload.core.createNamespacedPod({ namespace: workload.namespace, body: pod });
    const nodeName = await eventually(
      'the pod Running on a node',
      async () => {
        const p = await workload.core.readNamespacedPod({ name: 'scratch', namespace: workload.namespace });
        return p.status?.phase === 'Running' ? p.spec?.nodeName : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: () => describeDecisions(running!) },
    );
    const node = await workload.core.readNode({ name: nodeName });
    expect(node.metadata?.labels?.['node.kubernetes.io/instance-type']).toBe('m5d.large');
    const reported = {
      capacity: parseResourceQuantity('ephemeral-storage', node.status!.capacity!['ephemeral-storage']!),
      allocatable: parseResourceQuantity('ephemeral-storage', node.status!.allocatable!['ephemeral-storage']!),
    };
    expect(reported).toEqual(predicted('m5d.large'));
    expect(reported.capacity).toBe(75e9);

    // The launch template moto stores for that instance asks nodeadm for RAID0.
    const instanceId = node.spec!.providerID!.slice(node.spec!.providerID!.lastIndexOf('/') + 1);
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const templateName = described.Reservations?.[0]?.Instances?.[0]?.Tags?.find((t) => t.Key === TAG_LAUNCH_TEMPLATE)?.Value;
    expect(templateName).toBeDefined();
    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: templateName! }));
    const userData = Buffer.from(versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain('  instance:\n    localStorage:\n      strategy: RAID0\n');
  });
});
