// What a node of an instance type can give to pods on EKS: the kubelet's capacity,
// minus kube-reserved, system-reserved and the hard eviction thresholds, with max-pods
// from the ENI limits (min podsPerCore x vCPU). The reconciler writes these same values
// (max-pods, kube-reserved, eviction-hard) into each node's user data, so the node
// reports exactly the allocatable predicted here. These are the formulas of the EKS AMIs and of Karpenter's AWS
// provider (which reproduces them to predict a node before it exists).

import { parseResourceQuantity } from '../resources/quantity.ts';
import type { ResourceList } from '../resources/resource-list.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface KubeletSettings {
  /** Overrides the ENI-derived max-pods (kubelet maxPods). */
  maxPods?: number;
  /** Pods per core cap (kubelet podsPerCore); 0 or undefined = none. */
  podsPerCore?: number;
  /** ENIs reserved for other uses (Karpenter's RESERVED_ENIS, e.g. custom networking). */
  reservedENIs?: number;
  /** Per resource: a key given here replaces the EKS default of that key only (as nodeadm and Bottlerocket merge). */
  kubeReserved?: ResourceList;
  systemReserved?: ResourceList;
  /**
   * Hard eviction thresholds as the kubelet reads them (signal -> "100Mi" or "10%"); a
   * signal not given keeps the kubelet's default (joinery writes the merged map to the node).
   */
  evictionHard?: Readonly<Record<string, string>>;
  /** Size of the root volume that backs ephemeral storage. Default 20 GiB (EC2NodeClass default). */
  ephemeralStorageBytes?: number;
  /**
   * EC2NodeClass instanceStorePolicy. RAID0: the user data assembles the instance-store NVMe
   * volumes into one array that holds the kubelet's and containerd's directories, so a type
   * with instance storage reports it (TotalSizeInGB x 10^9 bytes, as Karpenter predicts) as
   * ephemeral-storage; a type without keeps the root volume.
   */
  instanceStorePolicy?: 'RAID0';
  /** Share of memory the hypervisor and firmware keep (Karpenter VM_MEMORY_OVERHEAD_PERCENT). Default 0.075. */
  vmMemoryOverheadPercent?: number;
}

/**
 * EKS max-pods: `ENIs x (IPv4 per ENI - 1) + 2` (the first address of each ENI is the
 * node's; +2 for the host-network pods aws-node and kube-proxy), capped at 110 below
 * 30 vCPUs and 250 from 30 vCPUs as the EKS max-pods calculator recommends.
 */
export function eksMaxPods(vcpu: number, enis: number, ipv4PerEni: number, reservedENIs = 0): number {
  const usable = Math.max(0, enis - reservedENIs);
  const eniPods = usable * Math.max(0, ipv4PerEni - 1) + 2;
  return Math.min(eniPods, vcpu < 30 ? 110 : 250);
}

/** EKS kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above. */
export function eksKubeReservedCpuMillis(vcpu: number): number {
  const tiers: readonly [number, number, number][] = [
    [0, 1, 0.06],
    [1, 2, 0.01],
    [2, 4, 0.005],
    [4, Infinity, 0.0025],
  ];
  let millis = 0;
  for (const [start, end, share] of tiers) {
    if (vcpu <= start) break;
    millis += (Math.min(vcpu, end) - start) * 1000 * share;
  }
  return Math.round(millis);
}

/** EKS kube-reserved memory: 11 MiB per pod plus 255 MiB. */
function eksKubeReservedMemoryBytes(maxPods: number): number {
  return (11 * maxPods + 255) * MiB;
}

/**
 * kube-reserved of a node with `vcpu` cores and `pods` max pods: the EKS AMIs' defaults
 * (cpu by tiers, memory 11Mi per pod + 255Mi, ephemeral-storage 1Gi), each replaced by
 * the class's own value for that resource when it gives one.
 */
