// CreateFleet for a NodeClaim: the request (capacity type, allocation strategy, override
// order, client token, tags) and the reading of EC2's answer (instance, short offerings).
import type { InstanceType } from '../../../../../core/catalog/instance-types.ts';
import { chooseCapacityType, createFleetInput, fleetOutcome, type FleetCandidate } from '../../../../../reconciler/adapters/aws/fleet.ts';

function type(name: string, offerings: InstanceType['offerings']): InstanceType {
  return { name, capacity: {}, allocatable: {}, labels: { 'kubernetes.io/arch': 'amd64' }, offerings };
}
const od = (zone: string, price: number, available = true) => ({ zone, capacityType: 'on-demand' as const, price, available });
const spot = (zone: string, price: number, available = true) => ({ zone, capacityType: 'spot' as const, price, available });

describe('chooseCapacityType', () => {
  test('spot when any spot offering is available, as Karpenter does', () => {
    expect(chooseCapacityType([type('m5.large', [od('us-east-1a', 0.096), spot('us-east-1b', 0.04)])])).toBe('spot');
  });
  test('on-demand when the spot offerings are all unavailable', () => {
    expect(chooseCapacityType([type('m5.large', [od('us-east-1a', 0.096), spot('us-east-1b', 0.04, false)])])).toBe('on-demand');
  });
  test('reserved before spot and on-demand when a reserved offering is available (already paid for); a full reservation falls back', () => {
    const reserved = (available: boolean) => ({ zone: 'us-east-1a', capacityType: 'reserved' as const, price: 0.0000000096, available, reservation: { id: 'cr-1', type: 'default' as const } });
    expect(chooseCapacityType([type('c5.large', [spot('us-east-1a', 0.03)]), type('m5.large', [od('us-east-1a', 0.096), reserved(true)])])).toBe('reserved');
    expect(chooseCapacityType([type('c5.large', [spot('us-east-1a', 0.03)]), type('m5.large', [od('us-east-1a', 0.096), reserved(false)])])).toBe('spot');
    expect(chooseCapacityType([type('m5.large', [od('us-east-1a', 0.096), reserved(false)])])).toBe('on-demand');
  });
  test('nothing when no offering is available', () => {
    expect(chooseCapacityType([type('m5.large', [od('us-east-1a', 0.096, false)])])).toBeUndefined();
  });
});

