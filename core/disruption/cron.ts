// A small evaluator for the cron schedules of Karpenter disruption budgets: five fields
// (minute hour day-of-month month day-of-week) and the @-macros, evaluated in UTC as
// Karpenter does. Pure: the caller passes the instant; nothing here reads a clock.

export interface CronSchedule {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>; // 1..12
  readonly daysOfWeek: ReadonlySet<number>; // 0..6, Sunday = 0
  /** Both day fields restricted: a day matches when either does (Vixie cron, robfig/cron). */
  readonly dayOr: boolean;
}

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesBase?: number;
}
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesBase: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesBase: 0 },
];

export class CronParseError extends Error {
  constructor(
    readonly schedule: string,
    detail: string,
  ) {
    super(`invalid cron schedule "${schedule}": ${detail}`);
    this.name = 'CronParseError';
  }
}

function parseValue(text: string, spec: FieldSpec, schedule: string): number {
  const lower = text.toLowerCase();
  if (spec.names) {
    const i = spec.names.indexOf(lower);
    if (i >= 0) return i + (spec.namesBase ?? 0);
  }
  if (!/^\d+$/.test(text)) throw new CronParseError(schedule, `${spec.name} value "${text}" is not a number`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) {
    throw new CronParseError(schedule, `${spec.name} value ${n} is outside ${spec.min}-${spec.max}`);
  }
  return n;
}

function parseField(text: string, spec: FieldSpec, schedule: string): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new CronParseError(schedule, `${spec.name} field "${text}" is malformed`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronParseError(schedule, `${spec.name} step "${stepText}" must be a positive integer`);
      }
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === '*' || rangeText === '?') {
      lo = spec.min;
      hi = spec.name === 'day-of-week' ? 6 : spec.max;
      if (stepText === undefined) star = true;
    } else if (rangeText.includes('-')) {
      const [a, b] = rangeText.split('-');
      lo = parseValue(a ?? '', spec, schedule);
      hi = parseValue(b ?? '', spec, schedule);
      if (hi < lo) throw new CronParseError(schedule, `${spec.name} range "${rangeText}" is backwards`);
    } else {
      lo = parseValue(rangeText, spec, schedule);
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return { values, star };
}

/** Parses a five-field cron expression or an @-macro. Throws CronParseError naming the field. */
export function parseCron(schedule: string): CronSchedule {
  const trimmed = schedule.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) throw new CronParseError(schedule, `unknown macro ${expanded}`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronParseError(schedule, `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  }
  const [mi, h, dom, mo, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, schedule));
  return {
    source: schedule,
    minutes: mi!.values,
    hours: h!.values,
    daysOfMonth: dom!.values,
    months: mo!.values,
    daysOfWeek: dow!.values,
    dayOr: !dom!.star && !dow!.star,
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  if (!s.months.has(d.getUTCMonth() + 1)) return false;
  const domOk = s.daysOfMonth.has(d.getUTCDate());
  const dowOk = s.daysOfWeek.has(d.getUTCDay());
  return s.dayOr ? domOk || dowOk : domOk && dowOk;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The latest instant at or before `atMs` (epoch ms) at which the schedule fires, searching
 * back no further than `lookBackMs`; undefined when it did not fire in that window.
 */
export function previousFire(s: CronSchedule, atMs: number, lookBackMs: number): number | undefined {
  const floor = atMs - lookBackMs;
  let t = Math.floor(atMs / MINUTE) * MINUTE;
  while (t >= floor) {
    const d = new Date(t);
    if (!dayMatches(s, d)) {
      // Jump to 23:59 of the previous day.
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - MINUTE;
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      t = Math.floor(t / HOUR) * HOUR - MINUTE; // :59 of the previous hour
      continue;
    }
    if (s.minutes.has(d.getUTCMinutes())) return t;
    t -= MINUTE;
  }
  return undefined;
}

/** The first instant strictly after `afterMs` at which the schedule fires, within `lookAheadMs`. */
export function nextFire(s: CronSchedule, afterMs: number, lookAheadMs: number): number | undefined {
  const ceiling = afterMs + lookAheadMs;
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  while (t <= ceiling) {
    const d = new Date(t);
    if (!dayMatches(s, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      t = Math.floor(t / HOUR) * HOUR + HOUR;
      continue;
    }
    if (s.minutes.has(d.getUTCMinutes())) return t;
    t += MINUTE;
  }
  return undefined;
}

/** A scheduled window is open when the schedule fired within the last `durationMs`. */
export function isWindowActive(s: CronSchedule, durationMs: number, atMs: number): boolean {
  if (durationMs <= 0) return false;
  const fired = previousFire(s, atMs, durationMs);
  return fired !== undefined && atMs < fired + durationMs;
}
