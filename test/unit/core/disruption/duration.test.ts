import { parseDurationSeconds } from '../../../../core/disruption/duration.ts';

describe('parseDurationSeconds (durations of the policy API)', () => {
  test.each([
    ['30s', 30],
    ['15m', 900],
    ['720h', 720 * 3600],
    ['1h30m', 5400],
    ['1h0m5s', 3605],
  ])('%s is %d s', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  test.each(['', '1.5h', '30m1h', '500ms', 'Never', '0', ' 1h', '1d'])('%j is not one', (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });
});
