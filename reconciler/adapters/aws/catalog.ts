// The instance catalog as EC2 describes it: DescribeInstanceTypes (specs) and
// DescribeInstanceTypeOfferings per availability zone (where each type is sold), turned
// into the raw records core/catalog builds the scheduler's instance types from. Cached
// for a TTL: the region's catalog changes on the scale of weeks.

import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import type { EC2NodeClassKubelet } from '../../../core/api/karpenter.ts';
import type { KubeletSettings } from '../../../core/catalog/eks.ts';
import type { RawInstanceType } from '../../../core/catalog/raw-catalog.ts';
import { parseResourceQuantity } from '../../../core/resources/quantity.ts';
import { evictionThresholdProblem } from '../../../core/contract/kubelet.ts';
import type { ResourceList } from '../../../core/resources/resource-list.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Ec2Calls } from './calls.ts';

/** `x86_64` and `arm64` as EC2 spells them; Kubernetes says amd64 and arm64. */
export function kubernetesArch(ec2Architectures: readonly string[] | undefined): 'amd64' | 'arm64' | undefined {
  const archs = ec2Architectures ?? [];
  if (archs.includes('x86_64')) return 'amd64';
  if (archs.includes('arm64')) return 'arm64';
  return undefined; // i386-only or x86_64_mac: not Kubernetes nodes
}

/** One DescribeInstanceTypes record as core's raw catalog shape; undefined for types no node can be. */
export function rawInstanceType(info: InstanceTypeInfo, zones: readonly string[], onDemandPrice: number | undefined): RawInstanceType | undefined {
  const name = info.InstanceType;
  const arch = kubernetesArch(info.ProcessorInfo?.SupportedArchitectures);
  if (!name || !arch || !info.VCpuInfo?.DefaultVCpus || !info.MemoryInfo?.SizeInMiB) return undefined;
  const gpu = info.GpuInfo?.Gpus?.[0];
  const neuron = info.NeuronInfo?.NeuronDevices?.[0] ?? info.InferenceAcceleratorInfo?.Accelerators?.[0];
  return {
    name,
    vcpu: info.VCpuInfo.DefaultVCpus,
    memoryMiB: info.MemoryInfo.SizeInMiB,
    arch,
    manufacturer: info.ProcessorInfo?.Manufacturer ?? null,
    gpu: gpu
      ? {
          count: (info.GpuInfo?.Gpus ?? []).reduce((n, g) => n + (g.Count ?? 0), 0),
          manufacturer: gpu.Manufacturer ?? '',
          name: gpu.Name ?? '',
          memoryMiB: gpu.MemoryInfo?.SizeInMiB ?? 0,
        }
      : null,
    neuron: neuron ? { count: neuron.Count ?? 0, name: neuron.Name ?? '' } : null,
    maxNetworkInterfaces: info.NetworkInfo?.MaximumNetworkInterfaces ?? 1,
    ipv4PerInterface: info.NetworkInfo?.Ipv4AddressesPerInterface ?? 1,
    maximumNetworkCards: info.NetworkInfo?.MaximumNetworkCards ?? 1,
    maximumEfaInterfaces: info.NetworkInfo?.EfaSupported ? (info.NetworkInfo.EfaInfo?.MaximumEfaInterfaces ?? 0) : 0,
    networkPerformance: info.NetworkInfo?.NetworkPerformance ?? null,
    instanceStorageGB: info.InstanceStorageInfo?.TotalSizeInGB ?? 0,
    bareMetal: info.BareMetal ?? false,
    hypervisor: info.Hypervisor ?? null,
    burstable: info.BurstablePerformanceSupported ?? false,
    currentGeneration: info.CurrentGeneration ?? undefined,
    usageClasses: (info.SupportedUsageClasses ?? []).map(String),
    zones: [...zones].sort(),
    onDemandPricePerHour: onDemandPrice ?? null,
  };
}

