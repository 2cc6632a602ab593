import type { EC2NodeClass } from '../../../../core/api/karpenter.ts';
import { LABEL_CAPACITY_RESERVATION_ID, LABEL_CAPACITY_RESERVATION_TYPE } from '../../../../core/contract/index.ts';
import { nodeReservation } from '../../../../reconciler/views/reservations.ts';

const END = Date.parse('2026-03-03T12:00:00Z');
const cls = (ids: string[], status?: EC2NodeClass['status']): EC2NodeClass =>
  ({ apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'gpu' }, spec: { capacityReservationSelectorTerms: ids.map((id) => ({ id })) }, ...(status ? { status } : {}) }) as EC2NodeClass;
const labels = { [LABEL_CAPACITY_RESERVATION_ID]: 'cr-1', [LABEL_CAPACITY_RESERVATION_TYPE]: 'capacity-block' };
const entry = (id: string, endTime?: string) => ({ id, instanceType: 'p5.48xlarge', availabilityZone: 'us-east-1a', ownerID: '1', instanceMatchCriteria: 'targeted' as const, reservationType: 'capacity-block' as const, state: 'active' as const, ...(endTime ? { endTime } : {}) });

describe('nodeReservation', () => {
  test('a capacity-block node is expired 40 minutes before the block ends', () => {
    const c = cls(['cr-1'], { capacityReservations: [entry('cr-1', new Date(END).toISOString())] });
    expect(nodeReservation(labels, c, c)).toEqual({ expireAtMs: END - 40 * 60_000, endMs: END });
  });

  test('a reservation the class no longer lists, or a class with no terms, is CapacityReservationDrift', () => {
    const c = cls(['cr-2'], { capacityReservations: [entry('cr-2')] });
    expect(nodeReservation(labels, c, c).drift).toMatchObject({ kind: 'CapacityReservationDrift' });
    expect(nodeReservation(labels, cls([]), undefined).drift?.detail).toContain('selects no capacity reservation');
  });

  test('no decision while the class status does not list reservations (not resolved), nor for a node outside any reservation', () => {
    expect(nodeReservation(labels, cls(['cr-2']), cls(['cr-2']))).toEqual({});
    expect(nodeReservation({}, cls([]), undefined)).toEqual({});
  });
});
