// The CloudProvider over EC2 (@aws-sdk/client-ec2), modelled on Karpenter's AWS provider:
//   catalog   DescribeInstanceTypes + DescribeInstanceTypeOfferings (per zone of the
//             class's subnets), on-demand prices from the shipped table, spot prices from
//             DescribeSpotPriceHistory, allocatable from the class's kubelet settings;
//   create    subnets, security groups and AMIs from the class's selector terms, a launch
//             template per AMI with the family's user data, then CreateFleet (instant)
//             over every candidate type x zone, with the NodeClaim UID as client token;
//   get/list  DescribeInstances by id, or by joinery's tags (the cluster tag `owned` and
//             karpenter.sh/nodepool, as Karpenter lists: a self-managed node group's
//             instances carry the cluster tag too, and are never listed);
//   delete    TerminateInstances;
//   launch templates: listed by the same tags, deleted by name (DeleteLaunchTemplate);
//   identity  the instance profile of the class (instance-profiles.ts, @aws-sdk/client-iam):
//             spec.instanceProfile as given, or one created for spec.role, in every launch
//             template; a class whose role does not exist has no catalog (its pools launch
//             nothing) and never launches without an identity.
// Launches are idempotent per NodeClaim twice over: EC2's client token, and a lookup of
// the instance tagged with the claim's UID before launching and before any retry of a
// CreateFleet whose outcome is unknown (a 5xx, a timeout: EC2 may have launched), which
// also covers EC2 endpoints that ignore client tokens, and tokens older than EC2
// remembers. An outcome still unknown is LaunchOutcomeUnknownError, never a failure.

import {
  CreateFleetCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type CreateFleetCommandOutput,
  type Filter,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { EC2NodeClass, NodeClaim, NodeClaimTaint } from '../../../core/api/karpenter.ts';
import { buildInstanceTypes, type InstanceType, type Offering } from '../../../core/catalog/instance-types.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  InstanceNotFoundError,
  InsufficientCapacityError,
  LaunchFailedError,
  LaunchOutcomeUnknownError,
  adoptionOrder,
  offeringKeyString,
  type CloudDrift,
  type CloudProvider,
  type Instance,
  type LaunchRequest,
  type LaunchTemplate,
  type InstanceProfile,
  type NodeClassResolution,
  type Resolved,
} from '../../ports/cloud.ts';
import type { Logger } from '../../observability/log.ts';
import { SystemClock } from '../../runtime/system-clock.ts';
import {
  CLUSTER_TAG_VALUE,
  LABEL_NODEPOOL,
  LABEL_POLICY_COMMIT,
  TAG_NODECLAIM_UID,
  TAG_NODEPOOL,
  TAINT_UNREGISTERED,
  clusterTagKey,
  isOwnedInstance,
  type CapacityType,
} from '../../../core/contract/index.ts';
import type { UnavailableOfferings } from '../../cache/unavailable-offerings.ts';
import { Batcher } from './batcher.ts';
import { DEFAULT_BACKOFF, Ec2Calls } from './calls.ts';
import { Ec2InstanceTypeSource, kubeletSettings, rawInstanceType } from './catalog.ts';
import { AWS_DEFAULTS, type AwsCloudProviderConfig } from './config.ts';
import { SsmParameters } from './ami-ssm.ts';
import { describeAmis, resolvedValuesDrift } from './drift.ts';
import { NodeClassDiscovery, NodeClassResolutionError, amiForInstanceType, amiStatusEntries, type AmiStatusEntry, type ResolvedAmi, type ResolvedAmis, type ResolvedSubnet } from './discovery.ts';
import { InstanceProfiles } from './instance-profiles.ts';
import { awsErrorCode, errorMessage, isInstanceNotFound, isTransientError } from './errors.ts';
import { chooseCapacityType, createFleetInput, fleetOutcome, type FleetCandidate } from './fleet.ts';
import { LaunchTemplates, blockDevices, launchTemplateData, rootVolumeBytes } from './launch-templates.ts';
import { withNetworkInterfaces } from './network-interfaces.ts';
import { OnDemandPrices, SpotPrices, loadOnDemandPrices, type SpotPricing } from './pricing.ts';
import { UserDataError, bootstrapUserData } from './userdata.ts';
import { KubeletConfigError, nodeKubeletConfig } from './kubelet-config.ts';
import { CapacityReservations, RESERVED_PRICE_DIVISOR, reservationStatusEntries, reservedOfferingsAtLaunch, withReservedOfferings, type ResolvedReservation } from './capacity-reservations.ts';

const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export function instanceIdOf(providerID: string): string {
  return providerID.slice(providerID.lastIndexOf('/') + 1);
}

