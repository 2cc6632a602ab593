// The node label keys a NodePool requirement may use, as Karpenter v1 on AWS defines them.
// A key in a Kubernetes- or Karpenter-owned domain that is not one of these is rejected by
// Karpenter (or silently matches nothing), so the compiler catches it with a suggestion.

export const LabelKey = {
  arch: 'kubernetes.io/arch',
  os: 'kubernetes.io/os',
  hostname: 'kubernetes.io/hostname',
  instanceType: 'node.kubernetes.io/instance-type',
  windowsBuild: 'node.kubernetes.io/windows-build',
  zone: 'topology.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
  zoneId: 'topology.k8s.aws/zone-id',
  capacityType: 'karpenter.sh/capacity-type',
  nodePool: 'karpenter.sh/nodepool',
  instanceCategory: 'karpenter.k8s.aws/instance-category',
  instanceFamily: 'karpenter.k8s.aws/instance-family',
  instanceGeneration: 'karpenter.k8s.aws/instance-generation',
  instanceSize: 'karpenter.k8s.aws/instance-size',
  instanceCpu: 'karpenter.k8s.aws/instance-cpu',
  instanceCpuManufacturer: 'karpenter.k8s.aws/instance-cpu-manufacturer',
  instanceCpuSustainedClockSpeedMhz: 'karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz',
  instanceMemory: 'karpenter.k8s.aws/instance-memory',
  instanceHypervisor: 'karpenter.k8s.aws/instance-hypervisor',
  instanceLocalNvme: 'karpenter.k8s.aws/instance-local-nvme',
  instanceEbsBandwidth: 'karpenter.k8s.aws/instance-ebs-bandwidth',
  instanceNetworkBandwidth: 'karpenter.k8s.aws/instance-network-bandwidth',
  instanceEncryptionInTransitSupported: 'karpenter.k8s.aws/instance-encryption-in-transit-supported',
  instanceGpuName: 'karpenter.k8s.aws/instance-gpu-name',
  instanceGpuManufacturer: 'karpenter.k8s.aws/instance-gpu-manufacturer',
  instanceGpuCount: 'karpenter.k8s.aws/instance-gpu-count',
  instanceGpuMemory: 'karpenter.k8s.aws/instance-gpu-memory',
  instanceAcceleratorName: 'karpenter.k8s.aws/instance-accelerator-name',
  instanceAcceleratorManufacturer: 'karpenter.k8s.aws/instance-accelerator-manufacturer',
  instanceAcceleratorCount: 'karpenter.k8s.aws/instance-accelerator-count',
  instanceTenancy: 'karpenter.k8s.aws/instance-tenancy',
  instanceCapabilityFlex: 'karpenter.k8s.aws/instance-capability-flex',
  capacityReservationId: 'karpenter.k8s.aws/capacity-reservation-id',
  capacityReservationType: 'karpenter.k8s.aws/capacity-reservation-type',
  capacityReservationInterruptible: 'karpenter.k8s.aws/capacity-reservation-interruptible',
  ec2NodeClass: 'karpenter.k8s.aws/ec2nodeclass',
  nitroSandbox: 'karpenter.k8s.aws/nitro-sandbox',
  placementGroupId: 'karpenter.k8s.aws/placement-group-id',
  placementGroupPartition: 'karpenter.k8s.aws/placement-group-partition',
} as const;

export type WellKnownLabelKey = (typeof LabelKey)[keyof typeof LabelKey];

/** Keys Karpenter sets itself and a NodePool may not constrain or set. */
export const RESTRICTED_LABEL_KEYS: ReadonlySet<string> = new Set([LabelKey.hostname, LabelKey.nodePool]);

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

/** Domains whose labels Kubernetes or Karpenter own; an unknown key there is a mistake. */
const RESTRICTED_DOMAINS = ['kubernetes.io', 'k8s.io', 'karpenter.sh', 'karpenter.k8s.aws'];
/** Sub-domains of the above that users may label freely (Karpenter's LabelDomainExceptions). */
const FREE_DOMAINS = ['node.kubernetes.io', 'node-restriction.kubernetes.io', 'kops.k8s.io'];

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

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
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
    return RESTRICTED_LABEL_KEYS.has(key) ? { problem: `"${key}" is set by Karpenter and cannot be constrained` } : undefined;
  }
  const domain = domainOf(key);
  const suggestion = suggestLabelKey(key);
  if (domain === undefined) {
    // A bare key spelled like a well-known one (`instance-family`, `zone`) lost its domain.
    const name = suggestion?.slice(suggestion.indexOf('/') + 1);
    if (suggestion && name === key) return { problem: `"${key}" has no domain`, suggestion };
    return undefined;
  }
  if (FREE_DOMAINS.some((free) => inDomain(domain, free))) return undefined;
  if (RESTRICTED_DOMAINS.some((restricted) => inDomain(domain, restricted))) {
    return suggestion
      ? { problem: `"${key}" is not a label Kubernetes or Karpenter defines`, suggestion }
      : { problem: `"${key}" is in the restricted domain ${domain}, and is not a label Kubernetes or Karpenter defines` };
  }
  return undefined;
}
