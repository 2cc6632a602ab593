// One EC2 launch template per distinct launch configuration (AMI, security groups, user
// data, block devices, metadata options, instance profile), named after the hash of that
// configuration, so identical nodes share a template and a changed EC2NodeClass gets a
// new one. Created on first use; listed once per process (hydrate), so neither a restart
// nor a new configuration needs a lookup by name. Tagged with the cluster tag, the
// EC2NodeClass and the NodePool, and listed and deleted only by those tags (garbage
// collection deletes the ones no longer used; see controllers/gc). Each template tags the
// instances launched from it with its name (joinery.dev/launch-template).

import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  type EC2Client,
  type LaunchTemplateBlockDeviceMappingRequest,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import type { BlockDeviceMapping, EC2NodeClass } from '../../../core/api/karpenter.ts';
import { canonicalJson, fnv1a64 } from '../../../core/canonical.ts';
import { parseQuantity } from '../../../core/resources/quantity.ts';
import type { Ec2Calls } from './calls.ts';
import type { AmiFamily } from '../../../core/contract/ami.ts';
import { awsErrorCode } from './errors.ts';
import { CLUSTER_TAG_VALUE, TAG_LAUNCH_TEMPLATE, TAG_NODECLASS, TAG_NODEPOOL, clusterTagKey, isOwnedLaunchTemplate, launchTemplateName } from '../../../core/contract/index.ts';
import type { LaunchTemplate } from '../../ports/cloud.ts';
import { launchTemplateNetworkInterfaces } from './network-interfaces.ts';

const GiB = 2 ** 30;

/** Karpenter's default block devices per AMI family (root volume 20Gi gp3, encrypted). */
export function defaultBlockDevices(family: AmiFamily): BlockDeviceMapping[] {
  const ebs = (size: string) => ({ volumeSize: size, volumeType: 'gp3' as const, encrypted: true, deleteOnTermination: true });
  switch (family) {
    case 'Bottlerocket':
      return [
        { deviceName: '/dev/xvda', ebs: ebs('4Gi') },
        { deviceName: '/dev/xvdb', ebs: ebs('20Gi'), rootVolume: true },
      ];
    case 'Windows2019':
    case 'Windows2022':
    case 'Windows2025':
      return [{ deviceName: '/dev/sda1', ebs: ebs('50Gi'), rootVolume: true }];
    case 'Custom':
      return [];
    default:
      return [{ deviceName: '/dev/xvda', ebs: ebs('20Gi'), rootVolume: true }];
  }
}

export function blockDevices(nodeClass: EC2NodeClass, family: AmiFamily): BlockDeviceMapping[] {
  return nodeClass.spec?.blockDeviceMappings?.length ? nodeClass.spec.blockDeviceMappings : defaultBlockDevices(family);
}

/** Bytes of the volume that backs the kubelet's ephemeral storage, if known. */
export function rootVolumeBytes(mappings: readonly BlockDeviceMapping[]): number | undefined {
  const root = mappings.find((m) => m.rootVolume) ?? (mappings.length === 1 ? mappings[0] : undefined);
  const size = root?.ebs?.volumeSize;
  return size ? parseQuantity(size) : undefined;
}

function ec2BlockDevice(m: BlockDeviceMapping): LaunchTemplateBlockDeviceMappingRequest {
  const e = m.ebs;
  return {
    DeviceName: m.deviceName,
    ...(e
      ? {
          Ebs: {
            ...(e.volumeSize ? { VolumeSize: Math.ceil(parseQuantity(e.volumeSize) / GiB) } : {}),
            ...(e.volumeType ? { VolumeType: e.volumeType } : {}),
            ...(e.iops !== undefined ? { Iops: e.iops } : {}),
            ...(e.throughput !== undefined ? { Throughput: e.throughput } : {}),
            ...(e.encrypted !== undefined ? { Encrypted: e.encrypted } : {}),
            ...(e.kmsKeyID ? { KmsKeyId: e.kmsKeyID } : {}),
            ...(e.snapshotID ? { SnapshotId: e.snapshotID } : {}),
            DeleteOnTermination: e.deleteOnTermination ?? true,
          },
        }
      : {}),
  };
}

