// Validation of the cron schedules of disruption budgets. Karpenter parses them with
// robfig/cron's standard parser (five fields, or a @descriptor; no seconds, no time zone);
// the CRD only checks that there are five space-separated fields, so `0 25 * * *` would
// pass the API server and then fail inside Karpenter. We reject it at compile time.

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  allowQuestionMark?: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, allowQuestionMark: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: WEEKDAYS, allowQuestionMark: true },
];

function parseValue(text: string, field: CronField): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index < 0) return undefined;
  return field === FIELDS[3] ? index + 1 : index;
}

function checkPart(part: string, field: CronField): string | undefined {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined || range === undefined || range === '') return `"${part}" is not a valid ${field.name}`;
  if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return `step "${step}" in the ${field.name} must be a positive integer`;
  if (range === '*' || (range === '?' && field.allowQuestionMark)) return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `"${range}" is not a valid ${field.name} range`;
  const values = bounds.map((b) => parseValue(b, field));
  for (const [i, value] of values.entries()) {
    if (value === undefined) return `"${bounds[i]}" is not a valid ${field.name}`;
    if (value < field.min || value > field.max) {
      return `${field.name} ${value} is out of range ${field.min}-${field.max}`;
    }
  }
  if (values.length === 2 && values[0]! > values[1]!) return `${field.name} range "${range}" runs backwards`;
  return undefined;
}

/** Undefined when `schedule` is a cron schedule Karpenter accepts, otherwise what is wrong with it. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const trimmed = schedule.trim();
  if (trimmed.startsWith('@')) {
    return DESCRIPTORS.has(trimmed) ? undefined : `"${trimmed}" is not a supported descriptor (${[...DESCRIPTORS].join(', ')})`;
  }
  if (/^(CRON_)?TZ=/.test(trimmed)) return 'time zones are not supported in budget schedules (they run in UTC)';
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) {
    return `a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`;
  }
  for (const [i, text] of parts.entries()) {
    const field = FIELDS[i]!;
    for (const part of text.split(',')) {
      const problem = checkPart(part, field);
      if (problem) return problem;
    }
  }
  return undefined;
}
