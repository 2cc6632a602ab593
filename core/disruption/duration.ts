// Go-style durations as Karpenter's API writes them ("30s", "10m", "720h", "1h30m",
// "Never"). Parsed to milliseconds; "Never" is Infinity so comparisons need no special case.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds of a Go duration string, or Infinity for "Never". Throws on malformed input. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === 'Never') return Infinity;
  if (s === '0') return 0;
  if (s.length === 0) throw new Error(`empty duration; expected e.g. "30s", "10m", "720h" or "Never"`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== at) {
      throw new Error(`invalid duration "${text}"; expected e.g. "30s", "10m", "1h30m", "720h" or "Never"`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

/** A duration as the policy API takes it: whole hours, minutes and seconds, in that order. */
const WHOLE_SECONDS = /^(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?$/;

/**
 * Seconds of a duration written in whole hours, minutes and seconds in that order ("1h30m",
 * "720h", "45s"), or undefined for anything else (fractions, ms, "Never", "").
 */
export function parseDurationSeconds(text: string): number | undefined {
  if (text === '' || !WHOLE_SECONDS.test(text)) return undefined;
  return parseDuration(text) / 1000;
}

/** Like parseDuration, but `undefined` yields the fallback. */
export function durationOr(text: string | undefined, fallbackMs: number): number {
  return text === undefined ? fallbackMs : parseDuration(text);
}

/** A short human form ("1h30m", "45s", "Never") for logs and reports. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'Never';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
