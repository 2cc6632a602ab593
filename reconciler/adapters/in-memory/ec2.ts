// The simulator's EC2: the shipped us-east-1 catalog with a seeded spot-price model,
// idempotent launches keyed by client token, optional capacity shortages, and instances
// that take a while to shut down. It implements the CloudProvider port only; booting a
// launched instance into a Node is the simulated kubelet's job (kubelet.ts).

import type { EC2NodeClass } from '../../../core/api/karpenter.ts';
import { buildInstanceTypes, type InstanceType } from '../../../core/catalog/instance-types.ts';
import type { RawCatalog, RawInstanceType } from '../../../core/catalog/raw-catalog.ts';
import { CAPACITY_BLOCK_EXPIRING_MS, withReservedOfferings, type ReservedCapacity } from '../../../core/catalog/reservations.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  InsufficientCapacityError,
  InstanceNotFoundError,
  LaunchFailedError,
  type CloudProvider,
  type Instance,
  type LaunchRequest,
  type LaunchTemplate,
  type OfferingKey,
  type InstanceProfile,
  type NodeClassResolution,
} from '../../ports/cloud.ts';
import { canonicalJson, fnv1a64 } from '../../../core/canonical.ts';
import { keyedUniform, mulberry32 } from './random.ts';
import {
  CLUSTER_TAG_VALUE,
  TAG_LAUNCH_TEMPLATE,
  TAG_NODECLAIM,
  TAG_NODECLASS,
  TAG_NODEPOOL,
  clusterTagKey,
  instanceProfileName,
  isOwnedInstance,
  isOwnedLaunchTemplate,
  launchTemplateName,
  type CapacityType,
} from '../../../core/contract/index.ts';

/**
 * The simulator's spot-price model, stated so results can be reproduced: the spot price
 * of a type in a zone is its on-demand price times a discount drawn once per
 * (family, zone) from a seeded uniform distribution on [minDiscount, maxDiscount)
 * (default 0.30 to 0.65 of on-demand, the usual band of us-east-1 spot markets), fixed
 * for the whole run. Types not sold as spot have no spot offering.
 */
export interface SpotPriceModelOptions {
  readonly seed: number;
  readonly minFraction?: number;
  readonly maxFraction?: number;
}

function seededSpotPrice(options: SpotPriceModelOptions): (type: RawInstanceType, zone: string) => number | undefined {
  const lo = options.minFraction ?? 0.3;
  const hi = options.maxFraction ?? 0.65;
  return (type, zone) => {
    if (!type.usageClasses.includes('spot') || type.onDemandPricePerHour == null) return undefined;
    const family = type.name.split('.')[0]!;
    const f = lo + (hi - lo) * keyedUniform(options.seed, `${family}/${zone}`);
    return Math.round(type.onDemandPricePerHour * f * 1e5) / 1e5;
  };
}

/** A window in which some offerings have no capacity (InsufficientInstanceCapacity). */
export interface CapacityShortage {
  readonly fromMs: number;
  readonly untilMs: number;
  /** Instance type names or family prefixes ending in "." ("p3.", "m5.large"); empty = all. */
  readonly instanceTypes?: readonly string[];
  readonly zones?: readonly string[];
  readonly capacityTypes?: readonly CapacityType[];
}

export interface SimEc2Options {
  readonly clock: Clock;
  readonly catalog: RawCatalog;
  readonly clusterName: string;
  readonly seed: number;
  readonly zones?: readonly string[];
  readonly spotPrice?: SpotPriceModelOptions;
  readonly shortages?: readonly CapacityShortage[];
  /** Seconds from TerminateInstances to the instance being gone. */
  readonly shutdownSeconds?: number;
  /** Instance types offered at all (default: the whole catalog). */
  readonly instanceTypeFilter?: (raw: RawInstanceType) => boolean;
  /** IAM roles that exist (spec.role); default: every role a class names exists. */
  readonly roles?: readonly string[];
  /** Capacity reservations of the account (on-demand capacity reservations and capacity blocks). */
  readonly reservations?: readonly SimReservation[];
}

