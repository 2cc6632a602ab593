// What the test EC2 (moto, pinned in test/env/setup.sh) does for the calls the reconciler
// makes. These tests are the support list the reconciler's tests rely on: when a moto
// upgrade changes one of these behaviours, a test here says which.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CreateFleetCommand, CreateLaunchTemplateCommand, CreateTagsCommand, DescribeImagesCommand, DescribeInstanceAttributeCommand,
  DescribeInstancesCommand, DescribeInstanceTypeOfferingsCommand, DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand, DescribeSpotPriceHistoryCommand, DescribeSubnetsCommand, RunInstancesCommand,
  TerminateInstancesCommand, paginateDescribeInstanceTypes, type CreateFleetCommandInput, type Instance, type Tag,
} from '@aws-sdk/client-ec2';
import { testEnv } from '../env/index.ts';

const env = testEnv();
const ec2 = env.ec2();
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const run = `p${Date.now().toString(36)}`;
/** Marks what this file launches; deliberately not the cluster tag, so no Node joins. */
const probeTag: Tag = { Key: 'testenv.joinery.dev/probe', Value: run };
const launched: string[] = [];

const network = env.network;

afterAll(async () => {
  if (launched.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched }));
});

async function describe1(instanceId: string): Promise<Instance> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`DescribeInstances found no ${instanceId}`);
  return instance;
}

async function al2023(arch: 'x86_64' | 'arm64'): Promise<string> {
  const out = await ec2.send(new DescribeImagesCommand({
    Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023*'] }, { Name: 'architecture', Values: [arch] }],
  }));
  const id = out.Images?.[0]?.ImageId;
  if (!id) throw new Error(`no al2023 ${arch} image in moto`);
  return id;
}

describe('discovery by tag (EC2NodeClass selector terms)', () => {
  const byDiscovery = [{ Name: `tag:${network.discoveryTag.key}`, Values: [network.discoveryTag.value] }];

  test('DescribeSubnets and DescribeSecurityGroups filtered by tag return the seeded network', async () => {
    const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: byDiscovery }));
    expect(subnets.Subnets?.map((s) => ({ subnetId: s.SubnetId, zone: s.AvailabilityZone })).sort((a, b) => a.zone!.localeCompare(b.zone!)))
      .toEqual(network.subnets);
    expect(subnets.Subnets?.every((s) => (s.AvailableIpAddressCount ?? 0) > 0)).toBe(true);
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byDiscovery }));
    expect(groups.SecurityGroups?.map((g) => g.GroupId)).toEqual([network.securityGroupId]);
  });

  test('DescribeImages finds Amazon Linux 2023 for both architectures by owner and name, and by a tag set with CreateTags', async () => {
    const x86 = await al2023('x86_64');
    const arm = await al2023('arm64');
    expect(x86).not.toBe(arm);
    await ec2.send(new CreateTagsCommand({ Resources: [x86], Tags: [probeTag] }));
    const tagged = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: `tag:${probeTag.Key}`, Values: [run] }] }));
    expect(tagged.Images?.map((i) => i.ImageId)).toEqual([x86]);
  });
});

