import {
  buildInstanceTypes,
  defaultSpotPrice,
  eksKubeReservedCpuMillis,
  eksMaxPods,
  type InstanceType,
} from '../../../../core/index.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const MiB = 2 ** 20;
const raw = loadShippedCatalog();
const types = buildInstanceTypes(raw);
const byName = (name: string): InstanceType => {
  const t = types.find((x) => x.name === name);
  if (!t) throw new Error(`no ${name}`);
  return t;
};

describe('EKS node resources', () => {
  it('max-pods is ENIs x (IPv4 per ENI - 1) + 2, capped at 110 below 30 vCPUs and 250 above', () => {
    expect(eksMaxPods(2, 3, 10)).toBe(29); // m5.large
    expect(eksMaxPods(16, 8, 30)).toBe(110); // m5.4xlarge: 234 uncapped
    expect(eksMaxPods(96, 15, 50)).toBe(250); // m5.24xlarge: 737 uncapped
    expect(eksMaxPods(2, 3, 10, 1)).toBe(20); // one ENI reserved
  });

  it('kube-reserved cpu follows the EKS tiers', () => {
    expect(eksKubeReservedCpuMillis(1)).toBe(60);
    expect(eksKubeReservedCpuMillis(2)).toBe(70);
    expect(eksKubeReservedCpuMillis(4)).toBe(80);
    expect(eksKubeReservedCpuMillis(96)).toBe(310);
  });

  it('m5.large: allocatable as Karpenter predicts it', () => {
    const t = byName('m5.large');
    // 8192 MiB minus 7.5% VM overhead (615 MiB) = 7577 MiB capacity; minus 11 x 29 + 255 = 574 MiB
    // kube-reserved and 100 MiB eviction threshold = 6903 MiB.
    expect(t.capacity.memory).toBe(7577 * MiB);
    // nodefs.available 10% as the kubelet computes it: 10 parsed to float32, /100 in float32
    // (0.100000001...), times capacity, truncated: 32 bytes over 2Gi on a 20Gi volume.
    expect(t.allocatable).toEqual({ cpu: 1930, memory: 6903 * MiB, pods: 29, 'ephemeral-storage': 20 * 2 ** 30 - 2 ** 30 - (2 * 2 ** 30 + 32) });
  });
});

describe('buildInstanceTypes', () => {
  it('keeps every priced type of the shipped catalog', () => {
    expect(types.length).toBe(raw.instanceTypes.filter((t) => t.onDemandPricePerHour != null).length);
  });

  it('labels a type as Karpenter does', () => {
    expect(byName('m5.large').labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'm5.large',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/os': 'linux',
      'karpenter.k8s.aws/instance-category': 'm',
      'karpenter.k8s.aws/instance-family': 'm5',
      'karpenter.k8s.aws/instance-generation': '5',
      'karpenter.k8s.aws/instance-size': 'large',
      'karpenter.k8s.aws/instance-cpu': '2',
      'karpenter.k8s.aws/instance-memory': '8192',
      'karpenter.k8s.aws/instance-hypervisor': 'nitro',
      'topology.kubernetes.io/region': 'us-east-1',
    });
    expect(byName('m5.large').labels['karpenter.k8s.aws/instance-gpu-count']).toBeUndefined();
  });

  it('gives GPU types their GPU labels and extended resource', () => {
    const g = byName('g4dn.xlarge');
    expect(g.labels).toMatchObject({
      'karpenter.k8s.aws/instance-gpu-count': '1',
      'karpenter.k8s.aws/instance-gpu-manufacturer': 'nvidia',
      'karpenter.k8s.aws/instance-gpu-name': 't4',
    });
    expect(g.allocatable['nvidia.com/gpu']).toBe(1);
    const inf = types.find((t) => t.labels['karpenter.k8s.aws/instance-accelerator-name'] === 'inferentia')!;
    expect(inf.allocatable['aws.amazon.com/neuron']).toBeGreaterThan(0);
  });

  it('offers on-demand at the list price and spot at 30% to 60% of it, deterministically', () => {
    const t = byName('m5.large');
    const od = t.offerings.filter((o) => o.capacityType === 'on-demand');
    const spot = t.offerings.filter((o) => o.capacityType === 'spot');
    expect(od.length).toBe(raw.instanceTypes.find((x) => x.name === 'm5.large')!.zones.length);
    expect(od.every((o) => o.price === 0.096)).toBe(true);
    for (const o of spot) {
      expect(o.price).toBeGreaterThanOrEqual(0.096 * 0.3 - 1e-5);
      expect(o.price).toBeLessThan(0.096 * 0.6);
    }
    expect(buildInstanceTypes(raw).find((x) => x.name === 'm5.large')!.offerings).toEqual(t.offerings);
    // Same discount across a family in a zone.
    const r = (name: string) => raw.instanceTypes.find((x) => x.name === name)!;
    expect(defaultSpotPrice(r('m5.large'), 'us-east-1a')! / 0.096).toBeCloseTo(defaultSpotPrice(r('m5.xlarge'), 'us-east-1a')! / 0.192, 3);
  });

  it('takes a spot model, zones and capacity types from the caller', () => {
    const only = buildInstanceTypes(raw, { zones: ['us-east-1a'], capacityTypes: ['spot'], spotPrice: (t) => (t.onDemandPricePerHour ?? 0) / 2 });
    const t = only.find((x) => x.name === 'm5.large')!;
    expect(t.offerings).toEqual([{ zone: 'us-east-1a', capacityType: 'spot', price: 0.048, available: true }]);
  });
});
