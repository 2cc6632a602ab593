// The AWS adapter's discovery resolves an EC2NodeClass's selector terms against EC2 (the
// test environment's moto): AMIs by id, by name, by owner and name, by tags; subnets by id;
// security groups by id and by name. Each resolves exactly the selected resources, and a
// term that selects nothing is a NodeClassResolutionError (an unknown subnet or security group
// id is EC2's *.NotFound error, passed through).
import { CreateTagsCommand, DescribeImagesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { AMISelectorTerm, EC2NodeClass, EC2NodeClassSpec } from '../../core/api/karpenter.ts';
import { Ec2Calls } from '../../reconciler/adapters/aws/calls.ts';
import { NodeClassDiscovery, NodeClassResolutionError } from '../../reconciler/adapters/aws/discovery.ts';
import { SsmParameters } from '../../reconciler/adapters/aws/ami-ssm.ts';
import { SystemClock } from '../../reconciler/runtime/system-clock.ts';
import { ssmClientFor } from '../env/clients.ts';
import { testEnv } from '../env/index.ts';

const env = testEnv();
const ec2 = env.ec2();
const network = env.network;
const run = `sel${Date.now().toString(36)}`;
const clock = new SystemClock();

/** A fresh discovery per call: nothing is served from another test's cache. */
function discovery(): NodeClassDiscovery {
  const calls = new Ec2Calls(clock, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 });
  return new NodeClassDiscovery(ec2, calls, new SsmParameters(ssmClientFor(env.ec2Endpoint, env.region), calls), clock, {
    ttlMs: 60_000,
    amiTtlMs: 60_000,
    kubernetesVersion: undefined,
  });
}

function nodeClass(spec: Partial<EC2NodeClassSpec>): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: `selectors-${run}` },
    spec: {
      amiFamily: 'AL2023',
      role: 'KarpenterNodeRole',
      amiSelectorTerms: [{ id: 'ami-unused' }],
      subnetSelectorTerms: [{ tags: { [network.discoveryTag.key]: network.discoveryTag.value } }],
      securityGroupSelectorTerms: [{ tags: { [network.discoveryTag.key]: network.discoveryTag.value } }],
      ...spec,
    } as EC2NodeClassSpec,
  };
}

async function amis(terms: AMISelectorTerm[]): Promise<Record<string, string>> {
  const resolved = await discovery().resolveAmis(nodeClass({ amiSelectorTerms: terms }));
  // Per architecture, the AMI its instance types launch with (the newest).
  const out: Record<string, string> = {};
  for (const ami of resolved.amis) out[ami.arch] ??= ami.id;
  return out;
}

// moto's public Amazon Linux 2023 images (owner amazon), one per architecture for the 6.1 kernel.
const KERNEL_61 = 'al2023-ami-2023.*-kernel-6.1-*';
const images = { amd: '', amdName: '', arm: '', owner: '', selfAccount: '' };

beforeAll(async () => {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: [KERNEL_61] }] }));
  const found = out.Images ?? [];
  const amd = found.filter((i) => i.Architecture === 'x86_64');
  const arm = found.filter((i) => i.Architecture === 'arm64');
  expect({ amd: amd.length, arm: arm.length }).toEqual({ amd: 1, arm: 1 });
  images.amd = amd[0]!.ImageId!;
  images.amdName = amd[0]!.Name!;
  images.arm = arm[0]!.ImageId!;
  images.owner = amd[0]!.OwnerId!;
  expect(arm[0]!.OwnerId).toBe(images.owner);
  const sg = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [network.securityGroupId] }));
  images.selfAccount = sg.SecurityGroups?.[0]?.OwnerId ?? '';
  expect(images.selfAccount).toMatch(/^\d{12}$/);
  expect(images.selfAccount).not.toBe(images.owner);
});

