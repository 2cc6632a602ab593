import { allowedDisruptions, parseBudgets, BudgetError } from '../../../../core/disruption/budgets.ts';
import { parseDuration, formatDuration } from '../../../../core/disruption/duration.ts';

const at = (iso: string) => Date.parse(iso);
const noon = at('2026-03-04T12:00:00Z'); // a Wednesday

describe('disruption budgets', () => {
  test('the default budget is 10% of the pool, rounded up', () => {
    const b = parseBudgets(undefined);
    expect(allowedDisruptions(b, 'Drifted', 7, 0, noon).allowed).toBe(1);
    expect(allowedDisruptions(b, 'Drifted', 25, 0, noon).allowed).toBe(3);
  });

  test('nodes already disrupting are subtracted and the result never goes negative', () => {
    const b = parseBudgets([{ nodes: '2' }]);
    expect(allowedDisruptions(b, 'Underutilized', 10, 1, noon).allowed).toBe(1);
    expect(allowedDisruptions(b, 'Underutilized', 10, 5, noon).allowed).toBe(0);
  });

  test('several budgets: the most restrictive active one that covers the reason wins', () => {
    const b = parseBudgets([
      { nodes: '50%' },
      { nodes: '1', reasons: ['Drifted'] },
      { nodes: '0', reasons: ['Underutilized'], schedule: '0 9 * * mon-fri', duration: '8h' },
    ]);
    const drift = allowedDisruptions(b, 'Drifted', 10, 0, noon);
    expect(drift.allowed).toBe(1);
    expect(drift.limitingBudget?.index).toBe(1);
    // Business hours on a weekday: consolidation is frozen.
    expect(allowedDisruptions(b, 'Underutilized', 10, 0, noon).allowed).toBe(0);
    // Evening: only the 50% budget applies to consolidation.
    expect(allowedDisruptions(b, 'Underutilized', 10, 0, at('2026-03-04T20:00:00Z')).allowed).toBe(5);
    // Emptiness is covered only by the 50% budget.
    expect(allowedDisruptions(b, 'Empty', 10, 0, noon).allowed).toBe(5);
  });

  test('a reason no budget covers is not limited beyond the pool size', () => {
    const b = parseBudgets([{ nodes: '1', reasons: ['Drifted'] }]);
    expect(allowedDisruptions(b, 'Empty', 4, 0, noon).allowed).toBe(4);
  });

  test('malformed budgets name the field and say how to fix it', () => {
    expect(() => parseBudgets([{ nodes: 'ten' }])).toThrow(/spec\.disruption\.budgets\[0\]\.nodes: "ten" must be/);
    expect(() => parseBudgets([{ nodes: '1' }, { nodes: '1', schedule: '@daily' }])).toThrow(BudgetError);
    expect(() => parseBudgets([{ nodes: '1', schedule: '0 99 * * *', duration: '1h' }])).toThrow(
      /budgets\[0\]\.schedule/,
    );
    expect(() => parseBudgets([{ nodes: '150%' }])).toThrow(/exceeds 100%/);
  });
});

describe('durations', () => {
  test('Go duration strings', () => {
    expect(parseDuration('720h')).toBe(720 * 3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('Never')).toBe(Infinity);
    expect(() => parseDuration('10 minutes')).toThrow(/invalid duration/);
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });
});
