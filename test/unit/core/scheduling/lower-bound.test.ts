import fc from 'fast-check';
import { costLowerBound } from '../../../../core/index.ts';

describe('costLowerBound', () => {
  const cpuType = { name: 'c', price: 1, capacity: { cpu: 4, memory: 8 } };
  const memType = { name: 'r', price: 1.5, capacity: { cpu: 2, memory: 32 } };

  it('finds the cheapest fractional mix', () => {
    // Demand 8 cpu, 64 memory: both bind at 4a + 2b = 8 and 8a + 32b = 64, so a = 8/7,
    // b = 12/7 and the cost is 8/7 + 1.5 x 12/7 = 26/7 (cheaper than 4 c's = 8 or 2 r's + ...).
    const b = costLowerBound({ cpu: 8, memory: 64 }, [cpuType, memType]);
    expect(b.cost).toBeCloseTo(26 / 7, 9);
    expect(b.mix.map((m) => m.name).sort()).toEqual(['c', 'r']);
  });

  it('uses one type when one resource binds', () => {
    const b = costLowerBound({ cpu: 40, memory: 8 }, [cpuType, memType]);
    expect(b.cost).toBeCloseTo(10, 9);
    expect(b.mix).toEqual([{ name: 'c', count: 10, price: 1 }]);
  });

  it('is infinite when no type provides a demanded resource', () => {
    expect(costLowerBound({ cpu: 1, 'nvidia.com/gpu': 1 }, [cpuType]).cost).toBe(Infinity);
    expect(costLowerBound({}, [cpuType]).cost).toBe(0);
  });

  it('never exceeds the cheapest integer fleet (property)', () => {
    const typeArb = fc.record({
      cpu: fc.integer({ min: 1, max: 8 }),
      memory: fc.integer({ min: 1, max: 16 }),
      price: fc.integer({ min: 1, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(typeArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 20 }), (ts, cpu, memory) => {
        const types = ts.map((t, i) => ({ name: `t${i}`, price: t.price, capacity: { cpu: t.cpu, memory: t.memory } }));
        const bound = costLowerBound({ cpu, memory }, types).cost;
        // Brute force: counts 0..20 of each type (enough for any demand here).
        let best = Infinity;
        const rec = (i: number, c: number, m: number, p: number): void => {
          if (p >= best) return;
          if (i === types.length) {
            if (c >= cpu && m >= memory) best = p;
            return;
          }
          for (let k = 0; k <= 20; k++) rec(i + 1, c + k * types[i]!.capacity.cpu, m + k * types[i]!.capacity.memory, p + k * types[i]!.price);
        };
        rec(0, 0, 0, 0);
        expect(bound).toBeLessThanOrEqual(best + 1e-9);
        // And some integer fleet is within one node of each type used by the LP.
        const rounded = costLowerBound({ cpu, memory }, types).mix.reduce((s, m) => s + Math.ceil(m.count - 1e-9) * m.price, 0);
        expect(best).toBeLessThanOrEqual(rounded + 1e-9);
      }),
      { numRuns: 200 },
    );
  });
});