describe('spec.amiSelectorTerms', () => {
  test('an AMI selected by id resolves to exactly that image', async () => {
    expect(await amis([{ id: images.amd }])).toEqual({ amd64: images.amd });
    expect(await amis([{ id: images.arm }, { id: images.amd }])).toEqual({ amd64: images.amd, arm64: images.arm });
  });

  test('AMIs selected by name (exact or a pattern) resolve to exactly the matching images, per architecture', async () => {
    expect(await amis([{ name: images.amdName }])).toEqual({ amd64: images.amd });
    expect(await amis([{ name: KERNEL_61 }])).toEqual({ amd64: images.amd, arm64: images.arm });
    await expect(amis([{ name: `joinery-${run}-absent-*` }])).rejects.toThrow(NodeClassResolutionError);
  });

  test('AMIs selected by owner and name resolve only for the owning account', async () => {
    expect(await amis([{ owner: images.owner, name: KERNEL_61 }])).toEqual({ amd64: images.amd, arm64: images.arm });
    expect(await amis([{ owner: 'amazon', name: images.amdName }])).toEqual({ amd64: images.amd });
    await expect(amis([{ owner: images.selfAccount, name: KERNEL_61 }])).rejects.toThrow(/matched no available AMI/);
    await expect(amis([{ owner: 'self', name: KERNEL_61 }])).rejects.toThrow(/matched no available AMI/);
  });

  test('an AMI selected by tags resolves to exactly the tagged image', async () => {
    await ec2.send(new CreateTagsCommand({ Resources: [images.arm], Tags: [{ Key: 'joinery.dev/selector-test', Value: run }] }));
    expect(await amis([{ tags: { 'joinery.dev/selector-test': run } }])).toEqual({ arm64: images.arm });
    await expect(amis([{ tags: { 'joinery.dev/selector-test': `${run}-nobody` } }])).rejects.toThrow(NodeClassResolutionError);
  });
});

describe('spec.subnetSelectorTerms', () => {
  test('a subnet selected by id resolves to exactly that subnet, in its zone', async () => {
    const [first, second] = network.subnets;
    if (!first || !second) throw new Error('the test environment seeds a subnet per zone; expected at least two');
    const one = await discovery().resolveSubnets(nodeClass({ subnetSelectorTerms: [{ id: first.subnetId }] }));
    expect(one.map((s) => ({ subnetId: s.id, zone: s.zone }))).toEqual([first]);
    const two = await discovery().resolveSubnets(nodeClass({ subnetSelectorTerms: [{ id: second.subnetId }, { id: first.subnetId }] }));
    expect(two.map((s) => s.id)).toEqual([first.subnetId, second.subnetId].sort());
    await expect(discovery().resolveSubnets(nodeClass({ subnetSelectorTerms: [{ id: 'subnet-0000000000000dead' }] }))).rejects.toMatchObject({ name: expect.stringMatching(/\.NotFound$/) });
  });
});

describe('spec.securityGroupSelectorTerms', () => {
  test('a security group selected by id resolves to exactly that group', async () => {
    expect(await discovery().resolveSecurityGroups(nodeClass({ securityGroupSelectorTerms: [{ id: network.securityGroupId }] }))).toEqual([network.securityGroupId]);
    await expect(discovery().resolveSecurityGroups(nodeClass({ securityGroupSelectorTerms: [{ id: 'sg-0000000000000dead' }] }))).rejects.toMatchObject({ name: expect.stringMatching(/\.NotFound$/) });
  });

  test('a security group selected by name resolves to exactly that group', async () => {
    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [network.securityGroupId] }));
    const name = described.SecurityGroups?.[0]?.GroupName;
    if (!name) throw new Error(`the seeded security group ${network.securityGroupId} has no name`);
    expect(await discovery().resolveSecurityGroups(nodeClass({ securityGroupSelectorTerms: [{ name }] }))).toEqual([network.securityGroupId]);
    await expect(discovery().resolveSecurityGroups(nodeClass({ securityGroupSelectorTerms: [{ name: `${name}-${run}-absent` }] }))).rejects.toThrow(
      /matched no security group/,
    );
  });
});
