// The CloudProvider port, modelled on Karpenter's: the instance catalog of an
// EC2NodeClass, and launching, finding and terminating the instance behind a NodeClaim.
//
// Adapters: @aws-sdk/client-ec2 (DescribeInstanceTypes/Offerings/SpotPriceHistory,
// CreateFleet type instant, TerminateInstances, DescribeInstances by tag) and the
// simulator. Every instance carries tags naming the cluster, NodePool, NodeClaim and the
// policy commit, so a restarted reconciler (and garbage collection) can find it; only
// instances and launch templates carrying those tags are ever listed or deleted.

import type { EC2NodeClass, EC2NodeClassStatus, NodeClaim } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { CapacityType } from '../../core/contract/labels.ts';

export interface OfferingKey {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
}

export interface LaunchRequest {
  /** The durable record of this launch. Its UID is the idempotency (client) token. */
  readonly nodeClaim: NodeClaim;
  readonly nodeClass: EC2NodeClass;
  /**
   * The instance types the claim allows, cheapest first, each with only the offerings
   * its requirements allow (zone, capacity type) and currently believed available.
   */
  readonly instanceTypes: readonly InstanceType[];
  /**
   * The offering prices are NodeOverlay prices, not EC2's: EC2 is to take the offerings in
   * the order of these prices (CreateFleet's prioritized strategies), as Karpenter does.
   */
  readonly prioritized?: boolean;
  /** Tags for the instance (cluster, nodepool, nodeclaim, policy commit, class tags). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * No launch of this claim was ever attempted (this process created it and tries it for
   * the first time), so no instance can carry its tag: the adapter may skip looking one up.
   */
  readonly firstAttempt?: boolean;
}

export interface Instance {
  readonly id: string;
  /** aws:///<zone>/<instance-id>, as the kubelet reports it on the Node. */
  readonly providerID: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** USD per hour at launch. */
  readonly pricePerHour: number;
  readonly imageID?: string;
  /** The subnet and security groups it runs in, when the provider knows them (drift of resolved values). */
  readonly subnetId?: string;
  readonly securityGroupIds?: readonly string[];
  readonly state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  readonly launchTime: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The name of the instance profile the instance runs with (its IAM identity), when EC2 reports one. */
  readonly instanceProfile?: string;
  /**
   * Offerings the launch tried first and found out of capacity before it succeeded on
   * this one (CreateFleet reports them as errors beside the instance). Only on the
   * result of create(); they are avoided for a while like a failed launch's.
   */
  readonly insufficientCapacity?: readonly OfferingKey[];
  /** The capacity reservation it runs in (capacityType 'reserved'), and its kind. */
  readonly capacityReservationId?: string;
  readonly capacityReservationType?: 'default' | 'capacity-block';
}

/** A launch template joinery created for this cluster. */
export interface LaunchTemplate {
  readonly name: string;
  readonly id: string;
  readonly createdAt: number;
  /**
   * The last time this process launched with it, or first saw it after starting (as
   * Karpenter hydrates its cache of templates), or its creation, whichever is latest.
   */
  readonly lastUsedAt: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** An instance profile joinery created for an EC2NodeClass's role (isOwnedInstanceProfile), no other. */
export interface InstanceProfile {
  readonly name: string;
  /** The EC2NodeClass it was created for (its karpenter.k8s.aws/ec2nodeclass tag). */
  readonly nodeClass: string;
  readonly role: string | undefined;
  readonly createdAt: number;
}

/** One part of an EC2NodeClass as EC2 and IAM resolve it: its values, or why it does not resolve. */
export type Resolved<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * An EC2NodeClass as the cloud resolves it, part by part (Karpenter's EC2NodeClass status):
 * what its subnet, security group and AMI selector terms match, and the instance profile
 * its nodes get (spec.instanceProfile as given, or the one created for spec.role).
 */
export interface NodeClassResolution {
  readonly subnets: Resolved<readonly { readonly id: string; readonly zone: string; readonly zoneID?: string }[]>;
  readonly securityGroups: Resolved<readonly { readonly id: string; readonly name?: string }[]>;
  readonly amis: Resolved<readonly { readonly id: string; readonly name?: string; readonly arch: string }[]>;
  readonly instanceProfile: Resolved<string>;
  /**
   * The active capacity reservations spec.capacityReservationSelectorTerms select (status.
   * capacityReservations); absent on providers that know no reservations (the simulator).
   */
  readonly capacityReservations?: Resolved<NonNullable<EC2NodeClassStatus['capacityReservations']>>;
}

/** Every offering tried was out of capacity; each should be avoided for a while. */
export class InsufficientCapacityError extends Error {
  constructor(readonly offerings: readonly OfferingKey[]) {
    super(
      `insufficient capacity for ${offerings.length} offering(s): ${offerings
        .slice(0, 5)
        .map((o) => `${o.instanceType}/${o.zone}/${o.capacityType}`)
        .join(', ')}${offerings.length > 5 ? ', ...' : ''}`,
    );
    this.name = 'InsufficientCapacityError';
  }
}

/** The launch failed for a reason retrying with the same request will not fix. */
export class LaunchFailedError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'LaunchFailedError';
  }
}

