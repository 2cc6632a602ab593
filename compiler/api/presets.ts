// Presets: NodePools and an EC2NodeClass with the defaults a platform team would choose,
// each passing the guardrails. Every default can be overridden with the same props as the
// plain constructs (a top-level prop replaces the default; `instances` merges per field).
import type { Construct } from 'constructs';
import { EC2NodeClass, type AmiSelection, type EC2NodeClassProps } from './ec2nodeclass.ts';
import { NodePool, type NodePoolLimits, type NodePoolProps, type TaintSpec } from './nodepool.ts';
import { days, hours, minutes } from './values.ts';
import { LABEL_ACCELERATOR, LABEL_WORKLOAD, TAG_CLUSTER, TAG_DISCOVERY } from '../../core/contract/index.ts';

/** Preset props: a NodePool's props, with limits required (an unbounded pool is an error). */
export type PresetNodePoolProps = Omit<NodePoolProps, 'limits'> & { limits: NodePoolLimits };

function withDefaults(defaults: Omit<NodePoolProps, 'nodeClass'>, props: PresetNodePoolProps): NodePoolProps {
  const merged = { ...defaults, ...stripUndefined(props) } as NodePoolProps;
  if (defaults.instances || props.instances) merged.instances = { ...defaults.instances, ...stripUndefined(props.instances ?? {}) };
  if (defaults.disruption || props.disruption) merged.disruption = { ...defaults.disruption, ...stripUndefined(props.disruption ?? {}) };
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * On-demand compute, memory and general-purpose instances (c, m, r) of generation 6 or
 * newer, 2 to 64 vCPUs, no bare metal; consolidated when under-used; replaced every 30 days;
 * at most 10% of nodes disrupted at once.
 */
export class GeneralPurposeNodePool extends NodePool {
  constructor(scope: Construct, id: string, props: PresetNodePoolProps) {
    super(
      scope,
      id,
      withDefaults(
        {
          instances: { categories: ['c', 'm', 'r'], generation: { min: 6 }, cpu: { min: 2, max: 64 }, excludeSizes: ['metal'] },
          architectures: ['amd64'],
          capacityTypes: ['on-demand'],
          expireAfter: days(30),
          terminationGracePeriod: hours(24),
          disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: minutes(1), budgets: [{ nodes: '10%' }] },
        },
        props,
      ),
    );
  }
}

/** The taint GPU nodes carry; pods requesting nvidia.com/gpu tolerate it (ExtendedResourceToleration). */
export const GPU_TAINT: TaintSpec = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

/**
 * On-demand NVIDIA GPU instances (category g), tainted so only GPU workloads land there;
 * consolidated only when empty (never under a running job), one node disrupted at a time.
 */
export class GpuNodePool extends NodePool {
  constructor(scope: Construct, id: string, props: PresetNodePoolProps) {
    super(
      scope,
      id,
      withDefaults(
        {
          instances: { categories: ['g'], gpu: { manufacturers: ['nvidia'], count: { min: 1 } }, excludeSizes: ['metal'] },
          architectures: ['amd64'],
          capacityTypes: ['on-demand'],
          taints: [GPU_TAINT],
          labels: { [LABEL_ACCELERATOR]: 'nvidia' },
          expireAfter: days(14),
          terminationGracePeriod: hours(24),
          disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: minutes(10), budgets: [{ nodes: 1 }] },
        },
        props,
      ),
    );
  }
}

/** The taint of batch nodes: only pods that tolerate it (batch jobs) are scheduled there. */
export const BATCH_TAINT: TaintSpec = { key: LABEL_WORKLOAD, value: 'batch', effect: 'NoSchedule' };

/**
 * Spot capacity for interruption-tolerant batch jobs: c, m and r instances of generation 5
 * or newer, with at least 5 families kept open so spot has many pools to draw from;
 * tainted for batch; consolidated only when empty.
 */
export class SpotBatchNodePool extends NodePool {
  constructor(scope: Construct, id: string, props: PresetNodePoolProps) {
    super(
      scope,
      id,
      withDefaults(
        {
          instances: { categories: ['c', 'm', 'r'], generation: { min: 5 }, cpu: { min: 4, max: 96 }, excludeSizes: ['metal'], minValues: { families: 5 } },
          architectures: ['amd64'],
          capacityTypes: ['spot'],
          taints: [BATCH_TAINT],
          labels: { [LABEL_WORKLOAD]: 'batch' },
          expireAfter: days(7),
          terminationGracePeriod: hours(12),
          disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: minutes(5), budgets: [{ nodes: '20%' }] },
        },
        props,
      ),
    );
  }
}

export type DiscoveryEC2NodeClassProps = Omit<EC2NodeClassProps, 'subnets' | 'securityGroups' | 'ami' | 'role' | 'instanceProfile'> & {
  /** The cluster name in the `karpenter.sh/discovery` tag of its subnets and security groups. */
  clusterName: string;
  /** The IAM role of the nodes. */
  role: string;
  /** Pin a version in production: `Ami.alias('al2023', 'v20250505')`. */
  ami: AmiSelection;
  /** Size of the root volume; 100Gi by default. */
  rootVolumeSize?: `${number}Gi`;
  subnets?: EC2NodeClassProps['subnets'];
  securityGroups?: EC2NodeClassProps['securityGroups'];
};

/**
 * The EC2NodeClass of Karpenter's getting-started guide, hardened: subnets and security
 * groups found by the `karpenter.sh/discovery` tag, IMDSv2 required with a hop limit of 1
 * (pods cannot reach the node's credentials), an encrypted gp3 root volume.
 */
export class DiscoveryEC2NodeClass extends EC2NodeClass {
  constructor(scope: Construct, id: string, props: DiscoveryEC2NodeClassProps) {
    const { clusterName, rootVolumeSize, ...rest } = props;
    const discovery = { tags: { [TAG_DISCOVERY]: clusterName } };
    super(scope, id, {
      subnets: [discovery],
      securityGroups: [discovery],
      metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: rootVolumeSize ?? '100Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
      ],
      ...stripUndefined(rest),
      tags: { [TAG_CLUSTER]: clusterName, ...rest.tags },
    } as EC2NodeClassProps);
  }
}
