// Typed values of the policy API: durations, quantities, percentages. The template-literal
// types catch most mistakes in the editor; the parse functions below catch the rest at
// compile time (a negative limit, `1.5h`), because the CRD patterns are stricter than
// anything TypeScript can express.

export type DurationUnit = 's' | 'm' | 'h';
/** A Kubernetes/Go duration of whole hours, minutes and seconds: `30s`, `15m`, `720h`, `1h30m`. */
export type Duration =
  | `${number}${DurationUnit}`
  | `${number}h${number}m`
  | `${number}m${number}s`
  | `${number}h${number}s`
  | `${number}h${number}m${number}s`;
/** Karpenter's spelling of "never" for expireAfter and consolidateAfter. */
export type NeverDuration = 'Never';
export const Never: NeverDuration = 'Never';

export function seconds(n: number): Duration {
  return `${n}s`;
}
export function minutes(n: number): Duration {
  return `${n}m`;
}
export function hours(n: number): Duration {
  return `${n}h`;
}
/** Days, written in hours (Go durations have no day unit). */
export function days(n: number): Duration {
  return `${n * 24}h`;
}

const DURATION = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

/** Seconds in a duration the CRDs accept (whole h, m, s in that order), or undefined. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value);
  if (!match || value === '') return undefined;
  const [, h, m, s] = match;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

export type BinarySuffix = 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi' | 'Ei';
export type DecimalSuffix = 'k' | 'M' | 'G' | 'T' | 'P' | 'E';
/** Memory as a Kubernetes quantity: `512Mi`, `64Gi`, `4Ti` (or decimal `64G`). */
export type MemoryQuantity = `${number}${BinarySuffix}` | `${number}${DecimalSuffix}`;
/** CPU as cores (`1000`) or a Kubernetes quantity (`"1000"`, `"500m"`). */
export type CpuQuantity = number | `${number}` | `${number}m`;
/** A percentage of nodes, as Karpenter's budgets take it: `10%`. */
export type Percent = `${number}%`;

export function mebibytes(n: number): MemoryQuantity {
  return `${n}Mi`;
}
export function gibibytes(n: number): MemoryQuantity {
  return `${n}Gi`;
}
export function tebibytes(n: number): MemoryQuantity {
  return `${n}Ti`;
}
export function percent(n: number): Percent {
  return `${n}%`;
}

const QUANTITY = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity in base units (cores, bytes), or undefined if unparsable. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * MULTIPLIER[match[2] ?? '']!;
}