/**
 * A capacity reservation of the simulated account: `count` instances of one type in one
 * zone, from its start to its end (none: open-ended). An EC2NodeClass selects it by id or
 * by tags (capacityReservationSelectorTerms, "*" matching any value), as EC2's filters do.
 */
export interface SimReservation {
  readonly id: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly count: number;
  readonly type?: 'default' | 'capacity-block';
  readonly tags?: Readonly<Record<string, string>>;
  /** ms since the epoch; the reservation is gone from then on (its instances keep running, as EC2's default). */
  readonly endMs?: number;
}

export interface InMemoryInstanceRecord {
  instance: Instance;
  terminatedAt: number | undefined;
  /** What the launch asked the node to register with (user data): labels and taints. */
  userData: { labels: Record<string, string>; taints: NonNullable<LaunchRequest['nodeClaim']['spec']['taints']>; startupTaints: NonNullable<LaunchRequest['nodeClaim']['spec']['startupTaints']> };
  nodeClaimName: string;
}

export type InstanceListener = (event: 'launched' | 'shutting-down' | 'terminated', record: InMemoryInstanceRecord) => void;

export class InMemoryEc2 implements CloudProvider {
  readonly zones: readonly string[];
  private readonly instanceTypes: InstanceType[];
  private readonly byToken = new Map<string, InMemoryInstanceRecord>();
  private readonly byId = new Map<string, InMemoryInstanceRecord>();
  private readonly listeners = new Set<InstanceListener>();
  private readonly nextRandom: () => number;
  private shortages: CapacityShortage[];
  private seq = 0;
  private templateSeq = 0;
  /** Launch templates by name: one per EC2NodeClass spec and NodePool, as the AWS adapter's. */
  private readonly templates = new Map<string, { template: LaunchTemplate; usedAt: number }>();
  /** Instance profiles created for EC2NodeClass roles, by name (as the AWS adapter's). */
  private readonly profiles = new Map<string, InstanceProfile>();
  /** Calls made, for tests and the report. */
  readonly calls = { create: 0, delete: 0, get: 0, list: 0, getInstanceTypes: 0 };

  constructor(private readonly options: SimEc2Options) {
    this.zones = options.zones ?? ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const raw = options.instanceTypeFilter
      ? { ...options.catalog, instanceTypes: options.catalog.instanceTypes.filter(options.instanceTypeFilter) }
      : options.catalog;
    this.instanceTypes = buildInstanceTypes(raw, {
      zones: [...this.zones],
      spotPrice: seededSpotPrice(options.spotPrice ?? { seed: options.seed }),
    });
    this.nextRandom = mulberry32(options.seed ^ 0x5eed);
    for (const r of options.reservations ?? []) {
      if (!this.instanceTypes.some((t) => t.name === r.instanceType && t.offerings.some((o) => o.zone === r.zone))) {
        throw new Error(`capacity reservation ${r.id}: ${r.instanceType} is not offered in ${r.zone} in the simulated catalog`);
      }
    }
    this.shortages = [...(options.shortages ?? [])];
  }

