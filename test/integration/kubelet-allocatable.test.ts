// EC2NodeClass kubelet settings reach the node, against the real test environment: for an
// AL2023, an AL2 and a Bottlerocket class, each with kubelet settings that change what a
// node gives to pods, the reconciler launches a node in moto, the node-join simulator
// boots it from the user data the instance carries (DescribeInstanceAttribute userData,
// read as each AMI family's kubelet would: test/env/kubelet-allocatable.ts) and registers
// the Node with what that kubelet would report. Node.status.allocatable must be exactly the
// allocatable the solver predicted for the type under those settings.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { EC2NodeClassKubelet } from '../../core/api/karpenter.ts';
import { buildInstanceTypes } from '../../core/catalog/instance-types.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { loadShippedCatalog } from '../../data/catalog.ts';
import { kubeletSettings } from '../../reconciler/adapters/aws/catalog.ts';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const GiB = 2 ** 30;

interface Case {
  readonly family: 'AL2023' | 'AL2' | 'Bottlerocket';
  readonly type: string;
  readonly kubelet: EC2NodeClassKubelet;
}

const CASES: readonly Case[] = [
  // 4 vCPUs: pods min(30, 4 x 4) = 16; kube-reserved cpu given, memory from the EKS default for 16 pods.
  { family: 'AL2023', type: 'm5.xlarge', kubelet: { maxPods: 30, podsPerCore: 4, kubeReserved: { cpu: '250m' }, systemReserved: { memory: '300Mi' }, evictionHard: { 'memory.available': '5%' } } },
  { family: 'AL2', type: 'c5.2xlarge', kubelet: { kubeReserved: { memory: '1Gi', 'ephemeral-storage': '3Gi' }, systemReserved: { cpu: '100m' }, evictionHard: { 'nodefs.available': '15%' } } },
  // Bottlerocket has no pods-per-core: min(50, 5 x 2) = 10 reaches it as max-pods.
  { family: 'Bottlerocket', type: 'r5.large', kubelet: { maxPods: 50, podsPerCore: 5, kubeReserved: { cpu: '400m', memory: '700Mi' }, evictionHard: { 'memory.available': '300Mi' } } },
];

function predictedAllocatable(c: Case): Record<string, number> {
  const raw = loadShippedCatalog().instanceTypes.filter((t) => t.name === c.type);
  const [type] = buildInstanceTypes({ meta: { region: 'us-east-1' }, instanceTypes: raw }, { kubelet: kubeletSettings(c.kubelet, 20 * GiB) });
  const a = type!.allocatable;
  return { cpu: a.cpu!, memory: a.memory!, 'ephemeral-storage': a['ephemeral-storage']!, pods: a.pods! };
}

describe('kubelet settings: the allocatable the solver predicts is the allocatable the Node reports', () => {
  const id = runId();
  const workload = new Workload(kc, `${id}-kubelet`);
  const apps = new Apps(kc, workload.namespace);
  const pool = (c: Case) => `${id}-kl-${c.family.toLowerCase()}`;
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    // AL2 and Bottlerocket classes select one of moto's public x86_64 images by id, with
    // their family (which formats the user data; the environment's alias AMIs are AL2023).
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*-kernel-6.1-*'] }, { Name: 'architecture', Values: ['x86_64'] }] }));
    const image = images.Images?.[0]?.ImageId;
    if (!image) throw new Error("moto's public AL2023 x86_64 image is missing");
    const classes = [];
    for (const c of CASES) {
      const overrides = c.family === 'AL2023' ? { kubelet: c.kubelet } : { kubelet: c.kubelet, amiFamily: c.family, amiSelectorTerms: [{ id: image }] };
      classes.push(nodeClass(`${pool(c)}-class`, env.network.discoveryTag.value, overrides));
    }
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        CASES.map((c) => disruptionPool(pool(c), { nodeClass: `${pool(c)}-class`, requirements: onlyType(c.type), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' })),
        classes,
      ),
      'kubelet pools',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-kubelet`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, CASES.map(pool));
    repo?.remove();
  });

  test('AL2023, AL2 and Bottlerocket nodes report exactly the predicted cpu, memory, ephemeral-storage and pods', async () => {
    for (const c of CASES) await apps.createDeployment(`app-${c.family.toLowerCase()}`, { replicas: 1, cpu: '100m', memory: '128Mi', nodeSelector: { 'karpenter.sh/nodepool': pool(c) } });
    const nodes = await eventually(
      'a Running pod on a node of each pool',
      async () => {
        const pods = await workload.pods();
        if (pods.length !== CASES.length || notRunning(pods).length > 0) return undefined;
        const byPool = new Map<string, string>();
        for (const p of pods) {
          const node = await workload.core.readNode({ name: p.spec!.nodeName! });
          byPool.set(node.metadata!.labels!['karpenter.sh/nodepool']!, node.metadata!.name!);
        }
        return CASES.every((c) => byPool.has(pool(c))) ? byPool : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: () => describeDecisions(running!) },
    );
    for (const c of CASES) {
      const node = await workload.core.readNode({ name: nodes.get(pool(c))! });
      expect(node.metadata?.labels?.['node.kubernetes.io/instance-type']).toBe(c.type);
      const reported = Object.fromEntries(['cpu', 'memory', 'ephemeral-storage', 'pods'].map((r) => [r, parseResourceQuantity(r, node.status!.allocatable![r]!)]));
      expect({ family: c.family, allocatable: reported }).toEqual({ family: c.family, allocatable: predictedAllocatable(c) });
    }
    // The settings changed what the nodes give: not the defaults' numbers.
    const defaults = buildInstanceTypes({ meta: {}, instanceTypes: loadShippedCatalog().instanceTypes.filter((t) => t.name === 'r5.large') })[0]!.allocatable;
    expect(predictedAllocatable(CASES[2]!).pods).toBe(10);
    expect(defaults.pods).not.toBe(10);
  });
});
