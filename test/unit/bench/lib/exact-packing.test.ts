import fc from 'fast-check';
import highsModule, { type Highs } from 'highs';
import type { Pod } from '../../../../core/index.ts';
import { exactOptimum, type ExactType } from '../../../../bench/lib/exact-packing.ts';

const loadHighs = highsModule as unknown as () => Promise<Highs>;
let highs: Highs;
beforeAll(async () => {
  highs = await loadHighs();
});

const GI = 1024 ** 3;
function pod(i: number, cpu: number, memoryGi: number): Pod {
  return { metadata: { name: `p${i}`, uid: `p${i}` }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: `${cpu}m`, memory: `${memoryGi}Gi` } } }] } };
}
function type(name: string, cpu: number, memoryGi: number, pods: number, price: number): ExactType {
  return { name, usable: { cpu, memory: memoryGi * GI, pods }, price };
}

/** Every partition of the pods into nodes, each node the cheapest type that holds its pods. */
function bruteForce(pods: { cpu: number; mem: number }[], types: ExactType[]): number {
  let best = Infinity;
  const groups: number[][] = [];
  const nodeCost = (g: number[]) => {
    const cpu = g.reduce((s, i) => s + pods[i]!.cpu * 1000, 0);
    const mem = g.reduce((s, i) => s + pods[i]!.mem, 0);
    return Math.min(...types.filter((t) => t.usable.cpu! >= cpu && t.usable.memory! >= mem * GI && t.usable.pods! >= g.length).map((t) => t.price));
  };
  const place = (i: number) => {
    if (i === pods.length) {
      best = Math.min(best, groups.reduce((s, g) => s + nodeCost(g), 0));
      return;
    }
    for (const g of groups) {
      g.push(i);
      place(i + 1);
      g.pop();
    }
    groups.push([i]);
    place(i + 1);
    groups.pop();
  };
  place(0);
  return best;
}

describe('exactOptimum', () => {
  it('opens one larger node where several smaller ones cost more', () => {
    // Three 1.5-CPU pods: one per small node (3 x 0.1) or all on the big one (0.25).
    const types = [type('small', 2000, 4, 10, 0.1), type('big', 8000, 16, 30, 0.25)];
    const r = exactOptimum(highs, [pod(0, 1500, 1), pod(1, 1500, 1), pod(2, 1500, 1)], types, Infinity);
    expect(r.status).toBe('Optimal');
    expect(r.cost).toBeCloseTo(0.25, 9);
  });

  it('agrees with enumerating every partition of the pods (property)', () => {
    const typeArb = fc.record({ cpu: fc.integer({ min: 1, max: 8 }), mem: fc.integer({ min: 1, max: 16 }), pods: fc.integer({ min: 1, max: 4 }), price: fc.integer({ min: 1, max: 20 }) });
    const podArb = fc.record({ cpu: fc.integer({ min: 1, max: 4 }), mem: fc.integer({ min: 1, max: 8 }) });
    fc.assert(
      fc.property(fc.array(typeArb, { minLength: 1, maxLength: 4 }), fc.array(podArb, { minLength: 1, maxLength: 5 }), (ts, ps) => {
        const types = ts.map((t, i) => type(`t${i}`, t.cpu * 1000, t.mem, t.pods, t.price / 10));
        const expected = bruteForce(ps, types);
        const r = exactOptimum(highs, ps.map((p, i) => pod(i, p.cpu * 1000, p.mem)), types, Infinity);
        if (!Number.isFinite(expected)) expect(r.status).not.toBe('Optimal');
        else {
          expect(r.status).toBe('Optimal');
          expect(r.cost).toBeCloseTo(expected, 6);
        }
      }),
      { numRuns: 150 },
    );
  });
});
