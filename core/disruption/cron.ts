// The one cron implementation: the compiler validates budget schedules with it and the
// reconciler evaluates them with it. Five fields (minute hour day-of-month month
// day-of-week) and the @-descriptors, with robfig/cron's grammar (Karpenter's parser: the
// CRD only checks for five fields, so `0 25 * * *` would pass the API server and fail
// inside Karpenter), evaluated in UTC. Pure: the caller passes the instant.

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
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesBase?: number;
  /** robfig/cron accepts `?` (any) in the two day fields only. */
  readonly allowQuestionMark?: boolean;
}
// robfig/cron's standard parser, which Karpenter uses: day of week is 0-6 (7 is refused).
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, allowQuestionMark: true },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesBase: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAY_NAMES, namesBase: 0, allowQuestionMark: true },
];

export class CronParseError extends Error {
  constructor(
    readonly schedule: string,
    /** What is wrong, without the schedule (the compiler puts it in a finding). */
    readonly detail: string,
  ) {
    super(`invalid cron schedule "${schedule}": ${detail}`);
    this.name = 'CronParseError';
  }
}

function parseValue(text: string, spec: FieldSpec, schedule: string): number {
  const i = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i >= 0) return i + (spec.namesBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronParseError(schedule, `"${text}" is not a valid ${spec.name}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw new CronParseError(schedule, `${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

function parseField(text: string, spec: FieldSpec, schedule: string): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new CronParseError(schedule, `"${part}" is not a valid ${spec.name}`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[1-9]\d*$/.test(stepText)) throw new CronParseError(schedule, `step "${stepText}" in the ${spec.name} must be a positive integer`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === '*' || (rangeText === '?' && spec.allowQuestionMark)) {
      lo = spec.min;
      hi = spec.max;
      if (stepText === undefined) star = true;
    } else if (rangeText.includes('-')) {
      const bounds = rangeText.split('-');
      if (bounds.length > 2) throw new CronParseError(schedule, `"${rangeText}" is not a valid ${spec.name} range`);
      lo = parseValue(bounds[0] ?? '', spec, schedule);
      hi = parseValue(bounds[1] ?? '', spec, schedule);
      if (hi < lo) throw new CronParseError(schedule, `${spec.name} range "${rangeText}" runs backwards`);
    } else {
      lo = parseValue(rangeText, spec, schedule);
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/**
 * Parses a five-field cron expression or an @-descriptor as Karpenter does (robfig/cron's
 * standard parser; no seconds, no time zone: budgets run in UTC). Throws CronParseError
 * whose `detail` names the field and what is wrong.
 */
export function parseCron(schedule: string): CronSchedule {
  const trimmed = schedule.trim();
  if (trimmed.startsWith('@')) {
    const expanded = MACROS[trimmed];
    if (!expanded) throw new CronParseError(schedule, `"${trimmed}" is not a supported descriptor (${Object.keys(MACROS).join(', ')})`);
    return parseFields(schedule, expanded);
  }
  if (/^(CRON_)?TZ=/.test(trimmed)) throw new CronParseError(schedule, 'time zones are not supported in budget schedules (they run in UTC)');
  return parseFields(schedule, trimmed);
}

function parseFields(schedule: string, expanded: string): CronSchedule {
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronParseError(schedule, `a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`);
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

/** Undefined when `schedule` is one Karpenter accepts, otherwise what is wrong with it (for compile findings). */
export function cronScheduleProblem(schedule: string): string | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (e) {
    if (e instanceof CronParseError) return e.detail;
    throw e;
  }
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
