// The node label keys a NodePool requirement may use, as Karpenter v1 on AWS defines them.
// A key in a Kubernetes- or Karpenter-owned domain that is not one of these is rejected by
// Karpenter (or silently matches nothing), so the compiler catches it with a suggestion.

import {
  LABEL_ARCH,
  LABEL_CAPACITY_RESERVATION_ID,
  LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE,
  LABEL_CAPACITY_RESERVATION_TYPE,
  LABEL_CAPACITY_TYPE,
  LABEL_DOMAIN_EXCEPTIONS,
  LABEL_HOSTNAME,
  LABEL_INSTANCE_ACCELERATOR_COUNT,
  LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
  LABEL_INSTANCE_ACCELERATOR_NAME,
  LABEL_INSTANCE_CAPABILITY_FLEX,
  LABEL_INSTANCE_CATEGORY,
  LABEL_INSTANCE_CPU,
  LABEL_INSTANCE_CPU_CLOCK_SPEED,
  LABEL_INSTANCE_CPU_MANUFACTURER,
  LABEL_INSTANCE_EBS_BANDWIDTH,
  LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_GENERATION,
  LABEL_INSTANCE_GPU_COUNT,
  LABEL_INSTANCE_GPU_MANUFACTURER,
  LABEL_INSTANCE_GPU_MEMORY,
  LABEL_INSTANCE_GPU_NAME,
  LABEL_INSTANCE_HYPERVISOR,
  LABEL_INSTANCE_LOCAL_NVME,
  LABEL_INSTANCE_MEMORY,
  LABEL_INSTANCE_NETWORK_BANDWIDTH,
  LABEL_INSTANCE_SIZE,
  LABEL_INSTANCE_TENANCY,
  LABEL_INSTANCE_TYPE,
  LABEL_NITRO_SANDBOX,
  LABEL_NODECLASS,
  LABEL_NODEPOOL,
  LABEL_OS,
  LABEL_PLACEMENT_GROUP_ID,
  LABEL_PLACEMENT_GROUP_PARTITION,
  LABEL_REGION,
  LABEL_WINDOWS_BUILD,
  LABEL_ZONE,
  LABEL_ZONE_ID,
  RESTRICTED_LABELS,
  RESTRICTED_LABEL_DOMAINS,
} from '../../core/contract/labels.ts';
import { editDistance } from '../../core/edit-distance.ts';

export const LabelKey = {
  arch: LABEL_ARCH,
  os: LABEL_OS,
  hostname: LABEL_HOSTNAME,
  instanceType: LABEL_INSTANCE_TYPE,
  windowsBuild: LABEL_WINDOWS_BUILD,
  zone: LABEL_ZONE,
  region: LABEL_REGION,
  zoneId: LABEL_ZONE_ID,
  capacityType: LABEL_CAPACITY_TYPE,
  nodePool: LABEL_NODEPOOL,
  instanceCategory: LABEL_INSTANCE_CATEGORY,
  instanceFamily: LABEL_INSTANCE_FAMILY,
  instanceGeneration: LABEL_INSTANCE_GENERATION,
  instanceSize: LABEL_INSTANCE_SIZE,
  instanceCpu: LABEL_INSTANCE_CPU,
  instanceCpuManufacturer: LABEL_INSTANCE_CPU_MANUFACTURER,
  instanceCpuSustainedClockSpeedMhz: LABEL_INSTANCE_CPU_CLOCK_SPEED,
  instanceMemory: LABEL_INSTANCE_MEMORY,
  instanceHypervisor: LABEL_INSTANCE_HYPERVISOR,
  instanceLocalNvme: LABEL_INSTANCE_LOCAL_NVME,
  instanceEbsBandwidth: LABEL_INSTANCE_EBS_BANDWIDTH,
  instanceNetworkBandwidth: LABEL_INSTANCE_NETWORK_BANDWIDTH,
  instanceEncryptionInTransitSupported: LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT,
  instanceGpuName: LABEL_INSTANCE_GPU_NAME,
  instanceGpuManufacturer: LABEL_INSTANCE_GPU_MANUFACTURER,
  instanceGpuCount: LABEL_INSTANCE_GPU_COUNT,
  instanceGpuMemory: LABEL_INSTANCE_GPU_MEMORY,
  instanceAcceleratorName: LABEL_INSTANCE_ACCELERATOR_NAME,
  instanceAcceleratorManufacturer: LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
  instanceAcceleratorCount: LABEL_INSTANCE_ACCELERATOR_COUNT,
  instanceTenancy: LABEL_INSTANCE_TENANCY,
  instanceCapabilityFlex: LABEL_INSTANCE_CAPABILITY_FLEX,
  capacityReservationId: LABEL_CAPACITY_RESERVATION_ID,
  capacityReservationType: LABEL_CAPACITY_RESERVATION_TYPE,
  capacityReservationInterruptible: LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE,
  ec2NodeClass: LABEL_NODECLASS,
  nitroSandbox: LABEL_NITRO_SANDBOX,
  placementGroupId: LABEL_PLACEMENT_GROUP_ID,
  placementGroupPartition: LABEL_PLACEMENT_GROUP_PARTITION,
} as const;

