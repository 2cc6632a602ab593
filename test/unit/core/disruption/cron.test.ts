import { isWindowActive, nextFire, parseCron, previousFire, CronParseError } from '../../../../core/disruption/cron.ts';

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

describe('cron schedules of disruption budgets (UTC)', () => {
  test('a weekday business-hours window is open on a Tuesday at 10:00 and closed on Saturday', () => {
    const s = parseCron('0 9 * * mon-fri');
    expect(isWindowActive(s, 8 * H, at('2026-03-03T10:00:00Z'))).toBe(true); // Tuesday
    expect(isWindowActive(s, 8 * H, at('2026-03-03T17:00:00Z'))).toBe(false); // window ended at 17:00
    expect(isWindowActive(s, 8 * H, at('2026-03-03T08:59:00Z'))).toBe(false);
    expect(isWindowActive(s, 8 * H, at('2026-03-07T10:00:00Z'))).toBe(false); // Saturday
  });

  test('a window that starts in the evening stays open across midnight', () => {
    const s = parseCron('0 22 * * *');
    expect(isWindowActive(s, 4 * H, at('2026-03-04T01:30:00Z'))).toBe(true);
    expect(isWindowActive(s, 4 * H, at('2026-03-04T02:00:00Z'))).toBe(false);
  });

  test('@daily, steps, lists and Sunday as 0 or sun', () => {
    expect(previousFire(parseCron('@daily'), at('2026-03-04T13:17:00Z'), 48 * H)).toBe(at('2026-03-04T00:00:00Z'));
    expect(previousFire(parseCron('*/15 * * * *'), at('2026-03-04T13:17:30Z'), H)).toBe(at('2026-03-04T13:15:00Z'));
    expect(previousFire(parseCron('5,35 2 * * *'), at('2026-03-04T02:34:00Z'), H)).toBe(at('2026-03-04T02:05:00Z'));
    expect(previousFire(parseCron('0 0 * * 0'), at('2026-03-04T00:00:00Z'), 7 * 24 * H)).toBe(at('2026-03-01T00:00:00Z'));
    expect(previousFire(parseCron('0 0 * * sun'), at('2026-03-04T00:00:00Z'), 7 * 24 * H)).toBe(at('2026-03-01T00:00:00Z'));
  });

  test('when both day fields are restricted a day matches either (Vixie cron)', () => {
    const s = parseCron('0 0 13 * fri');
    // 2026-03-06 is a Friday, not the 13th: still fires.
    expect(nextFire(s, at('2026-03-05T12:00:00Z'), 3 * 24 * H)).toBe(at('2026-03-06T00:00:00Z'));
  });

  test('a schedule that did not fire within the look-back gives undefined', () => {
    expect(previousFire(parseCron('0 0 1 1 *'), at('2026-03-04T00:00:00Z'), 24 * H)).toBeUndefined();
  });

  test('malformed schedules name the field', () => {
    expect(() => parseCron('0 25 * * *')).toThrow(/hour 25 is out of range 0-23/);
    // robfig/cron (Karpenter's parser) refuses 7 for Sunday; so does the compiler, with the same parser.
    expect(() => parseCron('0 0 * * 7')).toThrow(/day of week 7 is out of range 0-6/);
    expect(() => parseCron('0 9 * *')).toThrow(CronParseError);
    expect(() => parseCron('*/0 * * * *')).toThrow(/step "0" in the minute/);
    expect(() => parseCron('0 0 * * funday')).toThrow(/"funday" is not a valid day of week/);
  });
});