export function eksKubeReserved(vcpu: number, pods: number, given: ResourceList = {}): ResourceList {
  return { cpu: eksKubeReservedCpuMillis(vcpu), memory: eksKubeReservedMemoryBytes(pods), 'ephemeral-storage': GiB, ...given };
}

/** The kubelet's default hard eviction thresholds (KubeletConfiguration evictionHard). */
export const KUBELET_DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
};

/**
 * The hard eviction thresholds a node gets: the kubelet's defaults with the class's
 * signals over them. (The kubelet itself sets every signal left out of a partial map to
 * 0, so joinery writes this merged map to the node, and predicts with it.)
 */
export function evictionHardSignals(given: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return given ? { ...KUBELET_DEFAULT_EVICTION_HARD, ...given } : { ...KUBELET_DEFAULT_EVICTION_HARD };
}

/**
 * A threshold's amount for a resource of `capacity` as the kubelet computes it: a
 * quantity as is; a percentage parsed to float32 and truncated after multiplying
 * (pkg/kubelet/eviction/api GetThresholdQuantity).
 */
export function evictionThresholdAmount(threshold: string, capacity: number): number {
  const text = threshold.trim();
  if (text.endsWith('%')) {
    const fraction = Math.fround(Math.fround(Number(text.slice(0, -1))) / 100);
    return Math.trunc(capacity * fraction);
  }
  return parseResourceQuantity('memory', text);
}
/** The bytes behind the kubelet's ephemeral storage: the RAID0 instance store when asked for and present, else the root volume. */
export function ephemeralStorageBytes(instanceStorageGB: number | null | undefined, kubelet: Pick<KubeletSettings, 'instanceStorePolicy' | 'ephemeralStorageBytes'>): number {
  if (kubelet.instanceStorePolicy === 'RAID0' && instanceStorageGB && instanceStorageGB > 0) return instanceStorageGB * 1e9;
  return kubelet.ephemeralStorageBytes ?? 20 * GiB;
}

export interface NodeResources {
  capacity: ResourceList;
  allocatable: ResourceList;
}

/** Capacity and allocatable of a node with these hardware facts under these kubelet settings. */
export function eksNodeResources(
  hw: { vcpu: number; memoryMiB: number; enis: number; ipv4PerEni: number; instanceStorageGB?: number | null; extended?: ResourceList },
  kubelet: KubeletSettings = {},
): NodeResources {
  const vmOverhead = kubelet.vmMemoryOverheadPercent ?? 0.075;
  const ephemeral = ephemeralStorageBytes(hw.instanceStorageGB, kubelet);
  let pods = kubelet.maxPods ?? eksMaxPods(hw.vcpu, hw.enis, hw.ipv4PerEni, kubelet.reservedENIs ?? 0);
  if (kubelet.podsPerCore) pods = Math.min(pods, kubelet.podsPerCore * hw.vcpu);
  const memory = (hw.memoryMiB - Math.ceil(hw.memoryMiB * vmOverhead)) * MiB;
  const capacity: ResourceList = {
    cpu: hw.vcpu * 1000,
    memory,
    pods,
    'ephemeral-storage': ephemeral,
    ...(hw.extended ?? {}),
  };
  const kubeReserved = eksKubeReserved(hw.vcpu, pods, kubelet.kubeReserved);
  const systemReserved = kubelet.systemReserved ?? {};
  // Only the hard thresholds: the kubelet's allocatable leaves soft ones out (Karpenter
  // subtracts soft ones too; joinery predicts what the node will report).
  const hard = evictionHardSignals(kubelet.evictionHard);
  const eviction: ResourceList = {
    memory: evictionThresholdAmount(hard['memory.available'] ?? '0', memory),
    'ephemeral-storage': evictionThresholdAmount(hard['nodefs.available'] ?? '0', ephemeral),
  };
  const allocatable: ResourceList = {};
  for (const [k, v] of Object.entries(capacity)) {
    allocatable[k] = Math.max(0, v - (kubeReserved[k] ?? 0) - (systemReserved[k] ?? 0) - (eviction[k] ?? 0));
  }
  return { capacity, allocatable };
}
