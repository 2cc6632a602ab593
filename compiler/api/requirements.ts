// The ergonomic side of NodePool requirements: instance categories, families, sizes, vCPU
// and memory ranges... each becomes one Karpenter requirement on a well-known label, and
// the raw `requirements` escape hatch keeps everything the CRD can say.
import type { NodeSelectorRequirementWithMinValues } from '../../core/api/karpenter.ts';
import type { ValueIssue } from './construct-info.ts';
import { LabelKey, type WellKnownLabelKey } from './labels.ts';
import { type MemoryQuantity } from './values.ts';
import { tryParseQuantity } from '../../core/resources/quantity.ts';
import { type CapacityType } from '../../core/contract/index.ts';

export type InstanceCategory =
  | 'a' | 'c' | 'd' | 'f' | 'g' | 'gr' | 'h' | 'hpc' | 'i' | 'im' | 'inf' | 'is' | 'm' | 'p' | 'r' | 't' | 'trn' | 'u'
  | 'vt' | 'x' | 'z'
  | (string & {});
export type InstanceSize =
  | 'nano' | 'micro' | 'small' | 'medium' | 'large' | 'xlarge' | '2xlarge' | '3xlarge' | '4xlarge' | '6xlarge'
  | '8xlarge' | '9xlarge' | '12xlarge' | '16xlarge' | '18xlarge' | '24xlarge' | '32xlarge' | '48xlarge' | 'metal'
  | (string & {});
export type Architecture = 'amd64' | 'arm64';
export type OperatingSystem = 'linux' | 'windows';
export type { CapacityType };
export type CpuManufacturer = 'intel' | 'amd' | 'aws';
export type GpuManufacturer = 'nvidia' | 'amd' | (string & {});
export type RequirementOperator = NodeSelectorRequirementWithMinValues['operator'];

/** An inclusive range: `{ min: 4, max: 32 }` is 4 to 32. */
export interface Range<T> {
  min?: T;
  max?: T;
}

export interface GpuSelection {
  /** GPUs per instance. */
  count?: Range<number>;
  /** GPU model names as Karpenter labels them, lower case: `t4`, `a10g`, `l4`, `h100`. */
  names?: readonly string[];
  manufacturers?: readonly GpuManufacturer[];
  /** GPU memory per GPU. */
  memory?: Range<MemoryQuantity>;
}

/** Which label of a selection `minValues` applies to. */
export type FlexibilityDimension = 'categories' | 'families' | 'generations' | 'sizes' | 'types';

export interface InstanceSelection {
  /** Instance categories, the letters before the generation: `c`, `m`, `r`, `g`, `p`. */
  categories?: readonly InstanceCategory[];
  /** Instance families: `m7i`, `c7g`, `g6`. */
  families?: readonly string[];
  excludeFamilies?: readonly string[];
  /** Instance generations (the digit in `m7i`), inclusive. */
  generation?: Range<number>;
  sizes?: readonly InstanceSize[];
  excludeSizes?: readonly InstanceSize[];
  /** Explicit instance types: `m7i.xlarge`. */
  types?: readonly string[];
  excludeTypes?: readonly string[];
  /** vCPUs per instance, inclusive. */
  cpu?: Range<number>;
  /** Memory per instance, inclusive. */
  memory?: Range<MemoryQuantity>;
  cpuManufacturers?: readonly CpuManufacturer[];
  hypervisors?: readonly ('nitro' | 'xen')[];
  gpu?: GpuSelection;
  /**
   * Flexibility: Karpenter must keep at least this many distinct values of the label open
   * when it launches (spot capacity is only reliable across many pools), e.g.
   * `{ families: 5 }`. Without an explicit list the requirement is `Exists` with minValues.
   */
  minValues?: Partial<Record<FlexibilityDimension, number>>;
}

/** A raw Karpenter requirement: any label key, any operator. */
export interface Requirement {
  key: WellKnownLabelKey | (string & {});
  operator: RequirementOperator;
  values?: readonly string[];
  minValues?: number;
}

