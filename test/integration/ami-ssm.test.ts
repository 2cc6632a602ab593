// AMIs through SSM against the real test environment (moto's SSM and EC2, the real
// kube-apiserver, kube-scheduler and kwok): the public parameters AWS publishes for the
// EKS-optimized AMIs (seeded by the environment, test/env/ec2-seed.ts) resolve an alias per
// architecture and per variant, and each launched instance runs the image of its type's
// arch and variant (a GPU type the nvidia image, a Neuron type the neuron image); an
// `ssmParameter` term resolves through the parameter it names; and when that parameter
// points to a new AMI, the node launched with the old one drifts and is replaced.
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { EC2NodeClass, NodeClaim } from '../../core/api/karpenter.ts';
import { SsmParameters } from '../../reconciler/adapters/aws/ami-ssm.ts';
import { Ec2Calls } from '../../reconciler/adapters/aws/calls.ts';
import { NodeClassDiscovery, NodeClassResolutionError, type ResolvedAmis } from '../../reconciler/adapters/aws/discovery.ts';
import { SystemClock } from '../../reconciler/runtime/system-clock.ts';
import { ssmClientFor } from '../env/clients.ts';
import { copyOfAmazonLinux } from '../env/ec2-seed.ts';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, notRunning } from './support/disruption.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const ssm = ssmClientFor(env.ec2Endpoint, env.region, 3);
const clock = new SystemClock();
const k = env.eksAmis.kubernetesVersion;

/** The seeded image behind a public parameter path fragment, e.g. `amazon-linux-2023/x86_64/nvidia/recommended`. */
function seeded(fragment: string): string {
  const image = env.eksAmis.images.find((i) => i.parameters.some((p) => p.includes(fragment)));
  if (!image) throw new Error(`the environment seeded no image under ${fragment} (seeded: ${env.eksAmis.images.map((i) => i.name).join(', ')})`);
  return image.imageId;
}

function discovery(): NodeClassDiscovery {
  const calls = new Ec2Calls(clock, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 });
  return new NodeClassDiscovery(ec2, calls, new SsmParameters(ssm, calls), clock, { ttlMs: 60_000, amiTtlMs: 60_000, kubernetesVersion: k });
}

function classWith(name: string, spec: Partial<NonNullable<EC2NodeClass['spec']>>): EC2NodeClass {
  return nodeClass(name, env.network.discoveryTag.value, spec);
}

/** arch/variants -> id, in the resolved order. */
function table(r: ResolvedAmis): string[] {
  return r.amis.map((a) => `${a.arch}/${(a.variants ?? ['*']).join('+')} ${a.id}`);
}

async function imageOf(providerID: string): Promise<string | undefined> {
  const id = providerID.slice(providerID.lastIndexOf('/') + 1);
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.ImageId;
}

