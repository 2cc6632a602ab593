// CreateFleet (type instant) for one NodeClaim: every candidate instance type x the
// subnet of each allowed zone, one launch template config per AMI, lowest-price for
// on-demand and price-capacity-optimized for spot, the NodeClaim UID as client token.
// Pure functions: the request from the candidates, and the outcome from the response.

import type {
  CreateFleetCommandInput,
  CreateFleetError,
  CreateFleetInstance,
  FleetLaunchTemplateConfigRequest,
  FleetLaunchTemplateOverridesRequest,
} from '@aws-sdk/client-ec2';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import type { CapacityType } from '../../../core/contract/labels.ts';
import type { OfferingKey } from '../../ports/cloud.ts';
import { CAPACITY_ERROR_CODES } from './errors.ts';

/**
 * Karpenter's rule: reserved when the claim allows it and a reserved offering is available
 * (already paid for), else spot when a spot offering is, else on-demand.
 */
export function chooseCapacityType(types: readonly InstanceType[]): CapacityType | undefined {
  let onDemand = false;
  let spot = false;
  for (const t of types) {
    for (const o of t.offerings) {
      if (!o.available) continue;
      if (o.capacityType === 'reserved') return 'reserved';
      if (o.capacityType === 'spot') spot = true;
      if (o.capacityType === 'on-demand') onDemand = true;
    }
  }
  return spot ? 'spot' : onDemand ? 'on-demand' : undefined;
}

export interface FleetCandidate {
  readonly instanceType: string;
  readonly zone: string;
  readonly subnetId: string;
  readonly price: number;
  /** Launch template (one per AMI; for a reserved offering, one per AMI and reservation). */
  readonly launchTemplateName: string;
  /** The capacity reservation a reserved candidate launches into (its launch template targets it). */
  readonly reservation?: { readonly id: string; readonly type: 'default' | 'capacity-block' };
}

export interface FleetRequestOptions {
  readonly clientToken: string;
  readonly capacityType: CapacityType;
  readonly candidates: readonly FleetCandidate[];
  readonly tags: Readonly<Record<string, string>>;
  /** Candidates' prices are NodeOverlay prices: EC2 takes them in that order (priority 0 first). */
  readonly prioritized?: boolean;
}

/**
 * The CreateFleet input. Overrides are ordered cheapest first and the template configs
 * by their cheapest override: EC2 ignores the order under these allocation strategies,
 * and an EC2 that simply takes the first override (moto) then still takes the cheapest.
 */
export function createFleetInput(o: FleetRequestOptions): CreateFleetCommandInput {
  const sorted = [...o.candidates].sort((a, b) => a.price - b.price || (a.instanceType < b.instanceType ? -1 : a.instanceType > b.instanceType ? 1 : a.zone < b.zone ? -1 : 1));
  const configs = new Map<string, FleetLaunchTemplateOverridesRequest[]>();
  for (const [i, c] of sorted.entries()) {
    const overrides = configs.get(c.launchTemplateName) ?? [];
    overrides.push({ InstanceType: c.instanceType as FleetLaunchTemplateOverridesRequest['InstanceType'], SubnetId: c.subnetId, AvailabilityZone: c.zone, ...(o.prioritized ? { Priority: i } : {}) });
    configs.set(c.launchTemplateName, overrides);
  }
  const launchTemplateConfigs: FleetLaunchTemplateConfigRequest[] = [...configs].map(([name, overrides]) => ({
    LaunchTemplateSpecification: { LaunchTemplateName: name, Version: '$Latest' },
    Overrides: overrides,
  }));
  const tags = Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    Type: 'instant',
    ClientToken: o.clientToken,
    TargetCapacitySpecification: {
      TotalTargetCapacity: 1,
      // Reserved capacity is on-demand capacity the launch template targets at a reservation
      // (capacity blocks have their own target capacity type), as Karpenter asks for it.
      DefaultTargetCapacityType:
        o.capacityType === 'spot' ? 'spot' : o.capacityType === 'reserved' && o.candidates.some((c) => c.reservation?.type === 'capacity-block') ? 'capacity-block' : 'on-demand',
    },
    ...(o.capacityType === 'spot'
      ? { SpotOptions: { AllocationStrategy: o.prioritized ? 'capacity-optimized-prioritized' : 'price-capacity-optimized' } }
      : { OnDemandOptions: { AllocationStrategy: o.prioritized ? 'prioritized' : 'lowest-price' } }),
    LaunchTemplateConfigs: launchTemplateConfigs,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
      { ResourceType: 'fleet', Tags: tags },
    ],
  };
}

export interface FleetOutcome {
  readonly launched: { readonly instanceId: string; readonly instanceType: string; readonly subnetId: string | undefined; readonly zone: string | undefined } | undefined;
  /** Offerings EC2 reported short (capacity errors), to avoid for a while. */
  readonly shortOfferings: readonly OfferingKey[];
  /** Errors that are not about capacity, by code. */
  readonly otherErrors: readonly { readonly code: string; readonly message: string }[];
}

/** Reads a CreateFleet response: the instance, the offerings that were short, other errors. */
export function fleetOutcome(
  instances: readonly CreateFleetInstance[] | undefined,
  errors: readonly CreateFleetError[] | undefined,
  capacityType: CapacityType,
  zoneOfSubnet: (subnetId: string | undefined) => string | undefined,
  attempted: readonly FleetCandidate[],
): FleetOutcome {
  const first = (instances ?? []).find((i) => (i.InstanceIds ?? []).length > 0);
  const launchedOverrides = first?.LaunchTemplateAndOverrides?.Overrides;
  const launched = first
    ? {
        instanceId: first.InstanceIds![0]!,
        instanceType: String(first.InstanceType ?? launchedOverrides?.InstanceType ?? ''),
        subnetId: launchedOverrides?.SubnetId,
        zone: launchedOverrides?.AvailabilityZone ?? zoneOfSubnet(launchedOverrides?.SubnetId),
      }
    : undefined;
  const short = new Map<string, OfferingKey>();
  const otherErrors: { code: string; message: string }[] = [];
  for (const e of errors ?? []) {
    const code = e.ErrorCode ?? 'Unknown';
    if (!CAPACITY_ERROR_CODES.has(code)) {
      otherErrors.push({ code, message: e.ErrorMessage ?? code });
      continue;
    }
    const o = e.LaunchTemplateAndOverrides?.Overrides;
    const zone = o?.AvailabilityZone ?? zoneOfSubnet(o?.SubnetId);
    if (o?.InstanceType && zone) {
      const key: OfferingKey = { instanceType: String(o.InstanceType), zone, capacityType };
      short.set(`${key.instanceType}/${key.zone}`, key);
    } else if (!launched) {
      // A capacity error that names no override covers the whole request.
      for (const c of attempted) short.set(`${c.instanceType}/${c.zone}`, { instanceType: c.instanceType, zone: c.zone, capacityType });
    }
  }
  return { launched, shortOfferings: [...short.values()], otherErrors };
}