const FLEXIBILITY_KEYS: Readonly<Record<FlexibilityDimension, WellKnownLabelKey>> = {
  categories: LabelKey.instanceCategory,
  families: LabelKey.instanceFamily,
  generations: LabelKey.instanceGeneration,
  sizes: LabelKey.instanceSize,
  types: LabelKey.instanceType,
};

export interface RequirementsInput {
  instances?: InstanceSelection;
  architectures?: readonly Architecture[];
  operatingSystems?: readonly OperatingSystem[];
  capacityTypes?: readonly CapacityType[];
  zones?: readonly string[];
  requirements?: readonly Requirement[];
}

class RequirementBuilder {
  readonly requirements: NodeSelectorRequirementWithMinValues[] = [];
  readonly issues: ValueIssue[] = [];

  values(field: string, key: string, operator: 'In' | 'NotIn', values: readonly string[] | undefined): void {
    if (values === undefined) return;
    if (values.length === 0) {
      this.issues.push({
        field,
        message: `${field} is an empty list`,
        fix: operator === 'In' ? `list at least one value, or remove ${field} to allow any` : `remove ${field}`,
      });
      return;
    }
    this.requirements.push({ key, operator, values: [...new Set(values.map(String))] });
  }

  /** An inclusive integer range as Gt (min - 1) and Lt (max + 1), which every Karpenter v1 accepts. */
  range(field: string, key: string, range: Range<number> | undefined): void {
    if (!range) return;
    const { min, max } = range;
    for (const [bound, value] of [['min', min], ['max', max]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        this.issues.push({ field: `${field}.${bound}`, message: `${field}.${bound} must be a non-negative integer, got ${value}`, fix: `use a whole number such as ${Math.max(0, Math.round(Number(value) || 0))}` });
        return;
      }
    }
    if (min !== undefined && max !== undefined && min > max) {
      this.issues.push({ field, message: `${field}.min (${min}) is greater than ${field}.max (${max})`, fix: `swap them, or widen the range` });
      return;
    }
    if (min !== undefined && min > 0) this.requirements.push({ key, operator: 'Gt', values: [String(min - 1)] });
    if (max !== undefined) this.requirements.push({ key, operator: 'Lt', values: [String(max + 1)] });
  }

  /** A memory range, in MiB as Karpenter's memory labels count it. */
  memoryRange(field: string, key: string, range: Range<MemoryQuantity> | undefined): void {
    if (!range) return;
    const mib: Range<number> = {};
    for (const bound of ['min', 'max'] as const) {
      const value = range[bound];
      if (value === undefined) continue;
      const bytes = tryParseQuantity(value);
      if (bytes === undefined || bytes < 0) {
        this.issues.push({ field: `${field}.${bound}`, message: `${field}.${bound} "${value}" is not a memory quantity`, fix: `write it like "16Gi" or "512Mi"` });
        return;
      }
      mib[bound] = bound === 'min' ? Math.ceil(bytes / 2 ** 20) : Math.floor(bytes / 2 ** 20);
    }
    this.range(field, key, mib);
  }
}

