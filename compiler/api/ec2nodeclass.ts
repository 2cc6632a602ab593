// EC2NodeClass: how Karpenter launches EC2 instances for the NodePools that reference it
// (AMI, subnets, security groups, IAM role, disks, instance metadata, kubelet settings).
import { unsafeValueIssues } from './hostile-values.ts';
import { ApiObject, Lazy } from 'cdk8s';
import type { Construct } from 'constructs';
import type {
  AMISelectorTerm,
  BlockDeviceMapping,
  CapacityReservationSelectorTerm,
  EC2NodeClassSpec,
  MetadataOptions,
  NodeClassReference,
} from '../../core/api/karpenter.ts';
import { acknowledgementAnnotation, type Acknowledgements } from '../guardrails/ids.ts';
import {
  JOINERY_CONSTRUCT,
  kindScope,
  policyCallSite,
  type JoineryConstruct,
  type JoineryConstructInfo,
  type SourceLocation,
  type ValueIssue,
} from './construct-info.ts';
import { type Duration } from './values.ts';
import { parseDurationSeconds } from '../../core/disruption/duration.ts';
import { tryParseQuantity } from '../../core/resources/quantity.ts';
import { ALIAS_FAMILY_TO_AMI_FAMILY, RESERVED_RESOURCES, evictionThresholdProblem, isIpAddress, EC2NODECLASS_KIND, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, RESTRICTED_TAG_PREFIX, TAG_DISCOVERY, isRestrictedTag, type AmiAliasFamily, type AmiFamily } from '../../core/contract/index.ts';

export type { AmiAliasFamily, AmiFamily };
/** An EKS-optimized AMI alias, `family@version`: pin a version (`al2023@v20250505`) in production. */
export type AmiAlias = `${AmiAliasFamily}@${string}`;

/** Which AMI to launch: an EKS-optimized alias, or selector terms with the AMI family for user data. */
export type AmiSelection =
  | { alias: AmiAlias; family?: AmiFamily }
  | { selectorTerms: readonly Omit<AMISelectorTerm, 'alias'>[]; family: AmiFamily };

export const Ami = {
  /** An EKS-optimized AMI at a pinned version, e.g. `Ami.alias('al2023', 'v20250505')`. */
  alias(family: AmiAliasFamily, version: string): AmiSelection {
    return { alias: `${family}@${version}` };
  },
  /** AMIs selected by tags, name, id or SSM parameter, with the family that formats user data. */
  select(family: AmiFamily, ...selectorTerms: Omit<AMISelectorTerm, 'alias'>[]): AmiSelection {
    return { selectorTerms, family };
  },
};

/** A subnet or security group selected by tags (`'*'` matches any value) or by id. */
export type SelectorTerm = { tags: Readonly<Record<string, string>>; id?: never } | { id: string; tags?: never };
export type SecurityGroupSelectorTermInput = SelectorTerm | { name: string; tags?: never; id?: never };

/** The kubelet settings Karpenter reads for scheduling, typed; `extra` passes any other field through. */
export interface KubeletSettings {
  maxPods?: number;
  podsPerCore?: number;
  systemReserved?: Readonly<Partial<Record<'cpu' | 'memory' | 'ephemeral-storage' | 'pid', string>>>;
  kubeReserved?: Readonly<Partial<Record<'cpu' | 'memory' | 'ephemeral-storage' | 'pid', string>>>;
  evictionHard?: Readonly<Record<string, string>>;
  evictionSoft?: Readonly<Record<string, string>>;
  evictionSoftGracePeriod?: Readonly<Record<string, Duration>>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
  clusterDNS?: readonly string[];
  /** Any other KubeletConfiguration field, passed to the node's user data unchanged. */
  extra?: Readonly<Record<string, unknown>>;
}