function tagMap(instance: Ec2Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

function portState(state: string | undefined): Instance['state'] {
  if (state === 'pending' || state === 'running' || state === 'terminated') return state;
  return 'shutting-down'; // shutting-down, stopping, stopped: not serving
}

/** The subnet of each zone with the most free addresses (Karpenter's choice). */
export function subnetPerZone(subnets: readonly ResolvedSubnet[]): Map<string, ResolvedSubnet> {
  const out = new Map<string, ResolvedSubnet>();
  for (const s of subnets) {
    const best = out.get(s.zone);
    if (!best || s.availableIps > best.availableIps) out.set(s.zone, s);
  }
  return out;
}

export class AwsCloudProvider implements CloudProvider {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  private readonly clock: Clock;
  private readonly calls: Ec2Calls;
  private readonly logger: Logger | undefined;
  private readonly types: Ec2InstanceTypeSource;
  private readonly spot: SpotPrices;
  private readonly onDemand: OnDemandPrices;
  private readonly spotPricing: SpotPricing;
  private readonly discovery: NodeClassDiscovery;
  private readonly launchTemplates: LaunchTemplates;
  private readonly instanceProfiles: InstanceProfiles;
  private readonly reservations: CapacityReservations;
  private readonly unavailable: UnavailableOfferings | undefined;
  private readonly inflight = new Map<string, Promise<Instance>>();
  private readonly catalogs = new Map<string, { key: string; types: readonly InstanceType[] }>();
  private readonly subnetZones = new Map<string, string>();
  /** Instances by NodeClaim UID tag, looked up for many launches in one DescribeInstances. */
  private readonly byClaimUid: Batcher<string, Instance | undefined>;
  /** Instances by id, for drift checks of many claims in one DescribeInstances. */
  private readonly byInstanceId: Batcher<string, Instance | undefined>;

  constructor(private readonly config: AwsCloudProviderConfig) {
    this.clock = config.clock ?? new SystemClock();
    this.logger = config.logger;
    // Retries are ours (Ec2Calls), with jitter and metrics; the SDK's own would stack on them.
    this.ec2 = config.ec2Client ?? new EC2Client({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}), maxAttempts: 1 });
    if (config.ec2Client) {
      // The SDK's retries know nothing of unknown outcomes: they would send a CreateFleet again blindly.
      void Promise.resolve(config.ec2Client.config.maxAttempts()).then((n) => {
        if (n > 1) config.logger?.warn('the EC2 client given retries calls itself; a CreateFleet answered 5xx may be sent again without looking its instance up', { maxAttempts: n, fix: 'build the client with maxAttempts: 1' });
      }, () => undefined);
    }
    this.calls = new Ec2Calls(this.clock, config.backoff ?? DEFAULT_BACKOFF, config.random ?? Math.random, config.logger, config.metrics);
    this.types = new Ec2InstanceTypeSource(this.ec2, this.calls, this.clock, config.instanceTypesTtlMs ?? AWS_DEFAULTS.instanceTypesTtlMs);
    this.spot = new SpotPrices(this.ec2, this.calls, this.clock, config.spotPriceTtlMs ?? AWS_DEFAULTS.spotPriceTtlMs, config.logger);
    const table = loadOnDemandPrices(config.onDemandPriceTablePath);
    this.onDemand = new OnDemandPrices(config.region, table, this.clock, config.priceList, config.logger);
    if (table.region && table.region !== config.region && !config.priceList) {
      config.logger?.warn('the on-demand price table is for another region; prices are approximate', {
        tableRegion: table.region,
        region: config.region,
        prices: this.onDemand.describe(),
        fix: 'let the reconciler ask the AWS Price List API (not --isolated-vpc), or set onDemandPriceTablePath to a table for this region',
      });
    }
    this.spotPricing = config.spotPricing ?? 'describe-spot-price-history';
    this.ssm = config.ssmClient ?? new SSMClient({ region: config.region, ...(config.ssmEndpoint ? { endpoint: config.ssmEndpoint } : {}), maxAttempts: 1 });
    this.discovery = new NodeClassDiscovery(this.ec2, this.calls, new SsmParameters(this.ssm, this.calls), this.clock, {
      ttlMs: config.discoveryTtlMs ?? AWS_DEFAULTS.discoveryTtlMs,
      amiTtlMs: config.amiTtlMs ?? AWS_DEFAULTS.amiTtlMs,
      kubernetesVersion: config.kubernetesVersion,
    });
    this.launchTemplates = new LaunchTemplates(this.ec2, this.calls, config.clusterName, { [clusterTagKey(config.clusterName)]: CLUSTER_TAG_VALUE }, () => this.clock.now());
    const iam = config.iamClient ?? new IAMClient({ region: config.region, ...(config.iamEndpoint ? { endpoint: config.iamEndpoint } : {}), maxAttempts: 1 });
    this.instanceProfiles = new InstanceProfiles(iam, this.calls, this.clock, {
      clusterName: config.clusterName,
      region: config.region,
      ttlMs: config.instanceProfileTtlMs ?? AWS_DEFAULTS.instanceProfileTtlMs,
    });
    this.unavailable = config.unavailableOfferings;
    this.reservations = new CapacityReservations(this.ec2, this.calls, this.clock, config.discoveryTtlMs ?? AWS_DEFAULTS.discoveryTtlMs);
    this.byClaimUid = new Batcher(this.clock, (uids) => this.findByClaimUids(uids), undefined);
    this.byInstanceId = new Batcher(this.clock, (ids) => this.findByIds(ids), undefined);
  }

  // ---- catalog -------------------------------------------------------------------------

  /**
   * Fetches what every catalog needs (instance types, offerings, spot prices) ahead of the
   * first launch, so the first batch of pending pods does not wait for it. Call at start-up.
   */
  async warm(nodeClasses: readonly EC2NodeClass[] = []): Promise<void> {
    await Promise.all([
      this.types.get(),
      this.spotPricing === 'describe-spot-price-history' ? this.spot.table() : undefined,
      this.onDemand.table(),
      ...nodeClasses.map((c) => this.getInstanceTypes(c)),
    ]);
  }

  reservationFree(id: string): number | undefined {
    return this.reservations.known(id);
  }

  async getInstanceTypes(nodeClass: EC2NodeClass): Promise<readonly InstanceType[]> {
    // The first catalog fetch (at start-up, before any launch) also lists the launch templates.
    void this.launchTemplates.hydrate();
    const [described, subnets, amis, spotTable, , onDemand, reservations] = await Promise.all([
      this.types.get(),
      this.discovery.resolveSubnets(nodeClass),
      this.discovery.resolveAmis(nodeClass),
      this.spotPricing === 'describe-spot-price-history' ? this.spot.table() : Promise.resolve(undefined),
      // A class whose nodes would have no identity (its role does not exist) offers nothing to launch.
      this.config.checkInstanceProfiles === false ? undefined : this.instanceProfiles.resolve(nodeClass),
      this.onDemand.table(),
      // A class selecting a reservation EC2 does not know offers nothing either (not Ready).
      this.reservations.resolve(nodeClass),
    ]);
    for (const s of subnets) this.subnetZones.set(s.id, s.zone);
    const zones = [...new Set(subnets.map((s) => s.zone))].sort();
    const archs = new Set(amis.amis.map((a) => a.arch));
    let kubelet;
    try {
      kubelet = kubeletSettings(nodeClass.spec?.kubelet, rootVolumeBytes(blockDevices(nodeClass, amis.family)), nodeClass.spec?.instanceStorePolicy);
    } catch (err) {
      throw new LaunchFailedError('NodeClassNotReady', `EC2NodeClass ${nodeClass.metadata.name}: ${errorMessage(err)}; write Kubernetes quantities such as "100m" or "1Gi"`);
    }
    const reserved = reservations.map((r) => [r.id, r.instanceType, r.zone, r.state, this.reservations.remaining(r.id) > 0]);
    const key = canonicalJson({ zones, amis: amis.amis.map((a) => [a.arch, a.variants ?? null]), kubelet, networkInterfaces: nodeClass.spec?.networkInterfaces ?? null, spot: this.spot.version, onDemand: this.onDemand.version, n: described.types.length, reserved });
    const name = nodeClass.metadata.name ?? '';
    const hit = this.catalogs.get(name);
    if (hit && hit.key === key) return hit.types;

    const raws = [];
    for (const info of described.types) {
      const raw = rawInstanceType(info, described.zonesByType.get(info.InstanceType ?? '') ?? [], onDemand.get(info.InstanceType ?? ''));
      if (raw && archs.has(raw.arch as 'amd64' | 'arm64')) raws.push(raw);
    }
    const fraction = typeof this.spotPricing === 'object' ? this.spotPricing.fractionOfOnDemand : undefined;
    const built = buildInstanceTypes(
      { meta: { region: this.config.region }, instanceTypes: raws },
      {
        zones,
        region: this.config.region,
        kubelet,
        spotPrice: (t, zone) => {
          if (!t.usageClasses.includes('spot') || t.onDemandPricePerHour == null) return undefined;
          if (fraction !== undefined) return Math.round(t.onDemandPricePerHour * fraction * 1e5) / 1e5;
          return spotTable?.get(SpotPrices.key(t.name, zone));
        },
      },
    );
    // A type no AMI serves (a GPU type when the alias publishes no nvidia image) cannot launch.
    // Nor a type that cannot take the class's network interfaces (network cards, EFA); EFA devices are advertised.
    const served = withNetworkInterfaces(built.filter((t) => amiForInstanceType(amis, t.labels) !== undefined), nodeClass);
    // The class's capacity reservations as reserved offerings of their types (./capacity-reservations.ts).
    const types = withReservedOfferings(served, reservations, (id) => this.reservations.remaining(id), (type) => onDemand.get(type));
    this.catalogs.set(name, { key, types });
    return types;
  }

  // ---- launch --------------------------------------------------------------------------

  create(request: LaunchRequest): Promise<Instance> {
    const uid = request.nodeClaim.metadata.uid;
    if (!uid) {
      return Promise.reject(new LaunchFailedError('InvalidRequest', `NodeClaim ${request.nodeClaim.metadata.name} has no uid to use as client token; create it through the API first`));
    }
    let pending = this.inflight.get(uid);
    if (!pending) {
      pending = this.launch(request, uid).finally(() => this.inflight.delete(uid));
      this.inflight.set(uid, pending);
    }
    return pending;
  }

  private async launch(request: LaunchRequest, uid: string): Promise<Instance> {
    const claim = request.nodeClaim;
    const claimName = claim.metadata.name ?? '';
    // A claim's first attempt, made by the process that created it, cannot find an instance.
    const existing = request.firstAttempt ? undefined : await this.findByClaimUid(uid);
    if (existing) {
      this.logger?.info('instance already launched for this NodeClaim; not launching again', { nodeClaim: claimName, instanceId: existing.id });
      return existing;
    }
    const nodeClass = request.nodeClass;
    if (!chooseCapacityType(request.instanceTypes)) throw new LaunchFailedError('NoCompatibleOfferings', `NodeClaim ${claimName} allows no available offering`);
    const [subnets, securityGroupIds, amis, instanceProfile, reservations] = await Promise.all([
      this.discovery.resolveSubnets(nodeClass),
      this.discovery.resolveSecurityGroups(nodeClass),
      this.discovery.resolveAmis(nodeClass),
      this.instanceProfiles.resolve(nodeClass),
      this.reservations.resolve(nodeClass),
    ]);
    for (const s of subnets) this.subnetZones.set(s.id, s.zone);
    const subnetByZone = subnetPerZone(subnets);

    // A reserved offering is offered while its reservation has room as counted now (the
    // claim's catalog may be older): a full one falls back to spot or on-demand. No await
    // between this count and take(), so launches racing for the last slot do not both get it.
    const instanceTypes = reservedOfferingsAtLaunch(request.instanceTypes, new Set(reservations.map((r) => r.id)), (id) => this.reservations.remaining(id));
    const capacityType = chooseCapacityType(instanceTypes);
    if (!capacityType) throw new LaunchFailedError('NoCompatibleOfferings', `NodeClaim ${claimName}: its reserved offerings' capacity reservations are full and it allows no other capacity type`);
    // Reserved: the offerings of one reservation type (a fleet asks for capacity blocks or for
    // on-demand capacity), the cheapest's; each of their reservations is counted as taken until
    // EC2 says which one it launched into.
    let reservationType: 'default' | 'capacity-block' | undefined;
    const taken = new Set<string>();
    if (capacityType === 'reserved') {
      const cheapest = instanceTypes.flatMap((t) => t.offerings.filter((o) => o.capacityType === 'reserved' && o.available && subnetByZone.has(o.zone))).sort((a, b) => a.price - b.price)[0];
      reservationType = cheapest?.reservation?.type ?? 'default';
      for (const t of instanceTypes) {
        for (const o of t.offerings) {
          if (o.capacityType === 'reserved' && o.available && o.reservation?.type === reservationType && subnetByZone.has(o.zone) && !taken.has(o.reservation.id) && this.reservations.take(o.reservation.id)) taken.add(o.reservation.id);
        }
      }
      this.markFullReservations(reservations);
    }
    let launchedInto: string | undefined;
    try {
      const instance = await this.launchWith(request, uid, false, { capacityType, instanceTypes, reservationType, taken, selectsReservations: (nodeClass.spec?.capacityReservationSelectorTerms?.length ?? 0) > 0 }, { subnetByZone, securityGroupIds, amis, instanceProfile });
      launchedInto = instance.capacityReservationId;
      return instance;
    } finally {
      for (const id of taken) if (id !== launchedInto) this.reservations.release(id);
    }
  }

  /** Marks the reserved offerings whose reservations are all full unavailable, so the next solve plans other capacity. */
  private markFullReservations(reservations: readonly ResolvedReservation[]): void {
    const full = new Map<string, boolean>();
    for (const r of reservations) {
      const key = `${r.instanceType}/${r.zone}`;
      full.set(key, (full.get(key) ?? true) && this.reservations.remaining(r.id) <= 0);
    }
    const keys = [...full].filter(([, isFull]) => isFull).map(([key]) => {
      const [instanceType, zone] = key.split('/') as [string, string];
      return { instanceType, zone, capacityType: 'reserved' as const };
    });
    if (keys.length > 0) this.unavailable?.mark(keys);
  }

  private async launchWith(
    request: LaunchRequest,
    uid: string,
    retried: boolean,
    choice: { capacityType: CapacityType; instanceTypes: readonly InstanceType[]; reservationType: 'default' | 'capacity-block' | undefined; taken: ReadonlySet<string>; selectsReservations: boolean },
    resolved: { subnetByZone: Map<string, ResolvedSubnet>; securityGroupIds: string[]; amis: ResolvedAmis; instanceProfile: string | undefined },
  ): Promise<Instance> {
    const claim = request.nodeClaim;
    const claimName = claim.metadata.name ?? '';
    const nodeClass = request.nodeClass;
    const className = nodeClass.metadata.name ?? '';
    const { capacityType } = choice;
    const { subnetByZone, securityGroupIds, amis, instanceProfile } = resolved;

    // A launch template per AMI and per kubelet configuration: each instance type launches
    // with the AMI of its arch and variant, and max-pods and kube-reserved differ between
    // instance types (./kubelet-config.ts); a reserved launch also per reservation it targets.
    const taints = registrationTaints(claim.spec.taints, claim.spec.startupTaints);
    const amiByType = new Map<string, ResolvedAmi>();
    const templateByKey = new Map<string, Promise<string>>();
    const capacityReservationFor = (o: Offering) => (o.reservation ? o.reservation : choice.selectsReservations ? ('none' as const) : undefined);
    const templateFor = (t: InstanceType, o: Offering): Promise<string> | undefined => {
      const ami = amiForInstanceType(amis, t.labels);
      if (!ami) return undefined;
      amiByType.set(t.name, ami);
      const capacityReservation = capacityReservationFor(o);
      try {
        const kubelet = amis.family === 'Custom' ? undefined : nodeKubeletConfig(nodeClass.spec?.kubelet, t, className);
        const key = `${ami.id}/${canonicalJson(kubelet ?? null)}/${canonicalJson(capacityReservation ?? null)}`;
        const known = templateByKey.get(key);
        if (known) return known;
        const userData = bootstrapUserData({
          family: amis.family,
          cluster: this.config.bootstrap,
          labels: registrationLabelsOf(claim.metadata.labels),
          taints,
          kubelet,
          customUserData: nodeClass.spec?.userData,
          ...(nodeClass.spec?.instanceStorePolicy ? { instanceStorePolicy: nodeClass.spec.instanceStorePolicy } : {}),
          nodeClassName: className,
        });
        const data = launchTemplateData({ nodeClass, family: amis.family, imageId: ami.id, securityGroupIds, userData, instanceProfile, ...(capacityReservation ? { capacityReservation } : {}) });
        const template = this.launchTemplates.ensure(data, className, claim.metadata.labels?.[LABEL_NODEPOOL] ?? request.tags[TAG_NODEPOOL] ?? '');
        templateByKey.set(key, template);
        return template;
      } catch (err) {
        if (err instanceof UserDataError) throw new LaunchFailedError('InvalidUserData', err.message);
        if (err instanceof KubeletConfigError) throw new LaunchFailedError('NodeClassNotReady', err.message);
        throw err;
      }
    };

    const pending: { candidate: Omit<FleetCandidate, 'launchTemplateName'>; template: Promise<string> }[] = [];
    for (const t of choice.instanceTypes) {
      for (const o of t.offerings) {
        const subnet = subnetByZone.get(o.zone);
        if (!o.available || o.capacityType !== capacityType || !subnet) continue;
        if (capacityType === 'reserved' && !(o.reservation && choice.taken.has(o.reservation.id) && o.reservation.type === choice.reservationType)) continue;
        const template = templateFor(t, o);
        if (!template) continue;
        pending.push({ candidate: { instanceType: t.name, zone: o.zone, subnetId: subnet.id, price: o.price, ...(o.reservation ? { reservation: o.reservation } : {}) }, template });
      }
    }
    const candidates: FleetCandidate[] = await Promise.all(pending.map(async (p) => ({ ...p.candidate, launchTemplateName: await p.template })));
    if (candidates.length === 0) {
      throw new LaunchFailedError(
        'NoCompatibleOfferings',
        `NodeClaim ${claimName}: no ${capacityType} offering of its ${choice.instanceTypes.length} instance type(s) has both a subnet (zones ${[...subnetByZone.keys()].join(', ') || 'none'}) and an AMI (${describeAmis(amis)}) in EC2NodeClass ${className}`,
      );
    }

    const input = createFleetInput({ clientToken: uid, capacityType, candidates, tags: { ...request.tags, [TAG_NODECLAIM_UID]: uid }, ...(request.prioritized ? { prioritized: true } : {}) });
    let out: CreateFleetCommandOutput;
    try {
      // Never retried blindly: after a 5xx or a timeout the instance may exist (EC2 can act and
      // still answer 500, and an endpoint may ignore the client token), so the claim's tag is
      // looked up before each retry.
      const result = await this.calls.runMutating('CreateFleet', () => this.ec2.send(new CreateFleetCommand(input)), () => this.findByClaimUid(uid));
      if ('found' in result) {
        this.logger?.info('CreateFleet answered an error but had launched; adopting its instance', { nodeClaim: claimName, instanceId: result.found.id });
        return result.found;
      }
      out = result.done;
    } catch (err) {
      throw this.launchError(err, claimName);
    }
    const outcome = fleetOutcome(out.Instances, out.Errors, capacityType, (id) => (id ? this.subnetZones.get(id) : undefined), candidates);
    if (capacityType === 'reserved') {
      // EC2 found these reservations full (ReservationCapacityExceeded): nothing left in them until the next describe.
      for (const short of outcome.shortOfferings) {
        for (const c of candidates) if (c.reservation && c.instanceType === short.instanceType && c.zone === short.zone) this.reservations.exhausted(c.reservation.id);
      }
    }
    if (!outcome.launched) {
      const templateGone = outcome.otherErrors.find((e) => e.code.startsWith('InvalidLaunchTemplateName') || e.code.startsWith('InvalidLaunchTemplateId'));
      if (templateGone && !retried) {
        for (const name of new Set(candidates.map((c) => c.launchTemplateName))) this.launchTemplates.forget(name);
        return this.launchWith(request, uid, true, choice, resolved);
      }
      if (outcome.shortOfferings.length > 0) throw new InsufficientCapacityError(outcome.shortOfferings);
      const e = outcome.otherErrors[0];
      throw new LaunchFailedError(e?.code ?? 'NoInstanceLaunched', `CreateFleet for NodeClaim ${claimName} launched no instance${e ? `: ${e.code}: ${e.message}` : ''}`);
    }
    if (outcome.shortOfferings.length > 0) {
      // EC2 fell back past these offerings within the same request: avoid them next time too.
      this.unavailable?.mark(outcome.shortOfferings);
      this.logger?.info('fleet skipped offerings without capacity', { nodeClaim: claimName, offerings: outcome.shortOfferings.map(offeringKeyString) });
    }
    const launched = outcome.launched;
    const launchedTemplate = out.Instances?.find((i) => (i.InstanceIds ?? []).includes(launched.instanceId))?.LaunchTemplateAndOverrides?.LaunchTemplateSpecification?.LaunchTemplateName;
    const matches = (c: FleetCandidate) => c.instanceType === launched.instanceType && (!launched.zone || c.zone === launched.zone);
    const chosen =
      candidates.find((c) => matches(c) && (!launchedTemplate || c.launchTemplateName === launchedTemplate)) ?? candidates.find(matches) ?? candidates.find((c) => c.instanceType === launched.instanceType);
    const zone = launched.zone ?? chosen?.zone ?? '';
    return {
      id: launched.instanceId,
      providerID: `aws:///${zone}/${launched.instanceId}`,
      instanceType: launched.instanceType,
      zone,
      capacityType,
      pricePerHour: chosen?.price ?? 0,
      imageID: amiByType.get(launched.instanceType)?.id,
      state: 'pending',
      launchTime: this.clock.now(),
      tags: { ...request.tags, [TAG_NODECLAIM_UID]: uid },
      instanceProfile,
      ...(capacityType === 'reserved' && chosen?.reservation ? { capacityReservationId: chosen.reservation.id, capacityReservationType: chosen.reservation.type } : {}),
    };
  }

  private launchError(err: unknown, claimName: string): Error {
    if (err instanceof Error && (err.name === 'ThrottledError' || err instanceof LaunchFailedError || err instanceof LaunchOutcomeUnknownError)) return err;
    // EC2 may have acted: unknown, never failed (the claim is kept and looked up again).
    if (isTransientError(err)) return new LaunchOutcomeUnknownError('CreateFleet', err);
    const code = awsErrorCode(err) ?? 'Error';
    return new LaunchFailedError(code, `CreateFleet for NodeClaim ${claimName} failed: ${code}: ${errorMessage(err)}`);
  }

  // ---- find, list, terminate --------------------------------------------------------------

  private async describe(filters: Filter[] | undefined, ids?: string[]): Promise<Ec2Instance[]> {
    const out: Ec2Instance[] = [];
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeInstances', () =>
        this.ec2.send(new DescribeInstancesCommand({ ...(ids ? { InstanceIds: ids } : { MaxResults: 1000 }), ...(filters ? { Filters: filters } : {}), NextToken: token })),
      );
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }

  private findByClaimUid(uid: string): Promise<Instance | undefined> {
    return this.byClaimUid.get(uid);
  }

  private async findByClaimUids(uids: string[]): Promise<Map<string, Instance>> {
    const found = await this.describe([
      { Name: `tag:${TAG_NODECLAIM_UID}`, Values: uids },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    // When several instances carry one claim's tag (a launch repeated after an unknown
    // outcome the lookup could not yet see), every reader adopts the same one; GC removes the rest.
    const live = found.filter((i) => i.State?.Name !== 'terminated').map((i) => this.toInstance(i)).sort(adoptionOrder);
    const out = new Map<string, Instance>();
    for (const instance of live) {
      const uid = instance.tags[TAG_NODECLAIM_UID];
      if (uid && !out.has(uid)) out.set(uid, instance);
    }
    return out;
  }

  private async findByIds(ids: string[]): Promise<Map<string, Instance>> {
    // By filter, not InstanceIds: an id EC2 no longer knows must not fail the others' lookup.
    const found = await this.describe([{ Name: 'instance-id', Values: ids }]);
    return new Map(found.filter((i) => i.State?.Name !== 'terminated').map((i) => [i.InstanceId ?? '', this.toInstance(i)]));
  }

  /**
   * The class's AMIs as EC2NodeClass status.amis (Karpenter's shape: per arch and variant the
   * AMI in use, with the requirements it is launched under), for a status writer. Throws
   * NodeClassResolutionError (naming the term) when the class does not resolve.
   */
  async nodeClassAmis(nodeClass: EC2NodeClass): Promise<AmiStatusEntry[]> {
    return amiStatusEntries(await this.discovery.resolveAmis(nodeClass));
  }

  // ---- drift -------------------------------------------------------------------------------

  /**
   * Karpenter's AMI, subnet and security-group drift: the claim's image (status.imageID)
   * is not among the AMIs its class resolves to now (a new AMI behind an alias or an SSM
   * parameter, a changed term), its instance's subnet is not among the subnets the class
   * selects, or its security groups are not exactly the ones the class selects. A class
   * that does not resolve now is not ready: nothing is decided on it (undefined).
   */
  async isDrifted(claim: NodeClaim, nodeClass: EC2NodeClass): Promise<CloudDrift | undefined> {
    const providerID = claim.status?.providerID;
    if (!providerID) return undefined;
    const className = nodeClass.metadata.name ?? '';
    let resolved: [ResolvedAmis, ResolvedSubnet[], string[]];
    try {
      resolved = await Promise.all([this.discovery.resolveAmis(nodeClass), this.discovery.resolveSubnets(nodeClass), this.discovery.resolveSecurityGroups(nodeClass)]);
    } catch (err) {
      if (err instanceof NodeClassResolutionError) return undefined;
      throw err;
    }
    const [amis, subnets, securityGroups] = resolved;
    const instance = await this.byInstanceId.get(instanceIdOf(providerID));
    const imageID = claim.status?.imageID || instance?.imageID;
    return resolvedValuesDrift({ imageID, subnetId: instance?.subnetId, securityGroupIds: instance?.securityGroupIds }, { amis, subnets, securityGroups }, className);
  }

  async get(providerID: string): Promise<Instance> {
    const id = instanceIdOf(providerID);
    let found: Ec2Instance[];
    try {
      found = await this.describe(undefined, [id]);
    } catch (err) {
      if (isInstanceNotFound(err)) throw new InstanceNotFoundError(providerID);
      throw err;
    }
    const instance = found.find((i) => i.InstanceId === id);
    if (!instance || instance.State?.Name === 'terminated') throw new InstanceNotFoundError(providerID);
    return this.toInstance(instance);
  }

  async list(): Promise<readonly Instance[]> {
    const found = await this.describe([
      { Name: `tag:${clusterTagKey(this.config.clusterName)}`, Values: [CLUSTER_TAG_VALUE] },
      { Name: 'tag-key', Values: [TAG_NODEPOOL] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    // The filter again, here: an endpoint that ignored a filter must not hand us another group's instances.
    return found
      .filter((i) => i.State?.Name !== 'terminated')
      .map((i) => this.toInstance(i))
      .filter((i) => isOwnedInstance(i.tags, this.config.clusterName));
  }

  listLaunchTemplates(): Promise<readonly LaunchTemplate[]> {
    return this.launchTemplates.list();
  }

  deleteLaunchTemplate(name: string): Promise<void> {
    return this.launchTemplates.delete(name);
  }

  // ---- EC2NodeClass status and instance profiles -------------------------------------------

  async resolveNodeClass(nodeClass: EC2NodeClass): Promise<NodeClassResolution> {
    // A part that does not resolve says why; anything else (throttled, unreachable) is thrown, so no status turns False on it.
    const settle = <T, U>(p: Promise<T>, map: (v: T) => U): Promise<Resolved<U>> =>
      p.then(
        (v) => ({ ok: true as const, value: map(v) }),
        (err: unknown) => {
          if (err instanceof LaunchFailedError) return { ok: false as const, message: err.message };
          throw err;
        },
      );
    const [subnets, securityGroups, amis, instanceProfile, capacityReservations] = await Promise.all([
      settle(this.discovery.resolveSubnets(nodeClass), (list) => list.map((s) => ({ id: s.id, zone: s.zone, ...(s.zoneId ? { zoneID: s.zoneId } : {}) }))),
      settle(this.discovery.resolveSecurityGroups(nodeClass), (ids) => ids.map((id) => ({ id }))),
      settle(this.discovery.resolveAmis(nodeClass), (r) => r.amis.map((a) => ({ id: a.id, name: a.name, arch: a.arch }))),
      settle(this.instanceProfiles.resolve(nodeClass), (name) => name),
      (nodeClass.spec?.capacityReservationSelectorTerms?.length ?? 0) > 0 ? settle(this.reservations.resolve(nodeClass), reservationStatusEntries) : undefined,
    ]);
    return { subnets, securityGroups, amis, instanceProfile, ...(capacityReservations ? { capacityReservations } : {}) };
  }

  listInstanceProfiles(): Promise<readonly InstanceProfile[]> {
    return this.instanceProfiles.list();
  }

  deleteInstanceProfile(name: string): Promise<void> {
    return this.instanceProfiles.delete(name);
  }

  async delete(providerID: string): Promise<void> {
    const id = instanceIdOf(providerID);
    try {
      const out = await this.calls.run('TerminateInstances', () => this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
      const previous = out.TerminatingInstances?.find((i) => i.InstanceId === id)?.PreviousState?.Name;
      if (previous === 'terminated') throw new InstanceNotFoundError(providerID);
    } catch (err) {
      if (isInstanceNotFound(err)) throw new InstanceNotFoundError(providerID);
      throw err;
    }
  }

  private price(instanceType: string, zone: string, capacityType: CapacityType): number {
    const onDemand = this.onDemand.cached().get(instanceType);
    if (capacityType === 'reserved') return (onDemand ?? 0) / RESERVED_PRICE_DIVISOR;
    if (capacityType !== 'spot') return onDemand ?? 0;
    if (typeof this.spotPricing === 'object') return onDemand !== undefined ? Math.round(onDemand * this.spotPricing.fractionOfOnDemand * 1e5) / 1e5 : 0;
    return this.spot.cached().get(SpotPrices.key(instanceType, zone)) ?? onDemand ?? 0;
  }

  private toInstance(i: Ec2Instance): Instance {
    const id = i.InstanceId ?? '';
    const zone = i.Placement?.AvailabilityZone ?? '';
    // Karpenter's rule: in a reservation only when launched capacity-reservations-only into it (not into an open one by chance).
    const reservationId = i.CapacityReservationSpecification?.CapacityReservationPreference === 'capacity-reservations-only' ? i.CapacityReservationId : undefined;
    const capacityType: CapacityType = i.InstanceLifecycle === 'spot' ? 'spot' : reservationId ? 'reserved' : 'on-demand';
    const type = String(i.InstanceType ?? '');
    return {
      id,
      providerID: `aws:///${zone}/${id}`,
      instanceType: type,
      zone,
      capacityType,
      pricePerHour: this.price(type, zone, capacityType),
      ...(i.ImageId ? { imageID: i.ImageId } : {}),
      ...(i.SubnetId ? { subnetId: i.SubnetId } : {}),
      ...(i.SecurityGroups ? { securityGroupIds: i.SecurityGroups.map((g) => g.GroupId ?? '').filter((g) => g !== '') } : {}),
      state: portState(i.State?.Name),
      launchTime: i.LaunchTime?.getTime() ?? 0,
      tags: tagMap(i),
      ...(i.IamInstanceProfile?.Arn ? { instanceProfile: i.IamInstanceProfile.Arn.slice(i.IamInstanceProfile.Arn.lastIndexOf('/') + 1) } : {}),
      ...(reservationId ? { capacityReservationId: reservationId, capacityReservationType: String(i.InstanceLifecycle) === 'capacity-block' ? ('capacity-block' as const) : ('default' as const) } : {}),
    };
  }
}

/**
 * The claim's labels the kubelet registers with. The policy commit is left to the
 * lifecycle controller (it copies every claim label onto the Node at registration):
 * in user data it would make a new launch template for every commit.
 */
export function registrationLabelsOf(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const { [LABEL_POLICY_COMMIT]: _commit, ...rest } = labels ?? {};
  return rest;
}

/** What the kubelet registers with: the claim's taints, its startup taints, and karpenter.sh/unregistered. */
export function registrationTaints(taints: readonly NodeClaimTaint[] | undefined, startupTaints: readonly NodeClaimTaint[] | undefined): NodeClaimTaint[] {
  const out: NodeClaimTaint[] = [];
  for (const t of [...(taints ?? []), ...(startupTaints ?? []), TAINT_UNREGISTERED]) {
    if (!out.some((o) => o.key === t.key && o.effect === t.effect)) out.push({ key: t.key, effect: t.effect, ...(t.value ? { value: t.value } : {}) });
  }
  return out;
}
