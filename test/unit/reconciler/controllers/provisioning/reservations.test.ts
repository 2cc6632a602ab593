import type { NewNode } from '../../../../../core/scheduling/types.ts';
import type { SchedulingNodePool } from '../../../../../core/scheduling/nodepool.ts';
import { assignSlots, withoutReservations } from '../../../../../reconciler/controllers/provisioning/reservations.ts';

const reserved = (id: string, price: number) => ({ zone: 'us-east-1a', capacityType: 'reserved' as const, price, available: true, reservation: { id, type: 'default' as const } });
const onDemand = { zone: 'us-east-1a', capacityType: 'on-demand' as const, price: 0.2, available: true };

function node(name: string, offerings: NewNode['instanceTypeOptions'][number]['offerings']): NewNode {
  return { name, nodePool: 'p', requirements: [], labels: {}, instanceTypeOptions: [{ name: 'm6i.xlarge', price: offerings[0]!.price, offerings }], pods: [], requests: {}, price: offerings[0]!.price };
}

describe('assignSlots', () => {
  test('gives slots in order, the cheapest reservation with room first; a node finding none is excess', () => {
    const nodes = [node('a', [reserved('cr-1', 1e-8), reserved('cr-2', 2e-8), onDemand]), node('b', [reserved('cr-1', 1e-8), reserved('cr-2', 2e-8)]), node('c', [reserved('cr-1', 1e-8), onDemand]), node('d', [onDemand])];
    const free = (id: string) => (id === 'cr-1' ? 1 : 1);
    const { reservedFor, excess, full } = assignSlots(nodes, free);
    expect(Object.fromEntries(reservedFor)).toEqual({ a: 'cr-1', b: 'cr-2' });
    expect(excess.map((n) => n.name)).toEqual(['c']);
    expect([...full].sort()).toEqual(['cr-1', 'cr-2']);
  });

  test('an unavailable reserved offering is not a slot; unknown counts (Infinity) never make excess', () => {
    const off = { ...reserved('cr-1', 1e-8), available: false };
    expect(assignSlots([node('a', [off, onDemand])], () => 0).excess).toEqual([]);
    expect(assignSlots([node('a', [reserved('cr-1', 1e-8)]), node('b', [reserved('cr-1', 1e-8)])], () => Infinity).excess).toEqual([]);
  });
});

test('withoutReservations marks only the full reservations unavailable', () => {
  const pool = { name: 'p', instanceTypes: [{ name: 'm6i.xlarge', offerings: [reserved('cr-1', 1e-8), reserved('cr-2', 1e-8), onDemand] }] } as unknown as SchedulingNodePool;
  const [out] = withoutReservations([pool], new Set(['cr-1']));
  expect(out!.instanceTypes[0]!.offerings.map((o) => [o.reservation?.id ?? o.capacityType, o.available])).toEqual([
    ['cr-1', false],
    ['cr-2', true],
    ['on-demand', true],
  ]);
  expect(pool.instanceTypes[0]!.offerings[0]!.available).toBe(true);
});