/** The requirements a NodePool's props describe, in the order written, with any invalid values. */
export function buildRequirements(input: RequirementsInput): { requirements: NodeSelectorRequirementWithMinValues[]; issues: ValueIssue[] } {
  const b = new RequirementBuilder();
  const i = input.instances ?? {};
  b.values('instances.categories', LabelKey.instanceCategory, 'In', i.categories);
  b.values('instances.families', LabelKey.instanceFamily, 'In', i.families);
  b.values('instances.excludeFamilies', LabelKey.instanceFamily, 'NotIn', i.excludeFamilies);
  b.range('instances.generation', LabelKey.instanceGeneration, i.generation);
  b.values('instances.sizes', LabelKey.instanceSize, 'In', i.sizes);
  b.values('instances.excludeSizes', LabelKey.instanceSize, 'NotIn', i.excludeSizes);
  b.values('instances.types', LabelKey.instanceType, 'In', i.types);
  b.values('instances.excludeTypes', LabelKey.instanceType, 'NotIn', i.excludeTypes);
  b.range('instances.cpu', LabelKey.instanceCpu, i.cpu);
  b.memoryRange('instances.memory', LabelKey.instanceMemory, i.memory);
  b.values('instances.cpuManufacturers', LabelKey.instanceCpuManufacturer, 'In', i.cpuManufacturers);
  b.values('instances.hypervisors', LabelKey.instanceHypervisor, 'In', i.hypervisors);
  if (i.gpu) {
    b.range('instances.gpu.count', LabelKey.instanceGpuCount, i.gpu.count ?? { min: 1 });
    b.values('instances.gpu.names', LabelKey.instanceGpuName, 'In', i.gpu.names?.map((n) => n.toLowerCase()));
    b.values('instances.gpu.manufacturers', LabelKey.instanceGpuManufacturer, 'In', i.gpu.manufacturers?.map((n) => n.toLowerCase()));
    b.memoryRange('instances.gpu.memory', LabelKey.instanceGpuMemory, i.gpu.memory);
  }
  b.values('architectures', LabelKey.arch, 'In', input.architectures);
  b.values('operatingSystems', LabelKey.os, 'In', input.operatingSystems);
  b.values('capacityTypes', LabelKey.capacityType, 'In', input.capacityTypes);
  b.values('zones', LabelKey.zone, 'In', input.zones);

  for (const [index, raw] of (input.requirements ?? []).entries()) {
    const requirement: NodeSelectorRequirementWithMinValues = { key: raw.key, operator: raw.operator };
    if (raw.values !== undefined) requirement.values = [...raw.values];
    if (raw.minValues !== undefined) requirement.minValues = raw.minValues;
    const field = `requirements[${index}]`;
    const count = raw.values?.length ?? 0;
    if ((raw.operator === 'In' || raw.operator === 'NotIn') && count === 0) {
      b.issues.push({ field: `${field}.values`, message: `${raw.operator} on "${raw.key}" needs at least one value`, fix: `list the values, or use Exists` });
    } else if ((raw.operator === 'Exists' || raw.operator === 'DoesNotExist') && count > 0) {
      b.issues.push({ field: `${field}.values`, message: `${raw.operator} on "${raw.key}" takes no values`, fix: `remove values, or use In` });
    } else if (['Gt', 'Lt', 'Gte', 'Lte'].includes(raw.operator) && (count !== 1 || !/^[0-9]+$/.test(raw.values?.[0] ?? ''))) {
      b.issues.push({ field: `${field}.values`, message: `${raw.operator} on "${raw.key}" needs exactly one non-negative integer value`, fix: `write values: ['4']` });
    }
    b.requirements.push(requirement);
  }

  for (const [dimension, minValues] of Object.entries(i.minValues ?? {}) as [FlexibilityDimension, number][]) {
    const field = `instances.minValues.${dimension}`;
    if (!Number.isInteger(minValues) || minValues < 1 || minValues > 50) {
      b.issues.push({ field, message: `${field} must be an integer from 1 to 50, got ${minValues}`, fix: 'use a small whole number such as 3 or 5' });
      continue;
    }
    const key = FLEXIBILITY_KEYS[dimension];
    const listed = b.requirements.find((r) => r.key === key && r.operator === 'In');
    if (listed) {
      if ((listed.values?.length ?? 0) < minValues) {
        b.issues.push({ field, message: `${field} is ${minValues} but only ${listed.values?.length ?? 0} ${dimension} are listed`, fix: `list at least ${minValues} ${dimension}, or lower minValues` });
        continue;
      }
      listed.minValues = minValues;
    } else {
      b.requirements.push({ key, operator: 'Exists', minValues });
    }
  }
  return { requirements: b.requirements, issues: b.issues };
}

const OPERATOR_ORDER: readonly RequirementOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Gte', 'Lt', 'Lte'];

/** Requirements in a canonical order (by key, then operator) with sorted values: stable diffs. */
export function canonicalRequirements(requirements: readonly NodeSelectorRequirementWithMinValues[]): NodeSelectorRequirementWithMinValues[] {
  return requirements
    .map((r) => (r.values && (r.operator === 'In' || r.operator === 'NotIn') ? { ...r, values: [...r.values].sort() } : { ...r }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || OPERATOR_ORDER.indexOf(a.operator) - OPERATOR_ORDER.indexOf(b.operator));
}