  onInstance(listener: InstanceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addShortage(s: CapacityShortage): void {
    this.shortages.push(s);
  }

  /** Every instance ever launched, terminated ones included (for billing). */
  allInstances(): readonly InMemoryInstanceRecord[] {
    return [...this.byId.values()];
  }

  /** The full catalog (all offerings available), for computing bounds. */
  catalog(): readonly InstanceType[] {
    return this.instanceTypes;
  }

  async getInstanceTypes(nodeClass: EC2NodeClass): Promise<readonly InstanceType[]> {
    this.calls.getInstanceTypes += 1;
    // As the AWS adapter: a class whose nodes would have no identity offers nothing to launch.
    const profile = this.instanceProfileOf(nodeClass);
    if (!profile.ok) throw new LaunchFailedError('NodeClassNotReady', profile.message);
    const reservations = this.reservationsOf(nodeClass);
    if (reservations.length === 0) return this.instanceTypes;
    return withReservedOfferings(this.instanceTypes, reservations, (id) => this.reservationFree(id) ?? 0, (type) => this.onDemandPrice(type));
  }

  /** The active reservations the class's capacityReservationSelectorTerms select, as the AWS adapter resolves them. */
  private reservationsOf(nodeClass: EC2NodeClass): (ReservedCapacity & { endMs?: number })[] {
    const terms = nodeClass.spec?.capacityReservationSelectorTerms ?? [];
    if (terms.length === 0) return [];
    const now = this.options.clock.now();
    const out: (ReservedCapacity & { endMs?: number })[] = [];
    for (const r of this.options.reservations ?? []) {
      if (r.endMs !== undefined && r.endMs <= now) continue;
      const selected = terms.some(
        (t) => t.id === r.id || (!t.id && Object.keys(t.tags ?? {}).length > 0 && Object.entries(t.tags ?? {}).every(([k, v]) => r.tags?.[k] !== undefined && (v === '*' || r.tags[k] === v))),
      );
      if (!selected) continue;
      const type = r.type ?? 'default';
      const expiring = type === 'capacity-block' && r.endMs !== undefined && r.endMs - now <= CAPACITY_BLOCK_EXPIRING_MS;
      out.push({ id: r.id, instanceType: r.instanceType, zone: r.zone, reservationType: type, state: expiring ? 'expiring' : 'active', ...(r.endMs !== undefined ? { endMs: r.endMs } : {}) });
    }
    return out;
  }

  /** Free slots of a reservation: its count minus the instances running in it; undefined when unknown or ended. */
  reservationFree(id: string): number | undefined {
    const r = this.options.reservations?.find((x) => x.id === id);
    if (!r || (r.endMs !== undefined && r.endMs <= this.options.clock.now())) return undefined;
    let used = 0;
    for (const rec of this.byId.values()) if (rec.instance.capacityReservationId === id && rec.instance.state !== 'terminated') used += 1;
    return Math.max(0, r.count - used);
  }

  private onDemandPrice(type: string): number | undefined {
    return this.instanceTypes.find((t) => t.name === type)?.offerings.find((o) => o.capacityType === 'on-demand')?.price;
  }

  async create(request: LaunchRequest): Promise<Instance> {
    this.calls.create += 1;
    const claim = request.nodeClaim;
    const token = claim.metadata.uid;
    if (!token) throw new LaunchFailedError('InvalidRequest', `NodeClaim ${claim.metadata.name} has no uid to use as client token`);
    const existing = this.byToken.get(token);
    if (existing) return existing.instance; // EC2 client-token idempotency

    const now = this.options.clock.now();
    // Karpenter's rule: spot when the claim allows it and a spot offering is available.
    const candidates: { type: InstanceType; offering: InstanceType['offerings'][number] }[] = [];
    for (const type of request.instanceTypes) {
      for (const offering of type.offerings) if (offering.available) candidates.push({ type, offering });
    }
    if (candidates.length === 0) {
      throw new LaunchFailedError('NoCompatibleOfferings', `NodeClaim ${claim.metadata.name} allows no available offering`);
    }
    // Reserved first (already paid for) while the reservation has room now, then as before.
    const live = new Set(this.reservationsOf(request.nodeClass).filter((r) => r.state === 'active').map((r) => r.id));
    const reserved = candidates.filter((c) => c.offering.capacityType === 'reserved' && c.offering.reservation && live.has(c.offering.reservation.id) && (this.reservationFree(c.offering.reservation.id) ?? 0) > 0);
    const unreserved = candidates.filter((c) => c.offering.capacityType !== 'reserved');
    if (reserved.length === 0 && unreserved.length === 0) {
      throw new LaunchFailedError('ReservationCapacityExceeded', `NodeClaim ${claim.metadata.name} allows only reserved offerings, and their reservations are full or gone`);
    }
    const hasSpot = unreserved.some((c) => c.offering.capacityType === 'spot');
    const pool = (reserved.length > 0 ? reserved : unreserved)
      .filter((c) => c.offering.capacityType === (reserved.length > 0 ? 'reserved' : hasSpot ? 'spot' : c.offering.capacityType))
      .sort((a, b) => a.offering.price - b.offering.price || (a.type.name < b.type.name ? -1 : 1));
    const short: OfferingKey[] = [];
    let chosen: (typeof pool)[number] | undefined;
    for (const c of pool) {
      const key: OfferingKey = { instanceType: c.type.name, zone: c.offering.zone, capacityType: c.offering.capacityType };
      if (this.isShort(key, now)) {
        short.push(key);
        continue;
      }
      chosen = c;
      break;
    }
    if (!chosen) throw new InsufficientCapacityError(short);

    const profile = this.instanceProfileOf(request.nodeClass);
    if (!profile.ok) throw new LaunchFailedError('NodeClassNotReady', profile.message);
    const template = this.ensureTemplate(request, now);
    this.seq += 1;
    const id = `i-${(this.seq.toString(16) + Math.floor(this.nextRandom() * 0xffffffff).toString(16)).padStart(17, '0').slice(-17)}`;
    const zone = chosen.offering.zone;
    const instance: Instance = {
      id,
      providerID: `aws:///${zone}/${id}`,
      instanceType: chosen.type.name,
      zone,
      capacityType: chosen.offering.capacityType,
      pricePerHour: chosen.offering.price,
      imageID: 'ami-sim0al2023',
      state: 'pending',
      launchTime: now,
      tags: { ...request.tags, [TAG_LAUNCH_TEMPLATE]: template.name },
      instanceProfile: profile.value,
      ...(chosen.offering.reservation ? { capacityReservationId: chosen.offering.reservation.id, capacityReservationType: chosen.offering.reservation.type } : {}),
    };
    const record: InMemoryInstanceRecord = {
      instance,
      terminatedAt: undefined,
      nodeClaimName: claim.metadata.name ?? '',
      userData: {
        labels: { ...(claim.metadata.labels ?? {}), ...chosen.type.labels },
        taints: [...(claim.spec.taints ?? [])],
        startupTaints: [...(claim.spec.startupTaints ?? [])],
      },
    };
    this.byToken.set(token, record);
    this.byId.set(id, record);
    for (const l of this.listeners) l('launched', record);
    return short.length > 0 ? { ...instance, insufficientCapacity: short } : instance;
  }

  async delete(providerID: string): Promise<void> {
    this.calls.delete += 1;
    const record = this.byProviderID(providerID);
    if (!record || record.instance.state === 'terminated') throw new InstanceNotFoundError(providerID);
    this.shutDown(record);
  }

  /**
   * EC2 takes a spot instance back (the end of a spot interruption's two-minute notice):
   * it shuts down and terminates as if TerminateInstances had been called, whoever holds it.
   * Returns false when the instance is already gone or going.
   */
  reclaim(instanceId: string): boolean {
    const record = this.byId.get(instanceId);
    if (!record || record.instance.state === 'terminated' || record.instance.state === 'shutting-down') return false;
    this.shutDown(record);
    return true;
  }

  /** The instance with this id, terminated ones included. */
  record(instanceId: string): InMemoryInstanceRecord | undefined {
    return this.byId.get(instanceId);
  }

  private shutDown(record: InMemoryInstanceRecord): void {
    if (record.instance.state === 'shutting-down') return;
    this.setState(record, 'shutting-down');
    for (const l of this.listeners) l('shutting-down', record);
    this.options.clock.setTimer((this.options.shutdownSeconds ?? 30) * 1000, () => {
      record.terminatedAt = this.options.clock.now();
      this.setState(record, 'terminated');
      for (const l of this.listeners) l('terminated', record);
    });
  }

  async get(providerID: string): Promise<Instance> {
    this.calls.get += 1;
    const record = this.byProviderID(providerID);
    if (!record || record.instance.state === 'terminated') throw new InstanceNotFoundError(providerID);
    return record.instance;
  }

  async list(): Promise<readonly Instance[]> {
    this.calls.list += 1;
    const out: Instance[] = [];
    for (const r of this.byId.values()) {
      if (r.instance.state !== 'terminated' && isOwnedInstance(r.instance.tags, this.options.clusterName)) out.push(r.instance);
    }
    return out;
  }

  /** The class's instance profile: spec.instanceProfile as given, else one created for an existing spec.role. */
  private instanceProfileOf(nodeClass: EC2NodeClass): NodeClassResolution['instanceProfile'] {
    const name = nodeClass.metadata.name ?? '';
    if (nodeClass.spec?.instanceProfile) return { ok: true, value: nodeClass.spec.instanceProfile };
    const role = nodeClass.spec?.role;
    if (!role) return { ok: false, message: `EC2NodeClass ${name}: spec.role is not set and neither is spec.instanceProfile` };
    if (this.options.roles && !this.options.roles.includes(role)) return { ok: false, message: `EC2NodeClass ${name}: spec.role names the IAM role "${role}", which does not exist` };
    const profile = instanceProfileName(this.options.clusterName, 'us-east-1', name);
    if (!this.profiles.has(profile)) this.profiles.set(profile, { name: profile, nodeClass: name, role, createdAt: this.options.clock.now() });
    return { ok: true, value: profile };
  }

  async resolveNodeClass(nodeClass: EC2NodeClass): Promise<NodeClassResolution> {
    return {
      subnets: { ok: true, value: this.zones.map((zone) => ({ id: `subnet-sim-${zone}`, zone })) },
      securityGroups: { ok: true, value: [{ id: 'sg-sim0nodes' }] },
      amis: { ok: true, value: [{ id: 'ami-sim0al2023', name: 'simulated al2023', arch: 'amd64' }, { id: 'ami-sim0al2023', name: 'simulated al2023', arch: 'arm64' }] },
      instanceProfile: this.instanceProfileOf(nodeClass),
      ...((nodeClass.spec?.capacityReservationSelectorTerms ?? []).length > 0
        ? {
            capacityReservations: {
              ok: true as const,
              value: this.reservationsOf(nodeClass).map((r) => ({
                id: r.id,
                instanceType: r.instanceType,
                availabilityZone: r.zone,
                ownerID: '000000000000',
                instanceMatchCriteria: 'targeted' as const,
                reservationType: r.reservationType,
                state: r.state,
                ...(r.endMs !== undefined ? { endTime: new Date(r.endMs).toISOString() } : {}),
              })),
            },
          }
        : {}),
    };
  }

  async listInstanceProfiles(): Promise<readonly InstanceProfile[]> {
    return [...this.profiles.values()];
  }

  async deleteInstanceProfile(name: string): Promise<void> {
    this.profiles.delete(name);
  }

  async listLaunchTemplates(): Promise<readonly LaunchTemplate[]> {
    return this.allLaunchTemplates().filter((t) => isOwnedLaunchTemplate(t.name, t.tags, this.options.clusterName));
  }

  /** Every launch template, joinery's or not (for tests). */
  allLaunchTemplates(): LaunchTemplate[] {
    return [...this.templates.values()].map((t) => ({ ...t.template, lastUsedAt: t.usedAt }));
  }

  async deleteLaunchTemplate(name: string): Promise<void> {
    this.templates.delete(name);
  }

  /** A launch template created outside the reconciler (for GC tests). */
  addLaunchTemplate(name: string, tags: Record<string, string>): LaunchTemplate {
    const now = this.options.clock.now();
    this.templateSeq += 1;
    const template: LaunchTemplate = { name, id: `lt-${this.templateSeq.toString(16).padStart(17, '0')}`, createdAt: now, lastUsedAt: now, tags: { ...tags } };
    this.templates.set(name, { template, usedAt: now });
    return template;
  }

  private ensureTemplate(request: LaunchRequest, now: number): LaunchTemplate {
    const pool = request.tags[TAG_NODEPOOL] ?? '';
    const className = request.nodeClass.metadata.name ?? '';
    const name = launchTemplateName(this.options.clusterName, fnv1a64(canonicalJson({ className, spec: request.nodeClass.spec ?? {}, pool })));
    let t = this.templates.get(name);
    if (!t) {
      this.templateSeq += 1;
      const tags = { [clusterTagKey(this.options.clusterName)]: CLUSTER_TAG_VALUE, [TAG_NODECLASS]: className, [TAG_NODEPOOL]: pool };
      t = { template: { name, id: `lt-${this.templateSeq.toString(16).padStart(17, '0')}`, createdAt: now, lastUsedAt: now, tags }, usedAt: now };
      this.templates.set(name, t);
    }
    t.usedAt = now;
    return t.template;
  }

  /** An instance launched before the simulation started (for a scenario's initial fleet). */
  restore(args: { clientToken: string; nodeClaimName: string; instanceType: string; zone: string; capacityType: CapacityType; launchTime: number; tags: Record<string, string>; userData: InMemoryInstanceRecord['userData'] }): InMemoryInstanceRecord {
    const type = this.instanceTypes.find((t) => t.name === args.instanceType);
    const offering = type?.offerings.find((o) => o.zone === args.zone && o.capacityType === args.capacityType);
    if (!type || !offering) throw new Error(`${args.instanceType} is not offered as ${args.capacityType} in ${args.zone} in the simulated catalog`);
    this.seq += 1;
    const id = `i-${(this.seq.toString(16) + Math.floor(this.nextRandom() * 0xffffffff).toString(16)).padStart(17, '0').slice(-17)}`;
    const record: InMemoryInstanceRecord = {
      instance: {
        id,
        providerID: `aws:///${args.zone}/${id}`,
        instanceType: args.instanceType,
        zone: args.zone,
        capacityType: args.capacityType,
        pricePerHour: offering.price,
        imageID: 'ami-sim0al2023',
        state: 'running',
        launchTime: args.launchTime,
        tags: { ...args.tags },
      },
      terminatedAt: undefined,
      nodeClaimName: args.nodeClaimName,
      userData: args.userData,
    };
    this.byToken.set(args.clientToken, record);
    this.byId.set(id, record);
    return record;
  }

  /** Starts an instance outside the reconciler (an orphan for GC tests). */
  launchUntracked(type: string, zone: string, tags: Record<string, string>): Instance {
    const it = this.instanceTypes.find((t) => t.name === type);
    if (!it) throw new Error(`unknown instance type ${type}`);
    this.seq += 1;
    const id = `i-orphan${this.seq.toString(16).padStart(9, '0')}`;
    const offering = it.offerings.find((o) => o.zone === zone && o.capacityType === 'on-demand') ?? it.offerings[0]!;
    const instance: Instance = {
      id,
      providerID: `aws:///${zone}/${id}`,
      instanceType: type,
      zone,
      capacityType: offering.capacityType,
      pricePerHour: offering.price,
      state: 'running',
      launchTime: this.options.clock.now(),
      tags: { [clusterTagKey(this.options.clusterName)]: CLUSTER_TAG_VALUE, ...tags },
    };
    const record: InMemoryInstanceRecord = { instance, terminatedAt: undefined, nodeClaimName: tags[TAG_NODECLAIM] ?? '', userData: { labels: {}, taints: [], startupTaints: [] } };
    this.byId.set(id, record);
    return instance;
  }

  private byProviderID(providerID: string): InMemoryInstanceRecord | undefined {
    const id = providerID.slice(providerID.lastIndexOf('/') + 1);
    return this.byId.get(id);
  }

  private setState(record: InMemoryInstanceRecord, state: Instance['state']): void {
    record.instance = { ...record.instance, state };
  }

  /** Marks an instance running (the simulated kubelet calls this when it boots). */
  markRunning(id: string): void {
    const r = this.byId.get(id);
    if (r && r.instance.state === 'pending') this.setState(r, 'running');
  }

  private isShort(key: OfferingKey, now: number): boolean {
    return this.shortages.some(
      (s) =>
        now >= s.fromMs &&
        now < s.untilMs &&
        (!s.zones || s.zones.length === 0 || s.zones.includes(key.zone)) &&
        (!s.capacityTypes || s.capacityTypes.length === 0 || s.capacityTypes.includes(key.capacityType)) &&
        (!s.instanceTypes ||
          s.instanceTypes.length === 0 ||
          s.instanceTypes.some((p) => (p.endsWith('.') ? key.instanceType.startsWith(p) : key.instanceType === p))),
    );
  }
}
