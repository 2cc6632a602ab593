// Node labels: the ones Kubernetes, Karpenter and the AWS provider give meaning to (and
// which of them a NodePool requirement may restrict, Karpenter v1's rules), the ones
// Karpenter writes on NodeClaims and nodes, and joinery's own under joinery.dev/.

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_INSTANCE_TYPE = 'node.kubernetes.io/instance-type';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_WINDOWS_BUILD = 'node.kubernetes.io/windows-build';
export const LABEL_CAPACITY_TYPE = 'karpenter.sh/capacity-type';
export const LABEL_NODEPOOL = 'karpenter.sh/nodepool';
export const LABEL_ZONE_ID = 'topology.k8s.aws/zone-id';
export const LABEL_NODECLASS = 'karpenter.k8s.aws/ec2nodeclass';

export const LABEL_INSTANCE_CATEGORY = 'karpenter.k8s.aws/instance-category';
export const LABEL_INSTANCE_FAMILY = 'karpenter.k8s.aws/instance-family';
export const LABEL_INSTANCE_GENERATION = 'karpenter.k8s.aws/instance-generation';
export const LABEL_INSTANCE_SIZE = 'karpenter.k8s.aws/instance-size';
export const LABEL_INSTANCE_CPU = 'karpenter.k8s.aws/instance-cpu';
export const LABEL_INSTANCE_CPU_MANUFACTURER = 'karpenter.k8s.aws/instance-cpu-manufacturer';
export const LABEL_INSTANCE_MEMORY = 'karpenter.k8s.aws/instance-memory';
export const LABEL_INSTANCE_NETWORK_BANDWIDTH = 'karpenter.k8s.aws/instance-network-bandwidth';
export const LABEL_INSTANCE_GPU_COUNT = 'karpenter.k8s.aws/instance-gpu-count';
export const LABEL_INSTANCE_GPU_NAME = 'karpenter.k8s.aws/instance-gpu-name';
export const LABEL_INSTANCE_GPU_MANUFACTURER = 'karpenter.k8s.aws/instance-gpu-manufacturer';
export const LABEL_INSTANCE_GPU_MEMORY = 'karpenter.k8s.aws/instance-gpu-memory';
export const LABEL_INSTANCE_ACCELERATOR_NAME = 'karpenter.k8s.aws/instance-accelerator-name';
export const LABEL_INSTANCE_ACCELERATOR_MANUFACTURER = 'karpenter.k8s.aws/instance-accelerator-manufacturer';
export const LABEL_INSTANCE_ACCELERATOR_COUNT = 'karpenter.k8s.aws/instance-accelerator-count';
export const LABEL_INSTANCE_HYPERVISOR = 'karpenter.k8s.aws/instance-hypervisor';
export const LABEL_INSTANCE_LOCAL_NVME = 'karpenter.k8s.aws/instance-local-nvme';
export const LABEL_INSTANCE_EBS_BANDWIDTH = 'karpenter.k8s.aws/instance-ebs-bandwidth';
export const LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT = 'karpenter.k8s.aws/instance-encryption-in-transit-supported';
export const LABEL_INSTANCE_CAPABILITY_FLEX = 'karpenter.k8s.aws/instance-capability-flex';
export const LABEL_INSTANCE_CPU_CLOCK_SPEED = 'karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz';
export const LABEL_INSTANCE_TENANCY = 'karpenter.k8s.aws/instance-tenancy';
export const LABEL_CAPACITY_RESERVATION_TYPE = 'karpenter.k8s.aws/capacity-reservation-type';
export const LABEL_CAPACITY_RESERVATION_ID = 'karpenter.k8s.aws/capacity-reservation-id';
export const LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE = 'karpenter.k8s.aws/capacity-reservation-interruptible';
export const LABEL_NITRO_SANDBOX = 'karpenter.k8s.aws/nitro-sandbox';
export const LABEL_PLACEMENT_GROUP_ID = 'karpenter.k8s.aws/placement-group-id';
export const LABEL_PLACEMENT_GROUP_PARTITION = 'karpenter.k8s.aws/placement-group-partition';

/** Set by Karpenter on a node once its NodeClaim is registered / initialized. */
export const LABEL_REGISTERED = 'karpenter.sh/registered';
export const LABEL_INITIALIZED = 'karpenter.sh/initialized';

/** The commit of the intent a NodeClaim was created from (label and instance tag). */
export const LABEL_POLICY_COMMIT = 'joinery.dev/policy-commit';
/** On the GPU preset's nodes: the accelerator vendor. */
export const LABEL_ACCELERATOR = 'joinery.dev/accelerator';
/** The kind of workload a pool is for (the batch preset's label, and the key of its taint). */
export const LABEL_WORKLOAD = 'joinery.dev/workload';
/** On the reconciler's metrics Service, so a ServiceMonitor can select it. */
export const LABEL_METRICS = 'joinery.dev/metrics';

/** The values of {@link LABEL_CAPACITY_TYPE}. */
export type CapacityType = 'spot' | 'on-demand' | 'reserved';

