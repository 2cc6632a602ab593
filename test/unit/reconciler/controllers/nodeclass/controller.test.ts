// EC2NodeClass status from a resolution, as Karpenter writes it: the resolved parts, one
// condition per part with Karpenter's reasons, ValidationSucceeded, and Ready, each with the
// generation judged; a part that does not resolve is cleared and named in Ready's message.
import { nodeClassStatus } from '../../../../../reconciler/controllers/nodeclass/controller.ts';
import type { NodeClassResolution } from '../../../../../reconciler/ports/cloud.ts';

const resolved: NodeClassResolution = {
  subnets: { ok: true, value: [{ id: 'subnet-a', zone: 'us-east-1a', zoneID: 'use1-az1' }] },
  securityGroups: { ok: true, value: [{ id: 'sg-1' }] },
  amis: { ok: true, value: [{ id: 'ami-1', name: 'al2023', arch: 'amd64' }] },
  instanceProfile: { ok: true, value: 'joinery-test_123' },
};
const byType = (s: ReturnType<typeof nodeClassStatus>) => Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c]));

test('a class that resolves: its subnets, security groups, AMIs (with their arch requirement) and profile, every condition True at its generation', () => {
  const s = nodeClassStatus(resolved, undefined, 3, '2026-12-06T12:00:00.000Z');
  expect(s.subnets).toEqual([{ id: 'subnet-a', zone: 'us-east-1a', zoneID: 'use1-az1' }]);
  expect(s.securityGroups).toEqual([{ id: 'sg-1' }]);
  expect(s.amis).toEqual([{ id: 'ami-1', name: 'al2023', requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }]);
  expect(s.instanceProfile).toBe('joinery-test_123');
  const c = byType(s);
  expect(Object.keys(c).sort()).toEqual(['AMIsReady', 'InstanceProfileReady', 'Ready', 'SecurityGroupsReady', 'SubnetsReady', 'ValidationSucceeded']);
  for (const cond of Object.values(c)) expect({ type: cond.type, status: cond.status, reason: cond.reason, observedGeneration: cond.observedGeneration }).toEqual({ type: cond.type, status: 'True', reason: cond.type, observedGeneration: 3 });
});

test('an unmatched subnet selector: SubnetsReady False (SubnetsNotFound) naming the term, Ready False, subnets cleared; the rest stays True', () => {
  const message = 'EC2NodeClass gpu: spec.subnetSelectorTerms matched no subnet ([{"tags":{"karpenter.sh/discovery":"nope"}}]); tag the cluster subnets';
  const s = nodeClassStatus({ ...resolved, subnets: { ok: false, message } }, undefined, 4, '2026-12-06T12:00:00.000Z');
  const c = byType(s);
  expect(c.SubnetsReady).toMatchObject({ status: 'False', reason: 'SubnetsNotFound', message, observedGeneration: 4 });
  expect(c.Ready).toMatchObject({ status: 'False', reason: 'UnhealthyDependents', message, observedGeneration: 4 });
  expect(c.AMIsReady!.status).toBe('True');
  expect(s.subnets).toBeNull(); // removed by the merge patch
});

test('a missing role: InstanceProfileReady False naming it; two failing parts are both in Ready', () => {
  const s = nodeClassStatus(
    { ...resolved, amis: { ok: false, message: 'no AMI' }, instanceProfile: { ok: false, message: 'spec.role names the IAM role "Nope", which does not exist' } },
    undefined,
    1,
    '2026-12-06T12:00:00.000Z',
  );
  const c = byType(s);
  expect(c.InstanceProfileReady).toMatchObject({ status: 'False', reason: 'InstanceProfileNotFound' });
  expect(c.AMIsReady).toMatchObject({ status: 'False', reason: 'AMINotFound' });
  expect(c.Ready!.message).toBe('no AMI; spec.role names the IAM role "Nope", which does not exist');
  expect(s.instanceProfile).toBeNull();
});

test('lastTransitionTime moves only when a status changes', () => {
  const first = nodeClassStatus(resolved, undefined, 1, '2026-12-06T12:00:00.000Z');
  const again = nodeClassStatus(resolved, first.conditions, 2, '2026-12-06T12:05:00.000Z');
  expect(byType(again).Ready).toMatchObject({ lastTransitionTime: '2026-12-06T12:00:00.000Z', observedGeneration: 2 });
  const broken = nodeClassStatus({ ...resolved, subnets: { ok: false, message: 'x' } }, again.conditions, 3, '2026-12-06T12:10:00.000Z');
  expect(byType(broken).Ready!.lastTransitionTime).toBe('2026-12-06T12:10:00.000Z');
  expect(byType(broken).AMIsReady!.lastTransitionTime).toBe('2026-12-06T12:00:00.000Z');
});

test('capacity reservations: listed with CapacityReservationsReady True; an unknown id makes it and Ready False with the message; a class without terms has neither', () => {
  const entry = { id: 'cr-1', instanceType: 'm5.large', availabilityZone: 'us-east-1a', ownerID: '123456789012', instanceMatchCriteria: 'targeted' as const, reservationType: 'default' as const, state: 'active' as const };
  const listed = nodeClassStatus({ ...resolved, capacityReservations: { ok: true, value: [entry] } }, undefined, 2, '2026-12-06T12:00:00.000Z');
  expect(listed.capacityReservations).toEqual([entry]);
  expect(byType(listed).CapacityReservationsReady).toMatchObject({ status: 'True', observedGeneration: 2 });
  expect(byType(listed).Ready!.status).toBe('True');

  const message = 'EC2NodeClass gpu: spec.capacityReservationSelectorTerms[0].id "cr-0000000000000000f" is not a capacity reservation EC2 knows in this region and account';
  const unknown = nodeClassStatus({ ...resolved, capacityReservations: { ok: false, message } }, undefined, 3, '2026-12-06T12:00:00.000Z');
  expect(byType(unknown).CapacityReservationsReady).toMatchObject({ status: 'False', reason: 'CapacityReservationNotFound', message });
  expect(byType(unknown).Ready).toMatchObject({ status: 'False', message });
  expect(unknown.capacityReservations).toBeNull();

  const none = nodeClassStatus(resolved, undefined, 1, '2026-12-06T12:00:00.000Z');
  expect(byType(none).CapacityReservationsReady).toBeUndefined();
  expect('capacityReservations' in none).toBe(false);
});