describe('aliases resolve through the public SSM parameters, per arch and variant', () => {
  test('al2023@latest and the pinned release: standard, nvidia and neuron on x86_64, standard and nvidia on arm64', async () => {
    expect(k).toMatch(/^1\.\d+$/);
    const expected = [
      `amd64/standard ${seeded('amazon-linux-2023/x86_64/standard/recommended')}`,
      `amd64/nvidia ${seeded('amazon-linux-2023/x86_64/nvidia/recommended')}`,
      `amd64/neuron ${seeded('amazon-linux-2023/x86_64/neuron/recommended')}`,
      `arm64/standard ${seeded('amazon-linux-2023/arm64/standard/recommended')}`,
      `arm64/nvidia ${seeded('amazon-linux-2023/arm64/nvidia/recommended')}`,
    ].sort();
    expect(new Set(expected.map((e) => e.split(' ')[1])).size).toBe(5);
    const latest = await discovery().resolveAmis(classWith('alias-latest', { amiSelectorTerms: [{ alias: 'al2023@latest' }] }));
    expect(latest.family).toBe('AL2023');
    expect(table(latest).sort()).toEqual(expected);
    const pinned = await discovery().resolveAmis(classWith('alias-pinned', { amiSelectorTerms: [{ alias: 'al2023@v20261101' }] }));
    expect(table(pinned).sort()).toEqual(expected);
  });

  test('al2@latest and bottlerocket (latest and pinned): the GPU image serves nvidia and neuron types', async () => {
    const al2 = await discovery().resolveAmis(classWith('alias-al2', { amiSelectorTerms: [{ alias: 'al2@latest' }] }));
    expect(al2.family).toBe('AL2');
    expect(table(al2).sort()).toEqual(
      [
        `amd64/standard ${seeded(`${k}/amazon-linux-2/recommended`)}`,
        `arm64/standard ${seeded('amazon-linux-2-arm64/recommended')}`,
        `amd64/nvidia+neuron ${seeded('amazon-linux-2-gpu/recommended')}`,
      ].sort(),
    );
    for (const alias of ['bottlerocket@latest', 'bottlerocket@v1.50.0']) {
      const br = await discovery().resolveAmis(classWith('alias-br', { amiSelectorTerms: [{ alias }] }));
      expect(br.family).toBe('Bottlerocket');
      expect(table(br).sort()).toEqual(
        [
          `amd64/standard ${seeded(`aws-k8s-${k}/x86_64/latest`)}`,
          `arm64/standard ${seeded(`aws-k8s-${k}/arm64/latest`)}`,
          `amd64/nvidia+neuron ${seeded(`aws-k8s-${k}-nvidia/x86_64/latest`)}`,
          `arm64/nvidia+neuron ${seeded(`aws-k8s-${k}-nvidia/arm64/latest`)}`,
        ].sort(),
      );
    }
  });

  test('an unknown version, an unknown family or an unscoped term: the class is not ready, the error names the term', async () => {
    const cases: [EC2NodeClass, RegExp][] = [
      [classWith('bad-version', { amiSelectorTerms: [{ alias: 'al2023@v20000101' }] }), /spec\.amiSelectorTerms\[0\]\.alias "al2023@v20000101" resolved no AMI for Kubernetes 1\.\d+/],
      [classWith('bad-family', { amiSelectorTerms: [{ alias: 'ubuntu@latest' }] }), /spec\.amiSelectorTerms\[0\]\.alias alias "ubuntu@latest" names no AMI family/],
      [classWith('unscoped', { amiFamily: 'AL2023', amiSelectorTerms: [{ tags: {} }] }), /spec\.amiSelectorTerms\[0\] \{"tags":\{\}\} scopes no image/],
      [classWith('no-param', { amiFamily: 'AL2023', amiSelectorTerms: [{ ssmParameter: '/joinery-test/no-such-parameter' }] }), /spec\.amiSelectorTerms\[0\]\.ssmParameter "\/joinery-test\/no-such-parameter": no such SSM parameter/],
    ];
    for (const [c, message] of cases) {
      const err = await discovery().resolveAmis(c).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(NodeClassResolutionError);
      expect({ class: c.metadata.name, message: (err as Error).message }).toEqual({ class: c.metadata.name, message: expect.stringMatching(message) });
      expect((err as Error).message).toContain(`EC2NodeClass ${c.metadata.name}:`);
    }
  });
});

