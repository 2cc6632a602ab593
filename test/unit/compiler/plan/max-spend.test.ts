import fc from 'fast-check';
import { maxSpendAtLimits, type SpendType } from '../../../../compiler/plan/max-spend.ts';

const type = (name: string, price: number, cpu: number, memory: number, gpus = 0): SpendType => ({
  name,
  price,
  capacity: { cpu: cpu * 1000, memory: memory * 2 ** 30, 'nvidia.com/gpu': gpus, nodes: 1 },
});

describe('the most a pool can cost per hour at its limits', () => {
  test('one limit: the dearest type per unit of the limited resource fills it', () => {
    // $/vCPU: 0.25, 0.1875, 0.30: the third fills 100 vCPUs for $30/h.
    const types = [type('a', 1, 4, 16), type('b', 1.5, 8, 32), type('c', 1.2, 4, 8)];
    expect(maxSpendAtLimits(types, { cpu: 100_000 })).toEqual({ cost: expect.closeTo(30, 6), binding: ['cpu'] });
  });

  test('two limits: the optimum mixes types until both bind', () => {
    // cpu 10 vCPU, memory 40 GiB. x: 1 vCPU/8 GiB at $1, y: 2 vCPU/2 GiB at $1.
    // Vertex x + 2y = 10, 8x + 2y = 40 -> x = 30/7, y = 20/7: $50/7.
    const types = [type('x', 1, 1, 8), type('y', 1, 2, 2)];
    const spend = maxSpendAtLimits(types, { cpu: 10_000, memory: 40 * 2 ** 30 });
    expect(spend.cost).toBeCloseTo(50 / 7, 9);
    expect(spend.binding).toEqual(['cpu', 'memory']);
  });

  test('nodes count as one each', () => {
    expect(maxSpendAtLimits([type('small', 0.1, 2, 4), type('big', 3, 64, 256)], { nodes: 10 }).cost).toBeCloseTo(30, 9);
  });

  test('no limit, or a type that uses none of the limited resources: unbounded', () => {
    expect(maxSpendAtLimits([type('a', 1, 4, 16)], {}).cost).toBeNull();
    // A GPU limit does not bound the spend on types without GPUs.
    expect(maxSpendAtLimits([type('gpu', 5, 8, 32, 1), type('cpu', 1, 4, 16)], { 'nvidia.com/gpu': 4 }).cost).toBeNull();
    expect(maxSpendAtLimits([type('gpu', 5, 8, 32, 1)], { 'nvidia.com/gpu': 4 }).cost).toBeCloseTo(20, 9);
  });

  test('a zero limit stops the pool: nothing can be launched', () => {
    expect(maxSpendAtLimits([type('a', 1, 4, 16)], { cpu: 0 })).toEqual({ cost: 0, binding: ['cpu'] });
    expect(maxSpendAtLimits([], { cpu: 10 })).toEqual({ cost: 0, binding: [] });
  });

  test('bounds every fleet within the limits from above, and is reached by some fractional fleet', () => {
    const arbType = fc.record({ price: fc.integer({ min: 1, max: 50 }), cpu: fc.integer({ min: 1, max: 8 }), memory: fc.integer({ min: 1, max: 32 }) });
    fc.assert(
      fc.property(fc.array(arbType, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 48 }), (raw, cpu, memory) => {
        const types = raw.map((t, i) => type(`t${i}`, t.price / 10, t.cpu, t.memory));
        const limits = { cpu: cpu * 1000, memory: memory * 2 ** 30 };
        const lp = maxSpendAtLimits(types, limits).cost!;
        // Every integer fleet within the limits costs at most the bound.
        let best = 0;
        const visit = (i: number, usedCpu: number, usedMem: number, cost: number): void => {
          if (i === types.length) {
            best = Math.max(best, cost);
            return;
          }
          for (let n = 0; ; n++) {
            const c = usedCpu + n * types[i]!.capacity.cpu!;
            const m = usedMem + n * types[i]!.capacity.memory!;
            if (c > limits.cpu || m > limits.memory) break;
            visit(i + 1, c, m, cost + n * types[i]!.price);
          }
        };
        visit(0, 0, 0, 0);
        expect(lp).toBeGreaterThanOrEqual(best - 1e-9);
        // Each type alone, as many (fractional) nodes as the limits allow, is a feasible point.
        for (const t of types) {
          const n = Math.min(limits.cpu / t.capacity.cpu!, limits.memory / t.capacity.memory!);
          expect(lp).toBeGreaterThanOrEqual(n * t.price - 1e-9);
        }
        // Each limit alone bounds the spend.
        for (const r of ['cpu', 'memory'] as const) {
          const ratio = Math.max(...types.map((t) => t.price / t.capacity[r]!));
          expect(lp).toBeLessThanOrEqual(limits[r] * ratio + 1e-9);
        }
      }),
      { numRuns: 200 },
    );
  });
});
