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
