// The semantic diff of two compiled intents: NodePools and EC2NodeClasses matched by name,
// compared field by field (not as text lines), each change said in words. Fields with a
// meaning of their own get sentences ("spot removed from capacity types", "taint
// nvidia.com/gpu=true:NoSchedule removed"); every other field falls back to
// "<field> <before> -> <after>", so nothing the CRD can say is missed.
import type { EC2NodeClass, NodePool, NodeSelectorRequirementWithMinValues } from '../../core/api/karpenter.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { ACKNOWLEDGEMENT_ANNOTATION_PREFIX } from '../guardrails/ids.ts';
import type { IntentModel, IntentObject } from '../intent.ts';
import type { FieldChange, ObjectDiff, ObjectKind } from './types.ts';
import { byName, listWords, requirementNoun, valueWords } from './words.ts';

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: Json, b: Json): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Field-by-field differences of two JSON values, each in words. Arrays of scalars are compared as sets. */
function diffValues(path: string, before: Json, after: Json, out: FieldChange[] = []): FieldChange[] {
  if (same(before, after)) return out;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byName)) {
      diffValues(join(path, key), before[key], after[key], out);
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const scalar = (v: Json): boolean => v === null || typeof v !== 'object';
    if (before.every(scalar) && after.every(scalar)) {
      const b = before.map(valueWords);
      const a = after.map(valueWords);
      const added = a.filter((v) => !b.includes(v));
      const removed = b.filter((v) => !a.includes(v));
      const parts: string[] = [];
      if (added.length > 0) parts.push(`${listWords(added)} added`);
      if (removed.length > 0) parts.push(`${listWords(removed)} removed`);
      out.push({ field: path, summary: parts.length > 0 ? `${path}: ${parts.join(', ')}` : `${path} reordered`, before, after });
      return out;
    }
    if (before.length === after.length) {
      before.forEach((item, i) => diffValues(`${path}[${i}]`, item, after[i], out));
      return out;
    }
    const b = new Set(before.map((v) => canonicalJson(v)));
    const a = new Set(after.map((v) => canonicalJson(v)));
    for (const item of after) if (!b.has(canonicalJson(item))) out.push({ field: path, summary: `${path}: added ${valueWords(item)}`, after: item });
    for (const item of before) if (!a.has(canonicalJson(item))) out.push({ field: path, summary: `${path}: removed ${valueWords(item)}`, before: item });
    return out;
  }
  if (before === undefined) out.push({ field: path, summary: `${path} set to ${valueWords(after)}`, after });
  else if (after === undefined) out.push({ field: path, summary: `${path} removed (was ${valueWords(before)})`, before });
  else out.push({ field: path, summary: `${path} ${valueWords(before)} -> ${valueWords(after)}`, before, after });
  return out;
}

// ---------------------------------------------------------------------------------------
// Requirements: grouped by label key, said in terms of what the key constrains.

type Req = NodeSelectorRequirementWithMinValues;

const NUMERIC_OPERATORS = new Set(['Gt', 'Gte', 'Lt', 'Lte']);