export interface LaunchConfiguration {
  readonly nodeClass: EC2NodeClass;
  readonly family: AmiFamily;
  readonly imageId: string;
  readonly securityGroupIds: readonly string[];
  /** Plain-text user data. */
  readonly userData: string;
  /** The nodes' instance profile: spec.instanceProfile, or the one created for spec.role. */
  readonly instanceProfile?: string;
  /**
   * Only for a class that selects capacity reservations (Karpenter's targeted launch mode):
   * the reservation a reserved launch goes into (capacity-reservations-only, targeted; a
   * capacity block also as its market type), or 'none' for its on-demand and spot launches,
   * so they do not use up an open reservation joinery counts on.
   */
  readonly capacityReservation?: { readonly id: string; readonly type: 'default' | 'capacity-block' } | 'none';
}

/** The launch template data for a configuration (Karpenter's defaults for metadata options). */
export function launchTemplateData(c: LaunchConfiguration): RequestLaunchTemplateData {
  const spec = c.nodeClass.spec;
  const md = spec?.metadataOptions ?? {};
  const groups = [...c.securityGroupIds];
  const networkInterfaces = launchTemplateNetworkInterfaces(c.nodeClass, groups);
  return {
    ImageId: c.imageId,
    UserData: Buffer.from(c.userData, 'utf8').toString('base64'),
    // With network interfaces, the security groups are theirs (./network-interfaces.ts).
    ...(networkInterfaces ? { NetworkInterfaces: networkInterfaces } : { SecurityGroupIds: groups }),
    ...((c.instanceProfile ?? spec?.instanceProfile) ? { IamInstanceProfile: { Name: c.instanceProfile ?? spec!.instanceProfile! } } : {}),
    BlockDeviceMappings: blockDevices(c.nodeClass, c.family).map(ec2BlockDevice),
    MetadataOptions: {
      HttpEndpoint: md.httpEndpoint ?? 'enabled',
      HttpProtocolIpv6: md.httpProtocolIPv6 ?? 'disabled',
      HttpPutResponseHopLimit: md.httpPutResponseHopLimit ?? 1,
      HttpTokens: md.httpTokens ?? 'required',
    },
    Monitoring: { Enabled: spec?.detailedMonitoring ?? false },
    ...(c.capacityReservation === 'none'
      ? { CapacityReservationSpecification: { CapacityReservationPreference: 'none' } }
      : c.capacityReservation
        ? {
            CapacityReservationSpecification: {
              CapacityReservationPreference: 'capacity-reservations-only',
              CapacityReservationTarget: { CapacityReservationId: c.capacityReservation.id },
            },
            ...(c.capacityReservation.type === 'capacity-block' ? { InstanceMarketOptions: { MarketType: 'capacity-block' } } : {}),
          }
        : {}),
  };
}

export class LaunchTemplates {
  private readonly byName = new Map<string, Promise<string>>();
  /** When this process last launched with, or first listed, each template. */
  private readonly usedAt = new Map<string, number>();
  /**
   * The templates known to exist, name -> id, as of the last listing and kept up to date
   * by this process's creates and deletes; undefined until the first listing. A name not
   * in it is created without first being looked up (another replica's template created
   * since answers AlreadyExists, then it is looked up).
   */
  private known: Map<string, string> | undefined;
  private hydrating: Promise<void> | undefined;

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    private readonly clusterName: string,
    private readonly tags: Readonly<Record<string, string>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The name a configuration's template has: stable across restarts and replicas. */
  nameOf(data: RequestLaunchTemplateData): string {
    return launchTemplateName(this.clusterName, fnv1a64(canonicalJson(data)));
  }

  /** Returns the template's name, creating it if it does not exist. */
  async ensure(data: RequestLaunchTemplateData, nodeClassName: string, nodePoolName: string): Promise<string> {
    const name = this.nameOf(data);
    this.usedAt.set(name, this.now());
    let pending = this.byName.get(name);
    if (!pending) {
      pending = this.createOrFind(name, data, nodeClassName, nodePoolName);
      this.byName.set(name, pending);
      pending.catch(() => this.byName.delete(name));
    }
    await pending;
    return name;
  }

  /** Forget a template (deleted behind our back); the next ensure recreates it. */
  forget(name: string): void {
    this.byName.delete(name);
    this.usedAt.delete(name);
    this.known?.delete(name);
  }