interface EC2NodeClassCommonProps {
  /** The object's name; defaults to the construct id. */
  name?: string;
  ami: AmiSelection;
  subnets: readonly SelectorTerm[];
  securityGroups: readonly SecurityGroupSelectorTermInput[];
  userData?: string;
  blockDeviceMappings?: readonly BlockDeviceMapping[];
  /** Instance metadata (IMDS). Karpenter's default: IMDSv2 required, hop limit 1. */
  metadataOptions?: MetadataOptions;
  /** EC2 tags on instances, volumes and launch templates. */
  tags?: Readonly<Record<string, string>>;
  kubelet?: KubeletSettings;
  associatePublicIPAddress?: boolean;
  detailedMonitoring?: boolean;
  instanceStorePolicy?: 'RAID0';
  capacityReservations?: readonly CapacityReservationSelectorTerm[];
  /** Any other EC2NodeClass spec field (placementGroupSelector, networkInterfaces, ...), as the CRD spells it. */
  spec?: Partial<EC2NodeClassSpec>;
  /** Labels and annotations of the EC2NodeClass object itself. */
  metadata?: { labels?: Readonly<Record<string, string>>; annotations?: Readonly<Record<string, string>> };
  /** Accept a guardrail finding on this object, with the reason (written into the manifest). */
  acknowledge?: Acknowledgements;
}

/** Exactly one of `role` (Karpenter creates the instance profile) or `instanceProfile`. */
export type EC2NodeClassProps = EC2NodeClassCommonProps &
  ({ role: string; instanceProfile?: never } | { instanceProfile: string; role?: never });

function aliasFamily(alias: string): string {
  return alias.split('@')[0] ?? '';
}

/** A reference to an EC2NodeClass defined outside these policies. */
export interface ExternalNodeClass {
  readonly nodeClassRef: NodeClassReference;
  readonly externalReason: string;
}