describe('catalog and prices', () => {
  const catalog = (JSON.parse(readFileSync(join(REPO, 'data/ec2-us-east-1.json'), 'utf8')) as {
    instanceTypes: { name: string; vcpu: number; memoryMiB: number; arch: string; maxNetworkInterfaces: number; ipv4PerInterface: number; zones: string[] }[];
  }).instanceTypes;

  test('DescribeInstanceTypes agrees with data/ec2-us-east-1.json on vCPUs, memory, architecture and ENIs of every type both know', async () => {
    const fromEc2 = new Map<string, { vcpu?: number; memoryMiB?: number; arch: string; enis?: number; ipv4?: number }>();
    for await (const page of paginateDescribeInstanceTypes({ client: ec2 }, {})) {
      for (const t of page.InstanceTypes ?? []) {
        fromEc2.set(t.InstanceType ?? '', {
          vcpu: t.VCpuInfo?.DefaultVCpus,
          memoryMiB: t.MemoryInfo?.SizeInMiB,
          arch: (t.ProcessorInfo?.SupportedArchitectures ?? []).includes('arm64') ? 'arm64' : 'amd64',
          enis: t.NetworkInfo?.MaximumNetworkInterfaces,
          ipv4: t.NetworkInfo?.Ipv4AddressesPerInterface,
        });
      }
    }
    const known = catalog.filter((c) => fromEc2.has(c.name));
    // moto 5.2.5 lacks only the g4ad family of the catalog's 1,345 types.
    expect(catalog.filter((c) => !fromEc2.has(c.name)).map((c) => c.name).filter((n) => !n.startsWith('g4ad.'))).toEqual([]);
    const disagreements = known.filter((c) => {
      const e = fromEc2.get(c.name);
      return e?.vcpu !== c.vcpu || e.memoryMiB !== c.memoryMiB || e.arch !== c.arch || e.enis !== c.maxNetworkInterfaces || e.ipv4 !== c.ipv4PerInterface;
    }).map((c) => c.name);
    expect(disagreements).toEqual([]);
  });

  test('DescribeInstanceTypeOfferings by availability zone lists the zones of a type', async () => {
    const out = await ec2.send(new DescribeInstanceTypeOfferingsCommand({
      LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['m5.large'] }],
    }));
    const zones = (out.InstanceTypeOfferings ?? []).map((o) => o.Location).sort();
    expect(zones).toEqual(expect.arrayContaining(catalog.find((c) => c.name === 'm5.large')?.zones ?? ['(missing)']));
    expect(out.InstanceTypeOfferings?.every((o) => o.LocationType === 'availability-zone')).toBe(true);
  });

  test('DescribeSpotPriceHistory answers one price per zone, a placeholder rather than a market price', async () => {
    const out = await ec2.send(new DescribeSpotPriceHistoryCommand({
      InstanceTypes: ['m5.large'], ProductDescriptions: ['Linux/UNIX'], StartTime: new Date(),
    }));
    const history = out.SpotPriceHistory ?? [];
    const offered = await ec2.send(new DescribeInstanceTypeOfferingsCommand({
      LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['m5.large'] }],
    }));
    expect(history.map((h) => h.AvailabilityZone).sort()).toEqual((offered.InstanceTypeOfferings ?? []).map((o) => o.Location).sort());
    // Every type and zone gets the same tiny price: a spot-price model in tests must come from elsewhere.
    expect(new Set(history.map((h) => h.SpotPrice)).size).toBe(1);
    expect(Number(history[0]?.SpotPrice)).toBeLessThan(0.001);
  });
});

