// EFA network interfaces, IPv4 prefixes and connection tracking on the real test
// environment. The class attaches an ENA primary interface and one efa-only interface,
// asks for 2 IPv4 prefixes and connection-tracking timeouts; its pool admits m5.large (no
// EFA, cheaper) and c5n.9xlarge (EFA). The reconciler offers only c5n.9xlarge, advertising
// one vpc.amazonaws.com/efa device; a pod asking for it and a plain pod both run on a
// c5n.9xlarge. The launch template moto stores (DescribeLaunchTemplateVersions) carries the
// interfaces, and the node-join simulator registers the Node with the EFA device of that
// template (moto's CreateFleet attaches no interface of the template: see test/env/README.md).
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import { TAG_LAUNCH_TEMPLATE } from '../../core/contract/tags.ts';
import { eventually, testEnv } from '../env/index.ts';
import { FAST_DISRUPTION, disruptionPool } from './support/disruption.ts';
import { generatedFiles, nodeClass, onDemandAmd64 } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

function pod(name: string, namespace: string, pool: string, efa: boolean): V1Pod {
  return {
    metadata: { name, namespace },
    spec: {
      nodeSelector: { 'karpenter.sh/nodepool': pool },
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          resources: efa
            ? { requests: { cpu: '100m', memory: '128Mi', 'vpc.amazonaws.com/efa': '1' }, limits: { 'vpc.amazonaws.com/efa': '1' } }
            : { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
  };
}

describe('EFA network interfaces', () => {
  const id = runId();
  const workload = new Workload(kc, `${id}-efa`);
  const pool = `${id}-efa`;
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(pool, { nodeClass: `${pool}-class`, requirements: onDemandAmd64({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'c5n.9xlarge'] }), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' })],
        [
          nodeClass(`${pool}-class`, env.network.discoveryTag.value, {
            networkInterfaces: [
              { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
              { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
            ],
            ipPrefixCount: 2,
            connectionTracking: { tcpEstablishedTimeout: 3600, udpStreamTimeout: 90, udpTimeout: 40 },
          }),
        ],
      ),
      'efa pool',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-efa`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('a pod asking for vpc.amazonaws.com/efa runs on the EFA type of the pool; the template moto stores carries the EFA interface, the IPv4 prefixes and the connection tracking; the Node advertises the EFA device', async () => {
    await workload.core.createNamespacedPod({ namespace: workload.namespace, body: pod('mpi', workload.namespace, pool, true) });
    await workload.core.createNamespacedPod({ namespace: workload.namespace, body: pod('plain', workload.namespace, pool, false) });
    const nodeNames = await eventually(
      'both pods Running',
      async () => {
        const names: string[] = [];
        for (const name of ['mpi', 'plain']) {
          const p = await workload.core.readNamespacedPod({ name, namespace: workload.namespace });
          if (p.status?.phase !== 'Running' || !p.spec?.nodeName) return undefined;
          names.push(p.spec.nodeName);
        }
        return names;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: () => describeDecisions(running!) },
    );
    // m5.large is cheaper, but takes no EFA interface: neither pod runs on one.
    for (const name of new Set(nodeNames)) {
      const node = await workload.core.readNode({ name });
      expect(node.metadata?.labels?.['node.kubernetes.io/instance-type']).toBe('c5n.9xlarge');
    }
    const node = await workload.core.readNode({ name: nodeNames[0]! });
    expect(node.status?.capacity?.['vpc.amazonaws.com/efa']).toBe('1');
    expect(node.status?.allocatable?.['vpc.amazonaws.com/efa']).toBe('1');

    const instanceId = node.spec!.providerID!.slice(node.spec!.providerID!.lastIndexOf('/') + 1);
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const templateName = described.Reservations?.[0]?.Instances?.[0]?.Tags?.find((t) => t.Key === TAG_LAUNCH_TEMPLATE)?.Value;
    expect(templateName).toBeDefined();
    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: templateName! }));
    const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data?.SecurityGroupIds ?? []).toEqual([]);
    expect(data?.NetworkInterfaces).toEqual([
      {
        NetworkCardIndex: 0,
        DeviceIndex: 0,
        InterfaceType: 'interface',
        Ipv4PrefixCount: 2,
        Groups: [env.network!.securityGroupId],
        ConnectionTrackingSpecification: { TcpEstablishedTimeout: 3600, UdpStreamTimeout: 90, UdpTimeout: 40 },
      },
      { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: 'efa-only', Groups: [env.network!.securityGroupId] },
    ]);
  });
});