export class EC2NodeClass extends ApiObject implements JoineryConstruct {
  /**
   * Refer to an EC2NodeClass that another team or tool manages. `reason` says why it is not
   * defined here; it is recorded on the NodePool as the acknowledgement of `unknown-node-class`.
   */
  static fromName(name: string, reason: string): ExternalNodeClass {
    return { nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name }, externalReason: reason };
  }

  readonly config: EC2NodeClassProps;
  readonly location: SourceLocation | undefined;

  constructor(scope: Construct, id: string, props: EC2NodeClassProps) {
    super(kindScope(scope, 'EC2NodeClass'), id, {
      apiVersion: KARPENTER_AWS_API_VERSION,
      kind: 'EC2NodeClass',
      metadata: { name: props.name ?? id },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    this.config = props;
    this.location = policyCallSite();
    for (const [key, value] of Object.entries(props.metadata?.labels ?? {})) this.metadata.addLabel(key, value);
    for (const [key, value] of Object.entries(props.metadata?.annotations ?? {})) this.metadata.addAnnotation(key, value);
    for (const [rule, reason] of Object.entries(props.acknowledge ?? {})) {
      this.metadata.addAnnotation(acknowledgementAnnotation(rule as keyof Acknowledgements), reason);
    }
  }

  /** The reference a NodePool's template uses. */
  get nodeClassRef(): NodeClassReference {
    return { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: this.name };
  }

  private renderSpec(): EC2NodeClassSpec {
    const p = this.config;
    const spec: EC2NodeClassSpec = {
      amiSelectorTerms: 'alias' in p.ami ? [{ alias: p.ami.alias }] : p.ami.selectorTerms.map((t) => ({ ...t })),
      subnetSelectorTerms: p.subnets.map((t) => ({ ...t })),
      securityGroupSelectorTerms: p.securityGroups.map((t) => ({ ...t })),
    };
    if (p.ami.family !== undefined) spec.amiFamily = p.ami.family;
    if (p.role !== undefined) spec.role = p.role;
    if (p.instanceProfile !== undefined) spec.instanceProfile = p.instanceProfile;
    if (p.userData !== undefined) spec.userData = p.userData;
    if (p.blockDeviceMappings !== undefined) spec.blockDeviceMappings = p.blockDeviceMappings.map((m) => ({ ...m }));
    if (p.metadataOptions !== undefined) spec.metadataOptions = { ...p.metadataOptions };
    if (p.tags !== undefined) spec.tags = { ...p.tags };
    if (p.kubelet !== undefined) {
      const { extra, ...typed } = p.kubelet;
      spec.kubelet = { ...extra, ...typed };
    }
    if (p.associatePublicIPAddress !== undefined) spec.associatePublicIPAddress = p.associatePublicIPAddress;
    if (p.detailedMonitoring !== undefined) spec.detailedMonitoring = p.detailedMonitoring;
    if (p.instanceStorePolicy !== undefined) spec.instanceStorePolicy = p.instanceStorePolicy;
    if (p.capacityReservations !== undefined) spec.capacityReservationSelectorTerms = p.capacityReservations.map((t) => ({ ...t }));
    return { ...spec, ...p.spec } as EC2NodeClassSpec;
  }

  private validate(): ValueIssue[] {
    const p = this.config;
    const issues: ValueIssue[] = [];
    const roles = [p.role, p.instanceProfile].filter((v) => v !== undefined);
    if (roles.length !== 1) {
      issues.push({ field: 'role', message: 'set exactly one of role and instanceProfile', fix: 'give the node IAM role name as role (Karpenter manages the instance profile)' });
    } else if (roles[0] === '') {
      issues.push({ field: p.role !== undefined ? 'role' : 'instanceProfile', message: 'is empty', fix: 'give the IAM role or instance profile name' });
    }
    if ('alias' in p.ami) {
      const family = aliasFamily(p.ami.alias);
      const version = p.ami.alias.slice(family.length + 1);
      if (!Object.hasOwn(ALIAS_FAMILY_TO_AMI_FAMILY, family) || version === '') {
        issues.push({ field: 'ami.alias', message: `"${p.ami.alias}" is not family@version`, fix: `use one of ${Object.keys(ALIAS_FAMILY_TO_AMI_FAMILY).join(', ')} with a version, e.g. "al2023@v20250505"` });
      } else if (family.startsWith('windows') && version !== 'latest') {
        issues.push({ field: 'ami.alias', message: `Windows aliases only support the version "latest"`, fix: `write "${family}@latest"` });
      } else if (p.ami.family !== undefined && p.ami.family !== 'Custom' && p.ami.family !== ALIAS_FAMILY_TO_AMI_FAMILY[family as AmiAliasFamily]) {
        issues.push({ field: 'ami.family', message: `family ${p.ami.family} does not match the ${family} alias`, fix: `remove ami.family (it is inferred) or set it to Custom` });
      }
    } else if (p.ami.selectorTerms.length === 0) {
      issues.push({ field: 'ami.selectorTerms', message: 'no AMI selector terms', fix: 'select AMIs by tags, name, id or ssmParameter, or use an alias' });
    }
    for (const [field, terms] of [['subnets', p.subnets], ['securityGroups', p.securityGroups]] as const) {
      if (terms.length === 0) issues.push({ field, message: `${field} selects nothing`, fix: `select ${field} by tags (e.g. { tags: { '${TAG_DISCOVERY}': '<cluster>' } }) or by id` });
      for (const [i, term] of terms.entries()) {
        const set = Object.entries(term).filter(([, v]) => v !== undefined).map(([k]) => k);
        if (set.length !== 1) issues.push({ field: `${field}[${i}]`, message: `a selector term has exactly one of ${field === 'subnets' ? 'tags or id' : 'tags, id or name'}, this one has ${set.length === 0 ? 'none' : set.join(' and ')}`, fix: 'split it into separate terms (terms are ORed)' });
        if (term.tags) {
          for (const [key, value] of Object.entries(term.tags)) {
            if (key === '' || value === '') issues.push({ field: `${field}[${i}].tags`, message: 'empty tag key or value', fix: `use '*' to match any value of a key` });
          }
        }
      }
    }
    // The CRD's rules for capacity reservation terms (its CEL rules and patterns), said before a commit.
    for (const [i, term] of (p.capacityReservations ?? []).entries()) {
      const field = `capacityReservations[${i}]`;
      if (term.id === undefined && term.tags === undefined && term.instanceMatchCriteria === undefined) {
        issues.push({ field, message: 'a capacity reservation term selects nothing (no id, tags or instanceMatchCriteria)', fix: "select by id (e.g. { id: 'cr-0123456789abcdef0' }), or by tags and/or instanceMatchCriteria" });
      }
      if (term.id !== undefined && (term.tags !== undefined || term.ownerID !== undefined || term.instanceMatchCriteria !== undefined)) {
        issues.push({ field, message: 'id cannot be combined with tags, ownerID or instanceMatchCriteria in one term', fix: 'split it into separate terms (terms are ORed)' });
      }
      if (term.id !== undefined && !/^cr-[0-9a-z]+$/.test(term.id)) issues.push({ field: `${field}.id`, message: `"${term.id}" is not a capacity reservation id`, fix: "write it as EC2 does, e.g. 'cr-0123456789abcdef0'" });
      if (term.ownerID !== undefined && !/^[0-9]{12}$/.test(term.ownerID)) issues.push({ field: `${field}.ownerID`, message: `"${term.ownerID}" is not a 12-digit AWS account id`, fix: "write the owning account's id, e.g. '123456789012'" });
      for (const [key, value] of Object.entries(term.tags ?? {})) {
        if (key === '' || value === '') issues.push({ field: `${field}.tags`, message: 'empty tag key or value', fix: `use '*' to match any value of a key` });
      }
    }
    for (const key of Object.keys(p.tags ?? {})) {
      if (isRestrictedTag(key)) issues.push({ field: `tags["${key}"]`, message: `tag ${key.startsWith(RESTRICTED_TAG_PREFIX) ? `${RESTRICTED_TAG_PREFIX}/*` : key} is set by Karpenter or EKS`, fix: 'remove it' });
    }
    const roots = (p.blockDeviceMappings ?? []).filter((m) => m.rootVolume === true).length;
    if (roots > 1) issues.push({ field: 'blockDeviceMappings', message: `${roots} block devices are marked rootVolume`, fix: 'mark only one as rootVolume' });
    for (const [i, mapping] of (p.blockDeviceMappings ?? []).entries()) {
      if (mapping.ebs && mapping.ebs.volumeSize === undefined && mapping.ebs.snapshotID === undefined) {
        issues.push({ field: `blockDeviceMappings[${i}].ebs`, message: 'neither volumeSize nor snapshotID is set', fix: `set volumeSize, e.g. '100Gi'` });
      }
    }
    // nodeadm, bootstrap.sh and Bottlerocket assemble the instance store; joinery writes no user data for Custom, nor RAID0 for Windows.
    const family = 'alias' in p.ami ? undefined : p.ami.family;
    if (p.instanceStorePolicy === 'RAID0' && family !== undefined && (family === 'Custom' || family.startsWith('Windows'))) {
      issues.push({ field: 'instanceStorePolicy', message: `RAID0 cannot reach a node of amiFamily ${family}: joinery assembles the instance store only in AL2023, AL2 and Bottlerocket user data`, fix: 'assemble it in your own user data and remove instanceStorePolicy, or use an AL2023, AL2 or Bottlerocket AMI' });
    }
    const k = p.kubelet;
    if (k) {
      for (const field of ['maxPods', 'podsPerCore', 'evictionMaxPodGracePeriod'] as const) {
        const value = k[field];
        if (value !== undefined && (!Number.isInteger(value) || value < 0)) issues.push({ field: `kubelet.${field}`, message: `must be a non-negative integer, got ${value}`, fix: 'use a whole number' });
      }
      for (const field of ['imageGCHighThresholdPercent', 'imageGCLowThresholdPercent'] as const) {
        const value = k[field];
        if (value !== undefined && (value < 0 || value > 100)) issues.push({ field: `kubelet.${field}`, message: `must be a percentage from 0 to 100, got ${value}`, fix: 'use a value such as 85' });
      }
      if (k.imageGCHighThresholdPercent !== undefined && k.imageGCLowThresholdPercent !== undefined && k.imageGCLowThresholdPercent >= k.imageGCHighThresholdPercent) {
        issues.push({ field: 'kubelet.imageGCLowThresholdPercent', message: 'must be lower than imageGCHighThresholdPercent', fix: 'e.g. high 85, low 80' });
      }
      for (const field of ['systemReserved', 'kubeReserved'] as const) {
        for (const [resource, quantity] of Object.entries(k[field] ?? {})) {
          const value = quantity === undefined ? undefined : tryParseQuantity(quantity);
          if (value === undefined || value < 0) issues.push({ field: `kubelet.${field}.${resource}`, message: `"${quantity}" is not a non-negative quantity`, fix: `write it like '100m' or '256Mi'` });
        }
      }
      for (const field of ['systemReserved', 'kubeReserved'] as const) {
        for (const resource of Object.keys(k[field] ?? {})) {
          if (!(RESERVED_RESOURCES as readonly string[]).includes(resource)) issues.push({ field: `kubelet.${field}.${resource}`, message: `"${resource}" is not a resource the kubelet reserves`, fix: `use ${RESERVED_RESOURCES.join(', ')}` });
        }
      }
      for (const field of ['evictionHard', 'evictionSoft'] as const) {
        for (const [signal, threshold] of Object.entries(k[field] ?? {})) {
          const problem = evictionThresholdProblem(signal, threshold);
          if (problem) issues.push({ field: `kubelet.${field}.${signal}`, message: problem, fix: `e.g. ${field}: { 'memory.available': '100Mi', 'nodefs.available': '10%' }` });
        }
      }
      for (const [signal, grace] of Object.entries(k.evictionSoftGracePeriod ?? {})) {
        if (parseDurationSeconds(grace) === undefined) issues.push({ field: `kubelet.evictionSoftGracePeriod.${signal}`, message: `"${grace}" is not a duration`, fix: `write it like '1m30s'` });
        else if (k.evictionSoft?.[signal] === undefined) issues.push({ field: `kubelet.evictionSoftGracePeriod.${signal}`, message: 'has no evictionSoft threshold', fix: `add evictionSoft: { '${signal}': ... } or remove the grace period` });
      }
      for (const signal of Object.keys(k.evictionSoft ?? {})) {
        if (!k.evictionSoftGracePeriod?.[signal]) issues.push({ field: `kubelet.evictionSoft.${signal}`, message: `has no grace period`, fix: `add evictionSoftGracePeriod: { '${signal}': '1m' }` });
      }
      for (const [i, ip] of (k.clusterDNS ?? []).entries()) {
        if (!isIpAddress(ip)) issues.push({ field: `kubelet.clusterDNS[${i}]`, message: `"${ip}" is not an IP address`, fix: `give the DNS service's cluster IP, e.g. '10.100.0.10'` });
      }
      const typed = Object.entries(k).filter(([key, v]) => key !== 'extra' && v !== undefined);
      if (typed.length > 0 && !('alias' in p.ami) && p.ami.family === 'Custom') {
        issues.push({ field: 'kubelet', message: 'kubelet settings cannot reach a node of amiFamily Custom (its user data is used as given)', fix: 'set them in your own user data and remove kubelet, or use an AL2023, AL2 or Bottlerocket AMI' });
      }
    }
    return issues;
  }

  [JOINERY_CONSTRUCT](): JoineryConstructInfo {
    const unsafe = unsafeValueIssues(this.config);
    if (unsafe.length > 0) {
      return { kind: 'EC2NodeClass', name: this.name, path: this.node.path, location: this.location, issues: unsafe, acknowledgements: {}, manifest: {}, unsafe: true };
    }
    return {
      kind: 'EC2NodeClass',
      name: this.name,
      path: this.node.path,
      location: this.location,
      issues: this.validate(),
      acknowledgements: { ...this.config.acknowledge },
      manifest: this.toJson() as Record<string, unknown>,
    };
  }
}