/** Labels every instance type defines (some only when they apply, e.g. GPU labels). */
export const INSTANCE_TYPE_LABEL_KEYS: ReadonlySet<string> = new Set([
  LABEL_INSTANCE_TYPE,
  LABEL_ARCH,
  LABEL_OS,
  LABEL_REGION,
  LABEL_INSTANCE_CATEGORY,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_GENERATION,
  LABEL_INSTANCE_SIZE,
  LABEL_INSTANCE_CPU,
  LABEL_INSTANCE_CPU_MANUFACTURER,
  LABEL_INSTANCE_MEMORY,
  LABEL_INSTANCE_NETWORK_BANDWIDTH,
  LABEL_INSTANCE_GPU_COUNT,
  LABEL_INSTANCE_GPU_NAME,
  LABEL_INSTANCE_GPU_MANUFACTURER,
  LABEL_INSTANCE_GPU_MEMORY,
  LABEL_INSTANCE_ACCELERATOR_NAME,
  LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
  LABEL_INSTANCE_ACCELERATOR_COUNT,
  LABEL_INSTANCE_HYPERVISOR,
  LABEL_INSTANCE_LOCAL_NVME,
  LABEL_INSTANCE_EBS_BANDWIDTH,
  LABEL_INSTANCE_ENCRYPTION_IN_TRANSIT,
  LABEL_INSTANCE_CAPABILITY_FLEX,
  LABEL_INSTANCE_CPU_CLOCK_SPEED,
]);

/** Labels whose values come from an instance type's offerings, not from the type itself. */
const OFFERING_LABEL_KEYS: ReadonlySet<string> = new Set([LABEL_ZONE, LABEL_CAPACITY_TYPE]);

/**
 * Well-known labels: a pod may select on them even when a NodePool does not mention
 * them, because the instance types and offerings give them values.
 */
const WELL_KNOWN_LABELS: ReadonlySet<string> = new Set([
  ...INSTANCE_TYPE_LABEL_KEYS,
  ...OFFERING_LABEL_KEYS,
  LABEL_NODEPOOL,
  LABEL_HOSTNAME,
  LABEL_WINDOWS_BUILD,
  LABEL_ZONE_ID,
  LABEL_NODECLASS,
  LABEL_INSTANCE_TENANCY,
  LABEL_CAPACITY_RESERVATION_TYPE,
  LABEL_CAPACITY_RESERVATION_ID,
  LABEL_CAPACITY_RESERVATION_INTERRUPTIBLE,
  LABEL_NITRO_SANDBOX,
  LABEL_PLACEMENT_GROUP_ID,
  LABEL_PLACEMENT_GROUP_PARTITION,
]);

export function isWellKnownLabel(key: string): boolean {
  return WELL_KNOWN_LABELS.has(key);
}

/** Label domains reserved to Kubernetes, Karpenter and the AWS provider. */
export const RESTRICTED_LABEL_DOMAINS: readonly string[] = ['kubernetes.io', 'k8s.io', 'karpenter.sh', 'karpenter.k8s.aws'];
/** Sub-domains of restricted domains that users may still use freely. */
export const LABEL_DOMAIN_EXCEPTIONS: readonly string[] = ['kops.k8s.io', 'node.kubernetes.io', 'node-restriction.kubernetes.io'];
/** Labels a NodePool may never set or restrict (the NodePool CRD's CEL rules): they are assigned per node. */
export const RESTRICTED_LABELS: ReadonlySet<string> = new Set([LABEL_HOSTNAME, LABEL_NODEPOOL]);

/** The well-known keys a NodePool requirement may restrict. */
const NODEPOOL_REQUIREMENT_KEYS: ReadonlySet<string> = new Set(
  [...WELL_KNOWN_LABELS].filter((k) => !RESTRICTED_LABELS.has(k)),
);

function labelDomain(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

function inDomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

/**
 * Why a NodePool may not use `key` in a requirement or template label, or undefined when
 * it may. Custom keys (e.g. "team" or "example.com/tier") are allowed; keys in the
 * Kubernetes and Karpenter domains only when they are well known.
 */
export function nodePoolLabelKeyError(key: string): string | undefined {
  if (RESTRICTED_LABELS.has(key)) {
    return `label "${key}" is set by Karpenter per node and cannot be restricted by a NodePool`;
  }
  if (WELL_KNOWN_LABELS.has(key)) return undefined;
  const domain = labelDomain(key);
  if (domain === undefined) return undefined;
  if (LABEL_DOMAIN_EXCEPTIONS.some((d) => inDomain(domain, d))) return undefined;
  const restricted = RESTRICTED_LABEL_DOMAINS.find((d) => inDomain(domain, d));
  if (restricted) {
    return (
      `label "${key}" is in the restricted domain "${restricted}" and is not a well-known label; ` +
      `use one of ${[...NODEPOOL_REQUIREMENT_KEYS].filter((k) => k.includes(restricted)).join(', ')} or a key in your own domain`
    );
  }
  return undefined;
}

/**
 * On an Argo CD cluster Secret: the joinery cluster (defineClusters) it is. The generated
 * ApplicationSet's cluster generator selects the Secrets carrying it and syncs
 * generated/<value>/ to each.
 */
export const LABEL_ARGOCD_CLUSTER = 'joinery.dev/cluster';
