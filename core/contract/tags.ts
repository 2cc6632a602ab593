// EC2 tags: the ones Karpenter writes on the instances it launches (kept, so tools that
// read them keep working), joinery's own, and the ones a policy may not set.

export const TAG_NODEPOOL = 'karpenter.sh/nodepool';
export const TAG_NODECLAIM = 'karpenter.sh/nodeclaim';
export const TAG_NODECLASS = 'karpenter.k8s.aws/ec2nodeclass';
export const TAG_POLICY_COMMIT = 'joinery.dev/policy-commit';
/** The launch's idempotency key: the NodeClaim UID, also the CreateFleet client token. */
export const TAG_NODECLAIM_UID = 'joinery.dev/nodeclaim-uid';
export const TAG_NAME = 'Name';
/** The tag subnets and security groups are discovered by (value: the cluster name). */
export const TAG_DISCOVERY = 'karpenter.sh/discovery';
/** On EC2NodeClasses the discovery preset writes (value: the cluster name). */
export const TAG_CLUSTER = 'joinery.dev/cluster';
/** Tag written by EKS on resources of a cluster (and by Karpenter on its instance profiles). */
export const TAG_EKS_CLUSTER_NAME = 'eks:eks-cluster-name';
/** On instance profiles (Karpenter's): the region the profile was created for. */
export const TAG_REGION = 'topology.kubernetes.io/region';

/** The ownership tag every instance of the cluster carries (Karpenter's). */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}
export const CLUSTER_TAG_VALUE = 'owned';

/** The name of a launch template joinery owns, in the cluster's namespace of names. */
export function launchTemplateName(clusterName: string, hash: string): string {
  return `${launchTemplateNamePrefix(clusterName)}${hash}`;
}
function launchTemplateNamePrefix(clusterName: string): string {
  return `joinery.dev/${clusterName}/`;
}

/** Written by EC2 on an instance launched from a launch template: the template's id. */
export const TAG_LAUNCH_TEMPLATE_ID = 'aws:ec2launchtemplate:id';
/**
 * On each instance launched from one of joinery's launch templates: the template's name
 * (an instance tag of the template itself, so any EC2 endpoint copies it).
 */
export const TAG_LAUNCH_TEMPLATE = 'joinery.dev/launch-template';

/**
 * Whether joinery launched the instance, for this cluster: the cluster tag `owned` (which
 * self-managed node groups carry too) and the NodePool tag (which only joinery, or
 * Karpenter, writes). As Karpenter's list: nothing without both is selected, re-tagged
 * or terminated; the IAM policy enforces the same (compiler/deployment/iam-policy.ts).
 */
export function isOwnedInstance(tags: Readonly<Record<string, string>>, clusterName: string): boolean {
  return tags[clusterTagKey(clusterName)] === CLUSTER_TAG_VALUE && Boolean(tags[TAG_NODEPOOL]);
}

/** Whether joinery created the launch template, for this cluster: the instance's tags, and a name of its own. */
export function isOwnedLaunchTemplate(name: string, tags: Readonly<Record<string, string>>, clusterName: string): boolean {
  return isOwnedInstance(tags, clusterName) && name.startsWith(launchTemplateNamePrefix(clusterName));
}

/**
 * The instance profile joinery creates for an EC2NodeClass's `spec.role`, named as Karpenter
 * names it: `<cluster>_<FNV-1a 64 of region + class name>` (hashstructure's hash of that
 * string), so the same class in the same cluster and region always finds its profile again.
 */
export function instanceProfileName(clusterName: string, region: string, nodeClassName: string): string {
  return `${clusterName}_${fnv1a64Utf8(`${region}${nodeClassName}`)}`;
}

/**
 * FNV-1a 64 over the UTF-8 bytes of `text`, in decimal: core/canonical.ts's fnv1a64, written
 * without TextEncoder, because this module is type-checked with the policies (ES2023 lib, no DOM).
 */
function fnv1a64Utf8(text: string): string {
  let h = 0xcbf29ce484222325n;
  const byte = (b: number) => {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) byte(c);
    else if (c < 0x800) [0xc0 | (c >> 6), 0x80 | (c & 63)].forEach(byte);
    else if (c < 0x10000) [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].forEach(byte);
    else [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].forEach(byte);
  }
  return h.toString(10);
}

/** The IAM path of joinery's instance profiles of a cluster (Karpenter's `/karpenter/<region>/<cluster>/`). */
export function instanceProfilePathPrefix(clusterName: string, region: string): string {
  return `/karpenter/${region}/${clusterName}/`;
}

/** The tags of an instance profile joinery creates for a class (Karpenter's): the class's own tags, then these. */
export function instanceProfileTags(clusterName: string, region: string, nodeClassName: string, classTags: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...classTags,
    [clusterTagKey(clusterName)]: CLUSTER_TAG_VALUE,
    [TAG_EKS_CLUSTER_NAME]: clusterName,
    [TAG_NODECLASS]: nodeClassName,
    [TAG_REGION]: region,
  };
}

/**
 * Whether joinery (or Karpenter, which tags the same) created the instance profile for this
 * cluster and region: the cluster tag `owned`, the region, an EC2NodeClass, and the path of
 * the cluster's profiles. Nothing else is ever changed or deleted; the IAM policy requires
 * the same tags (compiler/deployment/iam-policy.ts).
 */
export function isOwnedInstanceProfile(path: string, tags: Readonly<Record<string, string>>, clusterName: string, region: string): boolean {
  return (
    path.startsWith(instanceProfilePathPrefix(clusterName, region)) &&
    tags[clusterTagKey(clusterName)] === CLUSTER_TAG_VALUE &&
    tags[TAG_REGION] === region &&
    Boolean(tags[TAG_NODECLASS])
  );
}

/** Tags an EC2NodeClass may not set, because Karpenter or EKS write them (the EC2NodeClass CRD's rule). */
const RESTRICTED_TAG_KEYS: ReadonlySet<string> = new Set([TAG_EKS_CLUSTER_NAME, TAG_NODEPOOL, TAG_NODECLAIM, TAG_NODECLASS]);
/** Prefix of the restricted cluster ownership tags ({@link clusterTagKey}). */
export const RESTRICTED_TAG_PREFIX = 'kubernetes.io/cluster';

export function isRestrictedTag(key: string): boolean {
  return key.startsWith(RESTRICTED_TAG_PREFIX) || RESTRICTED_TAG_KEYS.has(key);
}