describe('launching', () => {
  const userData = "#!/bin/bash\n/etc/eks/bootstrap.sh test --kubelet-extra-args '--node-labels=a=b'\n";
  let launchTemplateId = '';

  beforeAll(async () => {
    const out = await ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: `testenv-${run}`,
      LaunchTemplateData: {
        ImageId: await al2023('x86_64'),
        UserData: Buffer.from(userData).toString('base64'),
        SecurityGroupIds: [network.securityGroupId],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'from-launch-template', Value: 'yes' }] }],
      },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: [probeTag] }],
    }));
    launchTemplateId = out.LaunchTemplate?.LaunchTemplateId ?? '';
    expect(launchTemplateId).toMatch(/^lt-/);
  });

  const fleet = (clientToken: string, capacityType: 'on-demand' | 'spot', count = 1): CreateFleetCommandInput => ({
    Type: 'instant',
    ClientToken: clientToken,
    LaunchTemplateConfigs: [{
      LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
      Overrides: [
        { InstanceType: 'c5.large', SubnetId: network.subnets[1]?.subnetId },
        { InstanceType: 'm5.large', SubnetId: network.subnets[0]?.subnetId },
        { InstanceType: 'r5.large', SubnetId: network.subnets[2]?.subnetId },
      ],
    }],
    TargetCapacitySpecification: { TotalTargetCapacity: count, DefaultTargetCapacityType: capacityType },
    OnDemandOptions: { AllocationStrategy: 'lowest-price' },
    SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
    TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag, { Key: 'karpenter.sh/nodeclaim', Value: clientToken }] }],
  });

  test('DescribeLaunchTemplates finds the template by tag', async () => {
    const out = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: `tag:${probeTag.Key}`, Values: [run] }] }));
    expect(out.LaunchTemplates?.map((t) => t.LaunchTemplateId)).toEqual([launchTemplateId]);
  });

  test('CreateFleet (instant) launches the first override, in its subnet\'s zone, with the template\'s user data and both sets of tags', async () => {
    const out = await ec2.send(new CreateFleetCommand(fleet(`${run}-od`, 'on-demand', 2)));
    expect(out.Errors ?? []).toEqual([]);
    const ids = (out.Instances ?? []).flatMap((i) => i.InstanceIds ?? []);
    launched.push(...ids);
    expect(ids).toHaveLength(2);
    expect(out.Instances?.[0]).toMatchObject({ InstanceType: 'c5.large', Lifecycle: 'on-demand' });
    const instance = await describe1(ids[0] ?? '');
    expect(instance).toMatchObject({ InstanceType: 'c5.large', SubnetId: network.subnets[1]?.subnetId, Placement: { AvailabilityZone: network.subnets[1]?.zone } });
    expect(instance.InstanceLifecycle).toBeUndefined();
    expect(instance.Tags).toEqual(expect.arrayContaining([probeTag, { Key: 'from-launch-template', Value: 'yes' }]));
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'userData' }));
    expect(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString()).toBe(userData);
  });

  test('CreateFleet (instant) with spot capacity launches instances whose lifecycle is spot', async () => {
    const out = await ec2.send(new CreateFleetCommand(fleet(`${run}-spot`, 'spot')));
    const ids = (out.Instances ?? []).flatMap((i) => i.InstanceIds ?? []);
    launched.push(...ids);
    expect(out.Instances?.[0]?.Lifecycle).toBe('spot');
    expect((await describe1(ids[0] ?? '')).InstanceLifecycle).toBe('spot');
  });

  test('known gap: moto ignores ClientToken, so a retried CreateFleet or RunInstances launches again', async () => {
    const first = await ec2.send(new CreateFleetCommand(fleet(`${run}-retry`, 'on-demand')));
    const second = await ec2.send(new CreateFleetCommand(fleet(`${run}-retry`, 'on-demand')));
    const a = first.Instances?.[0]?.InstanceIds?.[0] ?? '';
    const b = second.Instances?.[0]?.InstanceIds?.[0] ?? '';
    launched.push(a, b);
    // AWS returns the first fleet's instances again; moto launches a second instance.
    // A reconciler test of crash-and-retry must find the first launch by its tags.
    expect(b).not.toBe(a);
    const byClaim = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:karpenter.sh/nodeclaim', Values: [`${run}-retry`] }] }));
    expect(byClaim.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId).sort()).toEqual([a, b].sort());

    const image = await al2023('x86_64');
    const runWithToken = () => ec2.send(new RunInstancesCommand({
      ImageId: image, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, ClientToken: `${run}-run-retry`,
      SubnetId: network.subnets[0]?.subnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag] }],
    }));
    const c = (await runWithToken()).Instances?.[0]?.InstanceId ?? '';
    const d = (await runWithToken()).Instances?.[0]?.InstanceId ?? '';
    launched.push(c, d);
    expect(d).not.toBe(c);
  });

  test('known gap: instances CreateFleet launches carry none of the launch template\'s security groups', async () => {
    const out = await ec2.send(new CreateFleetCommand(fleet(`${run}-sg`, 'on-demand')));
    const id = out.Instances?.[0]?.InstanceIds?.[0] ?? '';
    launched.push(id);
    expect((await describe1(id)).SecurityGroups ?? []).toEqual([]);
  });

  test('RunInstances, CreateTags, DescribeInstances by tag and state, TerminateInstances', async () => {
    const out = await ec2.send(new RunInstancesCommand({
      ImageId: await al2023('arm64'), InstanceType: 'm6g.large', MinCount: 1, MaxCount: 1, SubnetId: network.subnets[2]?.subnetId,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag] }],
    }));
    const id = out.Instances?.[0]?.InstanceId ?? '';
    launched.push(id);
    expect(out.Instances?.[0]?.State?.Name).toBe('pending');
    expect((await describe1(id)).State?.Name).toBe('running');
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'joinery.dev/policy-commit', Value: run }] }));
    const running = await ec2.send(new DescribeInstancesCommand({
      Filters: [{ Name: 'tag:joinery.dev/policy-commit', Values: [run] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }],
    }));
    expect(running.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([id]);
    const terminated = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(terminated.TerminatingInstances?.[0]).toMatchObject({ InstanceId: id, PreviousState: { Name: 'running' }, CurrentState: { Name: 'shutting-down' } });
    expect((await describe1(id)).State?.Name).toBe('terminated');
  });
});