/**
 * A mutating call (a launch) ended without a definite answer: a 5xx, a timeout, a reset
 * connection. EC2 may or may not have acted. Never a failure: the claim is kept and the
 * launch tried again later, after looking the instance up by the claim's tag.
 */
export class LaunchOutcomeUnknownError extends Error {
  constructor(
    readonly operation: string,
    readonly error: unknown,
  ) {
    super(`${operation}: outcome unknown (${error instanceof Error ? error.message : String(error)}); the instance may exist, looked up by its claim's tag before trying again`);
    this.name = 'LaunchOutcomeUnknownError';
  }
}

/** The API throttled the call; retry after backing off (with jitter). */
export class ThrottledError extends Error {
  constructor(
    readonly operation: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${operation} was throttled`);
    this.name = 'ThrottledError';
  }
}

/** The instance does not exist (never launched, or terminated and gone). */
export class InstanceNotFoundError extends Error {
  constructor(readonly providerID: string) {
    super(`instance ${providerID} not found`);
    this.name = 'InstanceNotFoundError';
  }
}

/**
 * A NodeClaim whose launch values no longer match what its EC2NodeClass resolves to now
 * (Karpenter's cloud provider drift): a new AMI behind an alias or SSM parameter, a subnet
 * or security groups the selector terms no longer select.
 */
export interface CloudDrift {
  readonly reason: 'AMIDrift' | 'SubnetDrift' | 'SecurityGroupDrift' | 'CapacityReservationDrift';
  readonly detail: string;
}

export interface CloudProvider {
  /** The instance types and offerings (zone x capacity type x price) the class can launch. */
  getInstanceTypes(nodeClass: EC2NodeClass): Promise<readonly InstanceType[]>;
  /**
   * Launches one instance for the claim, choosing among `request.instanceTypes`
   * (lowest price for on-demand, price-capacity-optimised for spot). Idempotent per
   * NodeClaim UID: a retry after a crash or an unknown outcome returns the instance
   * launched the first time (when several carry the claim's tag, the one `adoptionOrder`
   * puts first). Throws InsufficientCapacityError, LaunchFailedError, ThrottledError or
   * LaunchOutcomeUnknownError.
   */
  create(request: LaunchRequest): Promise<Instance>;
  /** Starts terminating; throws InstanceNotFoundError when it is already gone. */
  delete(providerID: string): Promise<void>;
  /** Throws InstanceNotFoundError when there is no such instance or it is terminated. */
  get(providerID: string): Promise<Instance>;
  /**
   * joinery's instances of this cluster that are not terminated: tagged with the cluster
   * tag `owned` and a NodePool (isOwnedInstance), never another node group's.
   */
  list(): Promise<readonly Instance[]>;
  /**
   * Whether the claim's instance was launched with values its class no longer resolves
   * to (Karpenter's IsDrifted for AMIs, subnets and security groups); undefined when it
   * was not, or when the class cannot be resolved now (it is not ready: no drift is
   * decided on it). Absent on providers that resolve no selector terms (the simulator).
   */
  isDrifted?(nodeClaim: NodeClaim, nodeClass: EC2NodeClass): Promise<CloudDrift | undefined>;
  /**
   * The launches a capacity reservation still takes as far as the provider knows (EC2's
   * AvailableInstanceCount when last described, minus the launches into it since): a
   * synchronous read of a count, no call. undefined when it knows no such reservation;
   * absent on providers that know no reservations.
   */
  reservationFree?(id: string): number | undefined;
  /** joinery's launch templates of this cluster (isOwnedLaunchTemplate), no other. */
  listLaunchTemplates(): Promise<readonly LaunchTemplate[]>;
  /** Deletes one of joinery's launch templates; nothing when it is already gone. */
  deleteLaunchTemplate(name: string): Promise<void>;
  /**
   * Resolves every part of the class (creating the instance profile for spec.role when it
   * does not exist yet); never throws for a part that does not resolve, says why instead.
   */
  resolveNodeClass(nodeClass: EC2NodeClass): Promise<NodeClassResolution>;
  /** joinery's instance profiles of this cluster and region (isOwnedInstanceProfile), no other. */
  listInstanceProfiles(): Promise<readonly InstanceProfile[]>;
  /** Removes the role from one of joinery's instance profiles and deletes it; nothing when it is gone. */
  deleteInstanceProfile(name: string): Promise<void>;
}

/**
 * Which of several instances tagged for one claim is the claim's: the earliest launched,
 * then the lowest id. The launch adopts the first; garbage collection removes the others.
 */
export function adoptionOrder(a: Pick<Instance, 'launchTime' | 'id'>, b: Pick<Instance, 'launchTime' | 'id'>): number {
  return a.launchTime - b.launchTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function offeringKeyString(o: OfferingKey): string {
  return `${o.instanceType}/${o.zone}/${o.capacityType}`;
}