  /**
   * Lists joinery's templates once (Karpenter hydrates its launch template cache at start
   * too), so launches create the templates they miss without a lookup by name each: in a
   * burst every new configuration paid a DescribeLaunchTemplates (p50 0.9 s on the test
   * environment) before its CreateLaunchTemplate. A read, so a standby may run it; the
   * provider starts it with the first catalog fetch. A failed listing is retried by the
   * next caller, and launches look templates up by name meanwhile.
   */
  hydrate(): Promise<void> {
    this.hydrating ??= this.list().then(
      () => undefined,
      () => {
        this.hydrating = undefined;
      },
    );
    return this.hydrating;
  }

  /** joinery's templates of this cluster: filtered by its tags in EC2, and checked again here. */
  async list(): Promise<LaunchTemplate[]> {
    const out: LaunchTemplate[] = [];
    const now = this.now();
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeLaunchTemplates', () =>
        this.ec2.send(
          new DescribeLaunchTemplatesCommand({
            Filters: [
              { Name: `tag:${clusterTagKey(this.clusterName)}`, Values: [CLUSTER_TAG_VALUE] },
              { Name: 'tag-key', Values: [TAG_NODEPOOL] },
            ],
            MaxResults: 200,
            NextToken: token,
          }),
        ),
      );
      for (const t of page.LaunchTemplates ?? []) {
        const name = t.LaunchTemplateName ?? '';
        const tags = Object.fromEntries((t.Tags ?? []).filter((x) => x.Key).map((x) => [x.Key!, x.Value ?? '']));
        if (!t.LaunchTemplateId || !isOwnedLaunchTemplate(name, tags, this.clusterName)) continue;
        const createdAt = t.CreateTime?.getTime() ?? 0;
        if (!this.usedAt.has(name)) this.usedAt.set(name, now);
        out.push({ name, id: t.LaunchTemplateId, createdAt, lastUsedAt: Math.max(createdAt, this.usedAt.get(name)!), tags });
      }
      token = page.NextToken || undefined;
    } while (token);
    this.known = new Map(out.map((t) => [t.name, t.id]));
    return out;
  }

  /** Deletes a template by name (gone already: nothing to do). */
  async delete(name: string): Promise<void> {
    this.forget(name);
    try {
      await this.calls.run('DeleteLaunchTemplate', () => this.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: name })));
    } catch (err) {
      const code = awsErrorCode(err);
      if (code === 'InvalidLaunchTemplateName.NotFoundException' || code === 'InvalidLaunchTemplateId.NotFound') return;
      throw err;
    }
  }

  private async createOrFind(name: string, data: RequestLaunchTemplateData, nodeClassName: string, nodePoolName: string): Promise<string> {
    await this.hydrate();
    const listed = this.known?.get(name);
    if (listed) return listed;
    if (!this.known) {
      const found = await this.find(name);
      if (found) return found;
    }
    try {
      const out = await this.calls.run('CreateLaunchTemplate', () =>
        this.ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            // Instances launched from it name it (garbage collection keeps a template its nodes run from).
            LaunchTemplateData: { ...data, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG_LAUNCH_TEMPLATE, Value: name }] }] },
            TagSpecifications: [
              {
                ResourceType: 'launch-template',
                Tags: Object.entries({ ...this.tags, [TAG_NODECLASS]: nodeClassName, [TAG_NODEPOOL]: nodePoolName }).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }),
        ),
      );
      const id = out.LaunchTemplate?.LaunchTemplateId ?? name;
      this.known?.set(name, id);
      return id;
    } catch (err) {
      // Another replica (or an earlier life of this one) created it first.
      if (awsErrorCode(err) === 'InvalidLaunchTemplateName.AlreadyExistsException') return (await this.find(name)) ?? name;
      throw err;
    }
  }

  private async find(name: string): Promise<string | undefined> {
    try {
      const out = await this.calls.run('DescribeLaunchTemplates', () => this.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })));
      return out.LaunchTemplates?.[0]?.LaunchTemplateId;
    } catch (err) {
      const code = awsErrorCode(err);
      if (code === 'InvalidLaunchTemplateName.NotFoundException' || code === 'InvalidLaunchTemplateId.NotFound') return undefined;
      throw err;
    }
  }
}