describe('createFleetInput', () => {
  const candidates: FleetCandidate[] = [
    { instanceType: 'm6g.large', zone: 'us-east-1b', subnetId: 'subnet-b', price: 0.077, launchTemplateName: 'lt-arm' },
    { instanceType: 'm5.large', zone: 'us-east-1a', subnetId: 'subnet-a', price: 0.096, launchTemplateName: 'lt-x86' },
    { instanceType: 'c5.large', zone: 'us-east-1a', subnetId: 'subnet-a', price: 0.085, launchTemplateName: 'lt-x86' },
    { instanceType: 'm6g.large', zone: 'us-east-1a', subnetId: 'subnet-a', price: 0.077, launchTemplateName: 'lt-arm' },
  ];

  test('instant fleet of one, lowest-price on demand, the claim UID as client token, tags on instance, volume and fleet', () => {
    const input = createFleetInput({ clientToken: 'uid-1', capacityType: 'on-demand', candidates, tags: { 'karpenter.sh/nodeclaim': 'web-abc' } });
    expect(input).toMatchObject({
      Type: 'instant',
      ClientToken: 'uid-1',
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
      OnDemandOptions: { AllocationStrategy: 'lowest-price' },
    });
    expect(input.SpotOptions).toBeUndefined();
    expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume', 'fleet']);
    expect(input.TagSpecifications?.[0]?.Tags).toEqual([{ Key: 'karpenter.sh/nodeclaim', Value: 'web-abc' }]);
  });

  test('reserved: on-demand target capacity (the launch templates target the reservations), a capacity block its own', () => {
    const reserved = (type: 'default' | 'capacity-block') => candidates.map((c) => ({ ...c, reservation: { id: 'cr-1', type } }));
    const input = createFleetInput({ clientToken: 'u', capacityType: 'reserved', candidates: reserved('default'), tags: {} });
    expect(input.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('on-demand');
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
    expect(createFleetInput({ clientToken: 'u', capacityType: 'reserved', candidates: reserved('capacity-block'), tags: {} }).TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('capacity-block');
  });

  test('price-capacity-optimized for spot', () => {
    const input = createFleetInput({ clientToken: 'u', capacityType: 'spot', candidates, tags: {} });
    expect(input.SpotOptions).toEqual({ AllocationStrategy: 'price-capacity-optimized' });
    expect(input.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('spot');
    expect(input.OnDemandOptions).toBeUndefined();
  });

  test('one config per launch template, configs and overrides cheapest first', () => {
    const input = createFleetInput({ clientToken: 'u', capacityType: 'on-demand', candidates, tags: {} });
    const configs = input.LaunchTemplateConfigs ?? [];
    expect(configs.map((c) => c.LaunchTemplateSpecification?.LaunchTemplateName)).toEqual(['lt-arm', 'lt-x86']);
    expect(configs[0]?.Overrides?.map((o) => `${o.InstanceType}@${o.AvailabilityZone}`)).toEqual(['m6g.large@us-east-1a', 'm6g.large@us-east-1b']);
    expect(configs[1]?.Overrides?.map((o) => `${o.InstanceType}/${o.SubnetId}`)).toEqual(['c5.large/subnet-a', 'm5.large/subnet-a']);
    expect(configs.every((c) => c.LaunchTemplateSpecification?.Version === '$Latest')).toBe(true);
    expect(configs.flatMap((c) => c.Overrides ?? []).every((o) => o.Priority === undefined)).toBe(true);
  });

  test('NodeOverlay prices: prioritized (on-demand) and capacity-optimized-prioritized (spot), priority 0 for the cheapest after the overlay', () => {
    // An overlay made m5.large the cheapest: EC2 must take it first, not by its own prices.
    const overlaid = candidates.map((c) => (c.instanceType === 'm5.large' ? { ...c, price: 0.01 } : c));
    const od = createFleetInput({ clientToken: 'u', capacityType: 'on-demand', candidates: overlaid, tags: {}, prioritized: true });
    expect(od.OnDemandOptions).toEqual({ AllocationStrategy: 'prioritized' });
    const priorities = Object.fromEntries((od.LaunchTemplateConfigs ?? []).flatMap((c) => c.Overrides ?? []).map((o) => [`${o.InstanceType}@${o.AvailabilityZone}`, o.Priority]));
    expect(priorities['m5.large@us-east-1a']).toBe(0);
    expect(priorities['c5.large@us-east-1a']).toBe(3);
    const spot = createFleetInput({ clientToken: 'u', capacityType: 'spot', candidates: overlaid, tags: {}, prioritized: true });
    expect(spot.SpotOptions).toEqual({ AllocationStrategy: 'capacity-optimized-prioritized' });
  });
});

describe('fleetOutcome', () => {
  const zoneOf = (s: string | undefined) => ({ 'subnet-a': 'us-east-1a', 'subnet-b': 'us-east-1b' })[s ?? ''] as string | undefined;
  const attempted: FleetCandidate[] = [
    { instanceType: 'c6a.large', zone: 'us-east-1a', subnetId: 'subnet-a', price: 0.0765, launchTemplateName: 'lt' },
    { instanceType: 'c5.large', zone: 'us-east-1a', subnetId: 'subnet-a', price: 0.085, launchTemplateName: 'lt' },
  ];
  const ice = (instanceType: string, subnet: string) => ({
    ErrorCode: 'InsufficientInstanceCapacity',
    ErrorMessage: 'no capacity',
    LaunchTemplateAndOverrides: { Overrides: { InstanceType: instanceType as never, SubnetId: subnet } },
  });

  test('an instance launched past a short offering: the instance, and the offering to avoid', () => {
    const out = fleetOutcome(
      [{ InstanceIds: ['i-1'], InstanceType: 'c5.large', LaunchTemplateAndOverrides: { Overrides: { SubnetId: 'subnet-a' } } }],
      [ice('c6a.large', 'subnet-a')],
      'on-demand',
      zoneOf,
      attempted,
    );
    expect(out.launched).toEqual({ instanceId: 'i-1', instanceType: 'c5.large', subnetId: 'subnet-a', zone: 'us-east-1a' });
    expect(out.shortOfferings).toEqual([{ instanceType: 'c6a.large', zone: 'us-east-1a', capacityType: 'on-demand' }]);
    expect(out.otherErrors).toEqual([]);
  });

  test('nothing launched, every offering short', () => {
    const out = fleetOutcome([], [ice('c6a.large', 'subnet-a'), ice('c5.large', 'subnet-a')], 'spot', zoneOf, attempted);
    expect(out.launched).toBeUndefined();
    expect(out.shortOfferings.map((o) => `${o.instanceType}/${o.zone}/${o.capacityType}`)).toEqual(['c6a.large/us-east-1a/spot', 'c5.large/us-east-1a/spot']);
  });

  test('a capacity error that names no override covers everything attempted', () => {
    const out = fleetOutcome(undefined, [{ ErrorCode: 'VcpuLimitExceeded', ErrorMessage: 'quota' }], 'on-demand', zoneOf, attempted);
    expect(out.shortOfferings).toHaveLength(2);
  });

  test('errors that are not about capacity are kept apart', () => {
    const out = fleetOutcome([], [{ ErrorCode: 'InvalidLaunchTemplateName.NotFoundException', ErrorMessage: 'gone' }], 'on-demand', zoneOf, attempted);
    expect(out.shortOfferings).toEqual([]);
    expect(out.otherErrors).toEqual([{ code: 'InvalidLaunchTemplateName.NotFoundException', message: 'gone' }]);
  });
});