describe('the reconciler launches each instance type with the AMI of its arch and variant', () => {
  const id = runId();
  const poolName = `${id}-ami`;
  const className = `${id}-alias`;
  const workload = new Workload(kc, `${id}-ami`);
  const types = { 'm5.large': 'x86_64/standard', 'm6g.large': 'arm64/standard', 'g4dn.xlarge': 'x86_64/nvidia', 'g5g.xlarge': 'arm64/nvidia', 'inf2.xlarge': 'x86_64/neuron' } as const;
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    repo = createPolicyRepo();
    const pool = nodePool(poolName, {
      nodeClass: className,
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: Object.keys(types) },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ],
    });
    repo.push(generatedFiles([pool], [classWith(className, { amiSelectorTerms: [{ alias: 'al2023@latest' }] })]), 'one pool, al2023@latest');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-ami` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('m5 standard, m6g arm64 standard, g4dn nvidia, g5g arm64 nvidia, inf2 neuron: each instance runs its seeded image', async () => {
    await workload.createPods(
      Object.keys(types).map((type) => podManifest(`on-${type.replace('.', '-')}`, workload.namespace, { cpu: '100m', memory: '64Mi', nodeSelector: { 'node.kubernetes.io/instance-type': type } })),
    );
    const claims = await eventually(
      'a launched NodeClaim of each instance type',
      async () => {
        const launched = (await workload.nodeClaims([poolName])).filter((c) => c.status?.providerID);
        const byType = new Map(launched.map((c) => [c.metadata.labels?.['node.kubernetes.io/instance-type'] ?? '', c] as [string, NodeClaim]));
        return Object.keys(types).every((t) => byType.has(t)) ? byType : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    const got: Record<string, string | undefined> = {};
    const want: Record<string, string> = {};
    for (const [type, path] of Object.entries(types)) {
      const [arch, variant] = path.split('/');
      want[type] = seeded(`amazon-linux-2023/${arch}/${variant}/recommended`);
      const claim = claims.get(type)!;
      got[type] = await imageOf(claim.status!.providerID!);
      expect({ type, claimImage: claim.status?.imageID }).toEqual({ type, claimImage: want[type] });
    }
    expect(got).toEqual(want);
  });
});

describe('an ssmParameter term, and drift when the parameter points to a new AMI', () => {
  const id = runId();
  const poolName = `${id}-param`;
  const className = `${id}-param`;
  const parameter = `/joinery-test/${id}/node-ami`;
  const workload = new Workload(kc, `${id}-param`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  const images = { first: '', second: '' };

  const register = (name: string): Promise<string> => copyOfAmazonLinux(ec2, env.region, 'x86_64', name);

  beforeAll(async () => {
    images.first = await register(`${id}-node-1`);
    await ssm.send(new PutParameterCommand({ Name: parameter, Value: images.first, Type: 'String' }));
    repo = createPolicyRepo();
    const pool = nodePool(poolName, {
      nodeClass: className,
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ],
    });
    pool.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '1' }] };
    repo.push(generatedFiles([pool], [classWith(className, { amiFamily: 'AL2023', amiSelectorTerms: [{ ssmParameter: parameter }] })]), 'AMI from an SSM parameter');
    await workload.createNamespace();
    running = await startReconciler({
      env,
      repo,
      logName: `reconciler-${id}-param`,
      options: { ...FAST_DISRUPTION, cloudDriftIntervalMs: 1_000 },
      aws: { amiTtlMs: 1_000 },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('the node launches with the image the parameter holds; after the parameter points to a new AMI it is replaced by a node on the new one', async () => {
    // A Deployment: its pod is recreated on the replacement when the drifted node is drained.
    await new Apps(kc, workload.namespace).createDeployment('app', { replicas: 1, cpu: '100m', memory: '64Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    const first = await eventually(
      'the pod Running on a node launched from the parameter',
      async () => {
        const pods = await workload.pods();
        const claims = (await workload.nodeClaims([poolName])).filter((c) => c.status?.providerID);
        return pods.length === 1 && notRunning(pods).length === 0 && claims.length === 1 ? claims[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(first.status?.imageID).toBe(images.first);
    expect(await imageOf(first.status!.providerID!)).toBe(images.first);

    images.second = await register(`${id}-node-2`);
    await ssm.send(new PutParameterCommand({ Name: parameter, Value: images.second, Type: 'String', Overwrite: true }));

    const replacement = await eventually(
      'the old node gone, and the pod Running on a node launched with the new AMI',
      async () => {
        const claims = (await workload.nodeClaims([poolName])).filter((c) => !c.metadata.deletionTimestamp && c.status?.providerID);
        const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
        const gone = !claims.some((c) => c.metadata.name === first.metadata.name);
        return gone && claims.length === 1 && pods.length === 1 && notRunning(pods).length === 0 && pods[0]!.spec?.nodeName === claims[0]!.status?.nodeName ? claims[0] : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: async () => `claims: ${(await workload.nodeClaims([poolName])).map((c) => `${c.metadata.name} ${c.status?.imageID}`).join(', ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(replacement.status?.imageID).toBe(images.second);
    expect(await imageOf(replacement.status!.providerID!)).toBe(images.second);
    // The reason is drift of the resolved AMI, replacement first.
    const decision = running!.decisions.find((d) => d.controller === 'disruption' && d.reason === 'drifted' && d.nodeClaims?.includes(first.metadata.name!));
    expect(decision?.action).toBe('replace');
    expect(decision?.message).toContain(`AMI ${images.first} is no longer one EC2NodeClass ${className} resolves to`);
  }, 300_000);
});
