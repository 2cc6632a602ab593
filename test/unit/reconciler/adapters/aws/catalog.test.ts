// From EC2's descriptions to the scheduler's instance types: DescribeInstanceTypes
// records, the class's kubelet settings, selector filters (AMI aliases: ami-ssm.test.ts).
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { kubeletSettings, rawInstanceType } from '../../../../../reconciler/adapters/aws/catalog.ts';
import { tagFilters } from '../../../../../reconciler/adapters/aws/discovery.ts';
import { rootVolumeBytes, defaultBlockDevices } from '../../../../../reconciler/adapters/aws/launch-templates.ts';
import { subnetPerZone } from '../../../../../reconciler/adapters/aws/provider.ts';

const g5: InstanceTypeInfo = {
  InstanceType: 'g5.xlarge',
  VCpuInfo: { DefaultVCpus: 4 },
  MemoryInfo: { SizeInMiB: 16384 },
  ProcessorInfo: { SupportedArchitectures: ['x86_64'], Manufacturer: 'AMD' },
  GpuInfo: { Gpus: [{ Count: 1, Manufacturer: 'NVIDIA', Name: 'A10G', MemoryInfo: { SizeInMiB: 24576 } }] },
  NetworkInfo: { MaximumNetworkInterfaces: 4, Ipv4AddressesPerInterface: 15 },
  InstanceStorageInfo: { TotalSizeInGB: 250 },
  Hypervisor: 'nitro',
  SupportedUsageClasses: ['on-demand', 'spot'],
};

describe('rawInstanceType', () => {
  test('specs, accelerators, ENIs, zones and the on-demand price', () => {
    expect(rawInstanceType(g5, ['us-east-1b', 'us-east-1a'], 1.006)).toMatchObject({
      name: 'g5.xlarge',
      vcpu: 4,
      memoryMiB: 16384,
      arch: 'amd64',
      manufacturer: 'AMD',
      gpu: { count: 1, manufacturer: 'NVIDIA', name: 'A10G', memoryMiB: 24576 },
      maxNetworkInterfaces: 4,
      ipv4PerInterface: 15,
      instanceStorageGB: 250,
      usageClasses: ['on-demand', 'spot'],
      zones: ['us-east-1a', 'us-east-1b'],
      onDemandPricePerHour: 1.006,
    });
  });
  test('Graviton is arm64; a type no Kubernetes node can be is dropped', () => {
    expect(rawInstanceType({ ...g5, InstanceType: 'm7g.large', ProcessorInfo: { SupportedArchitectures: ['arm64'] }, GpuInfo: undefined }, [], 0.08)?.arch).toBe('arm64');
    expect(rawInstanceType({ ...g5, ProcessorInfo: { SupportedArchitectures: ['x86_64_mac'] } }, [], 1)).toBeUndefined();
  });
});

describe('kubeletSettings', () => {
  test('maxPods, reserved resources and eviction thresholds from spec.kubelet', () => {
    expect(
      kubeletSettings(
        { maxPods: 110, podsPerCore: 10, kubeReserved: { cpu: '200m', memory: '1Gi' }, systemReserved: { memory: '500Mi' }, evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '15%' } },
        100 * 2 ** 30,
      ),
    ).toEqual({
      maxPods: 110,
      podsPerCore: 10,
      kubeReserved: { cpu: 200, memory: 2 ** 30 },
      systemReserved: { memory: 500 * 2 ** 20 },
      evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '15%' },
      ephemeralStorageBytes: 100 * 2 ** 30,
    });
  });
  test('a bad quantity names the field', () => {
    expect(() => kubeletSettings({ kubeReserved: { cpu: 'lots' } }, undefined)).toThrow(/invalid quantity "lots"/);
    expect(() => kubeletSettings({ evictionHard: { 'memory.free': '1Gi' } }, undefined)).toThrow(/spec.kubelet.evictionHard.memory.free is not an eviction signal/);
    expect(() => kubeletSettings({ evictionHard: { 'memory.available': 'lots' } }, undefined)).toThrow(/"lots" is neither a quantity/);
  });
  test('the root volume backs ephemeral storage (20Gi by default)', () => {
    expect(rootVolumeBytes(defaultBlockDevices('AL2023'))).toBe(20 * 2 ** 30);
    expect(rootVolumeBytes(defaultBlockDevices('Bottlerocket'))).toBe(20 * 2 ** 30);
  });
});

describe('selectors', () => {
  test('a tag value of * matches any value', () => {
    expect(tagFilters({ 'karpenter.sh/discovery': 'prod', tier: '*' })).toEqual([
      { Name: 'tag:karpenter.sh/discovery', Values: ['prod'] },
      { Name: 'tag-key', Values: ['tier'] },
    ]);
  });
  test('per zone, the subnet with the most free addresses', () => {
    const picked = subnetPerZone([
      { id: 'a1', zone: 'us-east-1a', zoneId: undefined, availableIps: 10 },
      { id: 'a2', zone: 'us-east-1a', zoneId: undefined, availableIps: 500 },
      { id: 'b1', zone: 'us-east-1b', zoneId: undefined, availableIps: 3 },
    ]);
    expect([...picked.values()].map((s) => s.id)).toEqual(['a2', 'b1']);
  });
});