export type WellKnownLabelKey = (typeof LabelKey)[keyof typeof LabelKey];


/** Keys whose values are integers (the keys Gt and Lt make sense on). */
export const NUMERIC_LABEL_KEYS: ReadonlySet<string> = new Set([
  LabelKey.instanceGeneration,
  LabelKey.instanceCpu,
  LabelKey.instanceCpuSustainedClockSpeedMhz,
  LabelKey.instanceMemory,
  LabelKey.instanceLocalNvme,
  LabelKey.instanceEbsBandwidth,
  LabelKey.instanceNetworkBandwidth,
  LabelKey.instanceGpuCount,
  LabelKey.instanceGpuMemory,
  LabelKey.instanceAcceleratorCount,
  LabelKey.placementGroupPartition,
]);

const WELL_KNOWN: ReadonlySet<string> = new Set(Object.values(LabelKey));


function domainOf(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

function inDomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

export function isWellKnownLabelKey(key: string): key is WellKnownLabelKey {
  return WELL_KNOWN.has(key);
}

/** The well-known key closest to `key` (by name, then by edit distance), if any is close. */
export function suggestLabelKey(key: string): WellKnownLabelKey | undefined {
  const name = key.slice(key.indexOf('/') + 1);
  let best: { key: WellKnownLabelKey; distance: number } | undefined;
  for (const candidate of WELL_KNOWN as ReadonlySet<WellKnownLabelKey>) {
    const candidateName = candidate.slice(candidate.indexOf('/') + 1);
    const distance = candidateName === name ? 0 : Math.min(editDistance(key, candidate), editDistance(name, candidateName));
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? best.key : undefined;
}

/**
 * Why `key` cannot be used in a NodePool requirement, or undefined if it can. Custom keys
 * (`team`, `example.com/tier`) are fine: Karpenter puts them on the node as labels.
 */
export function labelKeyProblem(key: string): { problem: string; suggestion?: WellKnownLabelKey } | undefined {
  if (WELL_KNOWN.has(key)) {
    return RESTRICTED_LABELS.has(key) ? { problem: `"${key}" is set by Karpenter and cannot be constrained` } : undefined;
  }
  const domain = domainOf(key);
  const suggestion = suggestLabelKey(key);
  if (domain === undefined) {
    // A bare key spelled like a well-known one (`instance-family`, `zone`) lost its domain.
    const name = suggestion?.slice(suggestion.indexOf('/') + 1);
    if (suggestion && name === key) return { problem: `"${key}" has no domain`, suggestion };
    return undefined;
  }
  if (LABEL_DOMAIN_EXCEPTIONS.some((free) => inDomain(domain, free))) return undefined;
  if (RESTRICTED_LABEL_DOMAINS.some((restricted) => inDomain(domain, restricted))) {
    return suggestion
      ? { problem: `"${key}" is not a label Kubernetes or Karpenter defines`, suggestion }
      : { problem: `"${key}" is in the restricted domain ${domain}, and is not a label Kubernetes or Karpenter defines` };
  }
  return undefined;
}