export interface DescribedCatalog {
  readonly types: readonly InstanceTypeInfo[];
  /** Zones each type is offered in. */
  readonly zonesByType: ReadonlyMap<string, readonly string[]>;
}

export class Ec2InstanceTypeSource {
  private value: DescribedCatalog | undefined;
  private fetchedAt = -Infinity;
  private inflight: Promise<DescribedCatalog> | undefined;

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async get(): Promise<DescribedCatalog> {
    if (this.value && this.clock.now() - this.fetchedAt < this.ttlMs) return this.value;
    this.inflight ??= this.fetch().finally(() => (this.inflight = undefined));
    try {
      return await this.inflight;
    } catch (err) {
      if (this.value) return this.value; // stale beats nothing; retried at the next call
      throw err;
    }
  }

  private async fetch(): Promise<DescribedCatalog> {
    const types: InstanceTypeInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeInstanceTypes', () =>
        this.ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100, NextToken: token })),
      );
      types.push(...(page.InstanceTypes ?? []));
      token = page.NextToken || undefined;
    } while (token);
    const zonesByType = new Map<string, string[]>();
    token = undefined;
    do {
      const page = await this.calls.run('DescribeInstanceTypeOfferings', () =>
        this.ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', MaxResults: 1000, NextToken: token })),
      );
      for (const o of page.InstanceTypeOfferings ?? []) {
        if (!o.InstanceType || !o.Location) continue;
        const zones = zonesByType.get(o.InstanceType) ?? [];
        zones.push(o.Location);
        zonesByType.set(o.InstanceType, zones);
      }
      token = page.NextToken || undefined;
    } while (token);
    this.value = { types, zonesByType };
    this.fetchedAt = this.clock.now();
    return this.value;
  }
}

function resourceMap(value: unknown, field: string): ResourceList | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new Error(`${field} must be a map of resource quantities`);
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${field}.${k} must be a quantity`);
    out[k] = parseResourceQuantity(k, v);
  }
  return out;
}

/**
 * The kubelet settings of an EC2NodeClass (spec.kubelet) that change what a node gives
 * to pods: maxPods, podsPerCore, kubeReserved, systemReserved and evictionHard (memory
 * and nodefs, quantities or percentages), so predicted allocatable matches what the node
 * will report.
 */
export function kubeletSettings(kubelet: EC2NodeClassKubelet | undefined, rootVolumeBytes: number | undefined, instanceStorePolicy?: 'RAID0'): KubeletSettings {
  const k = (kubelet ?? {}) as Record<string, unknown>;
  const settings: KubeletSettings = {};
  if (typeof k.maxPods === 'number') settings.maxPods = k.maxPods;
  if (typeof k.podsPerCore === 'number') settings.podsPerCore = k.podsPerCore;
  const kubeReserved = resourceMap(k.kubeReserved, 'spec.kubelet.kubeReserved');
  if (kubeReserved) settings.kubeReserved = kubeReserved;
  const systemReserved = resourceMap(k.systemReserved, 'spec.kubelet.systemReserved');
  if (systemReserved) settings.systemReserved = systemReserved;
  const hard = k.evictionHard;
  if (hard !== undefined && hard !== null) {
    if (typeof hard !== 'object') throw new Error('spec.kubelet.evictionHard must be a map of eviction signals to thresholds');
    const signals: Record<string, string> = {};
    for (const [signal, threshold] of Object.entries(hard as Record<string, unknown>)) {
      const problem = evictionThresholdProblem(signal, threshold);
      if (problem) throw new Error(`spec.kubelet.evictionHard.${signal} ${problem}`);
      signals[signal] = threshold as string;
    }
    settings.evictionHard = signals;
  }
  if (rootVolumeBytes !== undefined) settings.ephemeralStorageBytes = rootVolumeBytes;
  if (instanceStorePolicy === 'RAID0') settings.instanceStorePolicy = 'RAID0';
  return settings;
}
