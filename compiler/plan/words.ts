// Small helpers that turn values into the words of a plan: lists, amounts, labels.
import { canonicalJson } from '../../core/canonical.ts';
import {
  LABEL_ARCH,
  LABEL_CAPACITY_TYPE,
  LABEL_INSTANCE_CATEGORY,
  LABEL_INSTANCE_CPU,
  LABEL_INSTANCE_CPU_MANUFACTURER,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_GENERATION,
  LABEL_INSTANCE_GPU_COUNT,
  LABEL_INSTANCE_GPU_MANUFACTURER,
  LABEL_INSTANCE_GPU_MEMORY,
  LABEL_INSTANCE_GPU_NAME,
  LABEL_INSTANCE_HYPERVISOR,
  LABEL_INSTANCE_MEMORY,
  LABEL_INSTANCE_SIZE,
  LABEL_INSTANCE_TYPE,
  LABEL_OS,
  LABEL_ZONE,
} from '../../core/contract/labels.ts';

/** What a requirement on a well-known label constrains, in the plural a sentence needs. */
const REQUIREMENT_NOUNS: Readonly<Record<string, string>> = {
  [LABEL_CAPACITY_TYPE]: 'capacity types',
  [LABEL_INSTANCE_FAMILY]: 'instance families',
  [LABEL_INSTANCE_CATEGORY]: 'instance categories',
  [LABEL_INSTANCE_GENERATION]: 'instance generation',
  [LABEL_INSTANCE_SIZE]: 'instance sizes',
  [LABEL_INSTANCE_TYPE]: 'instance types',
  [LABEL_ZONE]: 'zones',
  [LABEL_ARCH]: 'architectures',
  [LABEL_OS]: 'operating systems',
  [LABEL_INSTANCE_CPU]: 'vCPUs',
  [LABEL_INSTANCE_MEMORY]: 'memory (MiB)',
  [LABEL_INSTANCE_CPU_MANUFACTURER]: 'CPU manufacturers',
  [LABEL_INSTANCE_GPU_COUNT]: 'GPUs per node',
  [LABEL_INSTANCE_GPU_NAME]: 'GPU models',
  [LABEL_INSTANCE_GPU_MANUFACTURER]: 'GPU manufacturers',
  [LABEL_INSTANCE_GPU_MEMORY]: 'GPU memory (MiB)',
  [LABEL_INSTANCE_HYPERVISOR]: 'hypervisors',
};

export function requirementNoun(key: string): string {
  return REQUIREMENT_NOUNS[key] ?? key;
}

/** `a, b and c`; long lists are cut: `a, b, c, … (12 in all)`. */
export function listWords(values: readonly string[], max = 8): string {
  if (values.length === 0) return 'none';
  if (values.length > max) return `${values.slice(0, max).join(', ')}, … (${values.length} in all)`;
  if (values.length === 1) return values[0]!;
  return `${values.slice(0, -1).join(', ')} and ${values[values.length - 1]}`;
}

/** A value as it reads in a sentence: strings bare, everything else as compact JSON. */
export function valueWords(value: unknown): string {
  if (value === undefined) return 'unset';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return canonicalJson(value);
}

export function dollarsPerHour(value: number | null): string {
  if (value === null) return 'unbounded';
  return `$${value >= 100 ? value.toFixed(0) : value.toFixed(2)}/h`;
}

export function signedDollars(delta: number): string {
  const sign = delta > 0.005 ? '+' : delta < -0.005 ? '-' : '±';
  return `${sign}$${Math.abs(delta).toFixed(2)}/h`;
}

export function signedCount(delta: number): string {
  return delta > 0 ? `+${delta}` : delta < 0 ? `${delta}` : '±0';
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