describe('capacity faults (injected by the test environment in front of moto)', () => {
  let launchTemplateId = '';
  beforeAll(async () => {
    const out = await ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: `testenv-faults-${run}`,
      LaunchTemplateData: { ImageId: await al2023('x86_64') },
    }));
    launchTemplateId = out.LaunchTemplate?.LaunchTemplateId ?? '';
  });
  afterEach(() => env.ec2Faults.clear());

  const fleet = (capacityType: 'on-demand' | 'spot'): CreateFleetCommandInput => ({
    Type: 'instant',
    LaunchTemplateConfigs: [{
      LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
      Overrides: [
        { InstanceType: 'c5.large', SubnetId: network.subnets[0]?.subnetId },
        { InstanceType: 'c5.large', SubnetId: network.subnets[1]?.subnetId },
        { InstanceType: 'm5.large', SubnetId: network.subnets[0]?.subnetId },
      ],
    }],
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: capacityType },
    TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag] }],
  });
  const launchedBy = (out: { Instances?: { InstanceIds?: string[] }[] }) => {
    const ids = (out.Instances ?? []).flatMap((i) => i.InstanceIds ?? []);
    launched.push(...ids);
    return ids;
  };

  test('CreateFleet skips an offering without capacity, launches the next one and reports InsufficientInstanceCapacity for the skipped one', async () => {
    await env.ec2Faults.setUnavailableOfferings([{ instanceType: 'c5.large', zone: network.subnets[0]?.zone }]);
    const out = await ec2.send(new CreateFleetCommand(fleet('on-demand')));
    const ids = launchedBy(out);
    expect(ids).toHaveLength(1);
    const instance = await describe1(ids[0] ?? '');
    expect({ type: instance.InstanceType, zone: instance.Placement?.AvailabilityZone }).toEqual({ type: 'c5.large', zone: network.subnets[1]?.zone });
    expect(out.Errors).toEqual([expect.objectContaining({
      ErrorCode: 'InsufficientInstanceCapacity',
      Lifecycle: 'on-demand',
      LaunchTemplateAndOverrides: expect.objectContaining({
        LaunchTemplateSpecification: expect.objectContaining({ LaunchTemplateId: launchTemplateId }),
        Overrides: expect.objectContaining({ InstanceType: 'c5.large', SubnetId: network.subnets[0]?.subnetId }),
      }),
    })]);
  });

  test('CreateFleet with no offering left launches nothing and reports one error per override; capacity type scopes the fault', async () => {
    await env.ec2Faults.setUnavailableOfferings([{ instanceType: 'c5.large', capacityType: 'spot' }, { instanceType: 'm5.large', capacityType: 'spot' }]);
    const spot = await ec2.send(new CreateFleetCommand(fleet('spot')));
    expect(launchedBy(spot)).toEqual([]);
    expect(spot.FleetId).toMatch(/^fleet-/);
    expect(spot.Errors?.map((e) => [e.ErrorCode, e.LaunchTemplateAndOverrides?.Overrides?.InstanceType])).toEqual([
      ['InsufficientInstanceCapacity', 'c5.large'], ['InsufficientInstanceCapacity', 'c5.large'], ['InsufficientInstanceCapacity', 'm5.large'],
    ]);
    const onDemand = await ec2.send(new CreateFleetCommand(fleet('on-demand')));
    expect(launchedBy(onDemand)).toHaveLength(1);
    expect(onDemand.Errors ?? []).toEqual([]);
  });

  test('RunInstances of an offering without capacity fails with InsufficientInstanceCapacity', async () => {
    await env.ec2Faults.setUnavailableOfferings([{ instanceType: 'm5.large', zone: network.subnets[2]?.zone }]);
    const attempt = ec2.send(new RunInstancesCommand({
      ImageId: await al2023('x86_64'), InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: network.subnets[2]?.subnetId,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag] }],
    }));
    await expect(attempt).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });
    const out = await ec2.send(new RunInstancesCommand({
      ImageId: await al2023('x86_64'), InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: network.subnets[0]?.subnetId,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [probeTag] }],
    }));
    launchedBy({ Instances: [{ InstanceIds: (out.Instances ?? []).map((i) => i.InstanceId ?? '') }] });
    expect(out.Instances?.[0]?.Placement?.AvailabilityZone).toBe(network.subnets[0]?.zone);
  });
});
