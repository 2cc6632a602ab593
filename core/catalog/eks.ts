// What a node of an instance type can give to pods on EKS: the kubelet's capacity,
// minus kube-reserved, system-reserved and the hard eviction thresholds, with max-pods
// from the ENI limits. These are the formulas of the EKS AMIs and of Karpenter's AWS
// provider (which reproduces them to predict a node before it exists).

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
  kubeReserved?: ResourceList;
  systemReserved?: ResourceList;
  /** Hard eviction thresholds: memory in bytes; nodefs as a fraction of ephemeral storage. */
  evictionHard?: { memoryBytes?: number; nodefsFraction?: number };
  /** Size of the root volume that backs ephemeral storage. Default 20 GiB (EC2NodeClass default). */
  ephemeralStorageBytes?: number;
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

export interface NodeResources {
  capacity: ResourceList;
  allocatable: ResourceList;
}

/** Capacity and allocatable of a node with these hardware facts under these kubelet settings. */
export function eksNodeResources(
  hw: { vcpu: number; memoryMiB: number; enis: number; ipv4PerEni: number; extended?: ResourceList },
  kubelet: KubeletSettings = {},
): NodeResources {
  const vmOverhead = kubelet.vmMemoryOverheadPercent ?? 0.075;
  const ephemeral = kubelet.ephemeralStorageBytes ?? 20 * GiB;
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
  const kubeReserved: ResourceList = kubelet.kubeReserved ?? {
    cpu: eksKubeReservedCpuMillis(hw.vcpu),
    memory: eksKubeReservedMemoryBytes(pods),
    'ephemeral-storage': GiB,
  };
  const systemReserved = kubelet.systemReserved ?? {};
  const eviction: ResourceList = {
    memory: kubelet.evictionHard?.memoryBytes ?? 100 * MiB,
    'ephemeral-storage': Math.ceil(ephemeral * (kubelet.evictionHard?.nodefsFraction ?? 0.1)),
  };
  const allocatable: ResourceList = {};
  for (const [k, v] of Object.entries(capacity)) {
    allocatable[k] = Math.max(0, v - (kubeReserved[k] ?? 0) - (systemReserved[k] ?? 0) - (eviction[k] ?? 0));
  }
  return { capacity, allocatable };
}