/** Gt/Gte/Lt/Lte on one key as an inclusive integer range: "at least 2", "2 to 64", "exactly 1". */
function describeRange(reqs: readonly Req[]): string | undefined {
  let min: number | undefined;
  let max: number | undefined;
  for (const r of reqs) {
    const n = Number(r.values?.[0]);
    if (!Number.isInteger(n)) return undefined;
    if (r.operator === 'Gt' || r.operator === 'Gte') min = Math.max(min ?? -Infinity, r.operator === 'Gt' ? n + 1 : n);
    else max = Math.min(max ?? Infinity, r.operator === 'Lt' ? n - 1 : n);
  }
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${min}` : min > max ? `none (${min} to ${max})` : `${min} to ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${max}`;
}

function describeRequirements(reqs: readonly Req[]): string {
  const numeric = reqs.filter((r) => NUMERIC_OPERATORS.has(r.operator));
  const range = numeric.length > 0 ? describeRange(numeric) : undefined;
  const parts = (range !== undefined ? reqs.filter((r) => !NUMERIC_OPERATORS.has(r.operator)) : reqs).map((r) => {
    const values = r.values ?? [];
    const min = r.minValues !== undefined ? ` (at least ${r.minValues} distinct)` : '';
    switch (r.operator) {
      case 'In':
        return `${listWords([...values].sort(byName))}${min}`;
      case 'NotIn':
        return `not ${listWords([...values].sort(byName))}${min}`;
      case 'Exists':
        return `any value${min}`;
      case 'DoesNotExist':
        return 'no value';
      case 'Gt':
        return `> ${values[0]}`;
      case 'Gte':
        return `>= ${values[0]}`;
      case 'Lt':
        return `< ${values[0]}`;
      case 'Lte':
        return `<= ${values[0]}`;
      default:
        return `${String(r.operator)} ${values.join(', ')}`;
    }
  });
  if (range !== undefined) parts.unshift(range);
  return parts.join(' and ');
}

function requirementChange(key: string, before: readonly Req[], after: readonly Req[]): FieldChange | undefined {
  if (same(before, after)) return undefined;
  const noun = requirementNoun(key);
  const field = `requirements[${key}]`;
  if (before.length === 0) return { field, summary: `${noun} restricted to ${describeRequirements(after)}`, after };
  if (after.length === 0) return { field, summary: `${noun} no longer restricted (was ${describeRequirements(before)})`, before };
  const single = before.length === 1 && after.length === 1 && before[0]!.operator === after[0]!.operator ? before[0]!.operator : undefined;
  const b = before[0]!;
  const a = after[0]!;
  if ((single === 'In' || single === 'NotIn') && same(b.values ?? [], a.values ?? []) === false) {
    const bv = b.values ?? [];
    const av = a.values ?? [];
    const added = av.filter((v) => !bv.includes(v)).sort(byName);
    const removed = bv.filter((v) => !av.includes(v)).sort(byName);
    const parts: string[] = [];
    if (single === 'In') {
      if (removed.length > 0) parts.push(`${listWords(removed)} removed from ${noun}`);
      if (added.length > 0) parts.push(`${listWords(added)} added to ${noun}`);
    } else {
      if (added.length > 0) parts.push(`${listWords(added)} now excluded from ${noun}`);
      if (removed.length > 0) parts.push(`${listWords(removed)} no longer excluded from ${noun}`);
    }
    let summary = parts.join('; ');
    if (single === 'In') summary += ` (now ${listWords([...av].sort(byName))})`;
    if (b.minValues !== a.minValues) summary += `; minValues ${b.minValues ?? 'unset'} -> ${a.minValues ?? 'unset'}`;
    return { field, summary, before, after };
  }
  return { field, summary: `${noun}: ${describeRequirements(before)} -> ${describeRequirements(after)}`, before, after };
}

function groupByKey(reqs: readonly Req[] | undefined): Map<string, Req[]> {
  const groups = new Map<string, Req[]>();
  for (const r of reqs ?? []) groups.set(r.key, [...(groups.get(r.key) ?? []), r]);
  return groups;
}

function diffRequirements(before: readonly Req[] | undefined, after: readonly Req[] | undefined): FieldChange[] {
  const b = groupByKey(before);
  const a = groupByKey(after);
  const changes: FieldChange[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort(byName)) {
    const change = requirementChange(key, b.get(key) ?? [], a.get(key) ?? []);
    if (change) changes.push(change);
  }
  return changes;
}

// ---------------------------------------------------------------------------------------
// Taints, limits, acknowledgements.

interface TaintLike {
  key: string;
  value?: string;
  effect: string;
}

function taintWords(t: TaintLike): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function diffTaints(field: string, before: readonly TaintLike[] | undefined, after: readonly TaintLike[] | undefined): FieldChange[] {
  const noun = field === 'startupTaints' ? 'startup taint' : 'taint';
  const id = (t: TaintLike): string => `${t.key}:${t.effect}`;
  const b = new Map((before ?? []).map((t) => [id(t), t]));
  const a = new Map((after ?? []).map((t) => [id(t), t]));
  const changes: FieldChange[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort(byName)) {
    const was = b.get(key);
    const now = a.get(key);
    if (was && now && (was.value ?? '') === (now.value ?? '')) continue;
    if (!was) changes.push({ field, summary: `${noun} ${taintWords(now!)} added`, after: now });
    else if (!now) changes.push({ field, summary: `${noun} ${taintWords(was)} removed`, before: was });
    else changes.push({ field, summary: `${noun} ${was.key}:${was.effect} value ${was.value ?? '""'} -> ${now.value ?? '""'}`, before: was, after: now });
  }
  return changes;
}

function quantityEqual(resource: string, a: Json, b: Json): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return parseResourceQuantity(resource, a as string | number) === parseResourceQuantity(resource, b as string | number);
  } catch {
    return String(a) === String(b);
  }
}

function diffLimits(before: Record<string, string | number> | undefined, after: Record<string, string | number> | undefined): FieldChange[] {
  const changes: FieldChange[] = [];
  const b = before ?? {};
  const a = after ?? {};
  for (const resource of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort(byName)) {
    if (quantityEqual(resource, b[resource], a[resource])) continue;
    const field = join('limits', resource);
    if (b[resource] === undefined) changes.push({ field, summary: `${field} set to ${a[resource]}`, after: a[resource] });
    else if (a[resource] === undefined) changes.push({ field, summary: `${field} removed (was ${b[resource]}): no longer bounded by ${resource}`, before: b[resource] });
    else changes.push({ field, summary: `${field} ${b[resource]} -> ${a[resource]}`, before: b[resource], after: a[resource] });
  }
  return changes;
}

function diffObjectMetadata(before: { labels?: Record<string, string>; annotations?: Record<string, string> }, after: typeof before): FieldChange[] {
  const changes = diffValues('metadata.labels', before.labels ?? {}, after.labels ?? {});
  const acks = (m: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => k.startsWith(ACKNOWLEDGEMENT_ANNOTATION_PREFIX)));
  const others = (m: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !k.startsWith(ACKNOWLEDGEMENT_ANNOTATION_PREFIX)));
  changes.push(...diffValues('metadata.annotations', others(before.annotations), others(after.annotations)));
  const b = acks(before.annotations);
  const a = acks(after.annotations);
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort(byName)) {
    const rule = key.slice(ACKNOWLEDGEMENT_ANNOTATION_PREFIX.length);
    const field = `acknowledge.${rule}`;
    if (b[key] === a[key]) continue;
    if (b[key] === undefined) changes.push({ field, summary: `guardrail ${rule} acknowledged: "${a[key]}"`, after: a[key] });
    else if (a[key] === undefined) changes.push({ field, summary: `acknowledgement of guardrail ${rule} withdrawn`, before: b[key] });
    else changes.push({ field, summary: `reason for acknowledging ${rule} changed to "${a[key]}"`, before: b[key], after: a[key] });
  }
  return changes;
}

// ---------------------------------------------------------------------------------------
// Objects.

function omit<T extends object>(value: T | undefined, ...keys: string[]): Record<string, Json> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([k]) => !keys.includes(k)));
}

export function diffNodePool(before: NodePool, after: NodePool): FieldChange[] {
  const bt = before.spec.template;
  const at = after.spec.template;
  return [
    ...diffRequirements(bt.spec.requirements, at.spec.requirements),
    ...diffLimits(before.spec.limits, after.spec.limits),
    ...diffTaints('taints', bt.spec.taints, at.spec.taints),
    ...diffTaints('startupTaints', bt.spec.startupTaints, at.spec.startupTaints),
    ...diffValues('', omit(bt.spec, 'requirements', 'taints', 'startupTaints'), omit(at.spec, 'requirements', 'taints', 'startupTaints')),
    ...diffValues('', omit(bt.metadata), omit(at.metadata)),
    ...diffValues('', omit(before.spec, 'template', 'limits'), omit(after.spec, 'template', 'limits')),
    ...diffObjectMetadata(before.metadata, after.metadata),
  ];
}

function amiAliases(nodeClass: EC2NodeClass): string[] | undefined {
  const terms = nodeClass.spec?.amiSelectorTerms ?? [];
  if (terms.length === 0 || !terms.every((t) => typeof t.alias === 'string' && Object.keys(t).length === 1)) return undefined;
  return terms.map((t) => t.alias!);
}

export function diffEC2NodeClass(before: EC2NodeClass, after: EC2NodeClass): FieldChange[] {
  const changes: FieldChange[] = [];
  const b = amiAliases(before);
  const a = amiAliases(after);
  let skip: string[] = [];
  if (b && a && !same(b, a)) {
    changes.push({ field: 'amiSelectorTerms', summary: `AMI ${listWords(b)} -> ${listWords(a)}`, before: b, after: a });
    skip = ['amiSelectorTerms'];
  }
  changes.push(...diffValues('', omit(before.spec, ...skip), omit(after.spec, ...skip)));
  changes.push(...diffObjectMetadata(before.metadata, after.metadata));
  return changes;
}

function diffKind<T>(
  kind: ObjectKind,
  before: readonly IntentObject<T>[],
  after: readonly IntentObject<T>[],
  fields: (b: T, a: T) => FieldChange[],
): ObjectDiff[] {
  const b = new Map(before.map((o) => [o.name, o]));
  const a = new Map(after.map((o) => [o.name, o]));
  const diffs: ObjectDiff[] = [];
  for (const name of [...new Set([...b.keys(), ...a.keys()])].sort(byName)) {
    const was = b.get(name);
    const now = a.get(name);
    if (!was) diffs.push({ kind, name, change: 'added', fields: [], source: sourceWords(now!) });
    else if (!now) diffs.push({ kind, name, change: 'removed', fields: [], source: sourceWords(was) });
    else {
      const changes = fields(was.manifest, now.manifest);
      if (changes.length > 0) diffs.push({ kind, name, change: 'changed', fields: changes, source: sourceWords(now) });
    }
  }
  return diffs;
}

function sourceWords(o: IntentObject<unknown>): string {
  return o.source.line !== undefined ? `${o.source.file}:${o.source.line}` : o.source.file;
}

/** Added, removed and changed NodePools and EC2NodeClasses, by name. */
export function diffIntents(base: IntentModel, head: IntentModel): ObjectDiff[] {
  return [
    ...diffKind('NodePool', base.nodePools, head.nodePools, diffNodePool),
    ...diffKind('EC2NodeClass', base.ec2NodeClasses, head.ec2NodeClasses, diffEC2NodeClass),
  ];
}
