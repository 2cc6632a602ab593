// Label requirements as Karpenter models them: each key maps to the set of values a node
// may carry for it (In, NotIn, Exists, DoesNotExist, Gt, Lt), sets intersect, and a set
// also says whether a node without the label satisfies it (NotIn and DoesNotExist do).

import type { NodeSelectorRequirement } from '../api/k8s.ts';
import { isWellKnownLabel } from '../contract/labels.ts';

/** Gte and Lte are the Karpenter v1 NodePool additions; on integers Gte n is Gt n-1. */
export type RequirementOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | 'Gte' | 'Lte';
export const REQUIREMENT_OPERATORS: readonly RequirementOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Gte', 'Lte'];

export interface Requirement {
  key: string;
  operator: RequirementOperator;
  values?: string[];
  /** Karpenter: a new node must keep at least this many distinct values among its instance type options. */
  minValues?: number;
}

export class RequirementError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'RequirementError';
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function parseInteger(value: string): number | undefined {
  if (!/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The values one key may take. Immutable. */
export class ValueSet {
  private constructor(
    /** true: every value except `values` (within the bounds); false: exactly `values`. */
    readonly complement: boolean,
    readonly values: ReadonlySet<string>,
    /** A node without the label satisfies the requirement. */
    readonly absentAllowed: boolean,
    readonly greaterThan: number | undefined,
    readonly lessThan: number | undefined,
    readonly minValues: number | undefined,
  ) {}

  static readonly ANY_OR_ABSENT = new ValueSet(true, EMPTY, true, undefined, undefined, undefined);

  static of(values: Iterable<string>): ValueSet {
    return new ValueSet(false, new Set(values), false, undefined, undefined, undefined);
  }

  /** Builds the set of a requirement; `field` names it in errors. */
  static fromRequirement(r: Requirement | NodeSelectorRequirement, field = 'requirement'): ValueSet {
    const values = r.values ?? [];
    const minValues = 'minValues' in r ? r.minValues : undefined;
    const bound = (): number => {
      if (values.length !== 1) throw new RequirementError(`${field}.values`, `operator ${r.operator} needs exactly one integer value, got ${values.length}`);
      const n = parseInteger(values[0]!);
      if (n === undefined) throw new RequirementError(`${field}.values[0]`, `operator ${r.operator} needs an integer, got "${values[0]}"`);
      return n;
    };
    switch (r.operator) {
      case 'In':
        if (values.length === 0) throw new RequirementError(`${field}.values`, 'operator In needs at least one value');
        return new ValueSet(false, new Set(values), false, undefined, undefined, minValues);
      case 'NotIn':
        return new ValueSet(true, new Set(values), true, undefined, undefined, minValues);
      case 'Exists':
        return new ValueSet(true, EMPTY, false, undefined, undefined, minValues);
      case 'DoesNotExist':
        return new ValueSet(false, EMPTY, true, undefined, undefined, minValues);
      case 'Gt':
        return new ValueSet(true, EMPTY, false, bound(), undefined, minValues);
      case 'Lt':
        return new ValueSet(true, EMPTY, false, undefined, bound(), minValues);
      case 'Gte':
        return new ValueSet(true, EMPTY, false, bound() - 1, undefined, minValues);
      case 'Lte':
        return new ValueSet(true, EMPTY, false, undefined, bound() + 1, minValues);
      default:
        throw new RequirementError(`${field}.operator`, `unknown operator "${r.operator}"; use one of ${REQUIREMENT_OPERATORS.join(', ')}`);
    }
  }

  private withinBounds(value: string): boolean {
    if (this.greaterThan === undefined && this.lessThan === undefined) return true;
    const n = parseInteger(value);
    if (n === undefined) return false;
    if (this.greaterThan !== undefined && !(n > this.greaterThan)) return false;
    if (this.lessThan !== undefined && !(n < this.lessThan)) return false;
    return true;
  }

  /** A node whose label has this value satisfies the set. */
  has(value: string): boolean {
    if (this.complement) return !this.values.has(value) && this.withinBounds(value);
    return this.values.has(value);
  }

  /** A node with this label value (undefined: no such label) satisfies the set. */
  allows(value: string | undefined): boolean {
    return value === undefined ? this.absentAllowed : this.has(value);
  }

  /** Some label value satisfies the set (absence aside). */
  hasSomeValue(): boolean {
    if (!this.complement) return this.values.size > 0;
    const lo = this.greaterThan;
    const hi = this.lessThan;
    if (lo === undefined || hi === undefined) return true;
    if (hi - lo - 1 > this.values.size) return true;
    for (let n = lo + 1; n < hi; n++) if (!this.values.has(String(n))) return true;
    return false;
  }

  /** Nothing satisfies the set: no value, and absence is not allowed either. */
  isEmpty(): boolean {
    return !this.absentAllowed && !this.hasSomeValue();
  }

  /** The one value a node must carry, when the set pins exactly one. */
  single(): string | undefined {
    if (this.complement || this.absentAllowed || this.values.size !== 1) return undefined;
    return this.values.values().next().value;
  }

  /** Finite sets: the values, sorted. Undefined for complements. */
  finiteValues(): string[] | undefined {
    return this.complement ? undefined : [...this.values].sort();
  }

  intersect(o: ValueSet): ValueSet {
    if (o === this || o === ValueSet.ANY_OR_ABSENT) return this;
    if (this === ValueSet.ANY_OR_ABSENT) return o;
    const absent = this.absentAllowed && o.absentAllowed;
    const gt = maxDefined(this.greaterThan, o.greaterThan);
    const lt = minDefined(this.lessThan, o.lessThan);
    const minValues = maxDefined(this.minValues, o.minValues);
    if (this.complement && o.complement) {
      const values = new Set(this.values);
      for (const v of o.values) values.add(v);
      return new ValueSet(true, values, absent, gt, lt, minValues);
    }
    const finite = this.complement ? o : this;
    const other = this.complement ? this : o;
    const values = new Set<string>();
    for (const v of finite.values) if (other.has(v)) values.add(v);
    return new ValueSet(false, values, absent, undefined, undefined, minValues);
  }

  /** The set as Kubernetes node selector requirements (one or two). */
  toRequirements(key: string): Requirement[] {
    const mv = this.minValues !== undefined ? { minValues: this.minValues } : {};
    const sorted = [...this.values].sort();
    if (!this.complement) {
      if (this.absentAllowed) return [{ key, operator: 'DoesNotExist', ...mv }];
      return [{ key, operator: 'In', values: sorted, ...mv }];
    }
    if (this.absentAllowed) return [{ key, operator: 'NotIn', values: sorted, ...mv }];
    const out: Requirement[] = [];
    if (this.greaterThan !== undefined) out.push({ key, operator: 'Gt', values: [String(this.greaterThan)], ...mv });
    if (this.lessThan !== undefined) out.push({ key, operator: 'Lt', values: [String(this.lessThan)], ...(out.length ? {} : mv) });
    if (out.length === 0) out.push({ key, operator: 'Exists', ...mv });
    if (sorted.length > 0) out.push({ key, operator: 'NotIn', values: sorted });
    return out;
  }

  /** A canonical text of the set, equal for equal sets. */
  signature(): string {
    const vals = [...this.values].sort().join(',');
    return `${this.complement ? '!' : ''}[${vals}]${this.absentAllowed ? '?' : ''}${this.greaterThan ?? ''}<>${this.lessThan ?? ''}#${this.minValues ?? ''}`;
  }
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * A set of requirements, at most one value set per key (several requirements on one key
 * intersect). Immutable: operations return new sets.
 */
export class Requirements {
  private sig: string | undefined;

  private constructor(private readonly sets: ReadonlyMap<string, ValueSet>) {}

  static readonly EMPTY = new Requirements(new Map());

  /** `field` names the requirements in errors, e.g. "spec.template.spec.requirements". */
  static of(reqs: readonly (Requirement | NodeSelectorRequirement)[] | undefined, field = 'requirements'): Requirements {
    if (!reqs || reqs.length === 0) return Requirements.EMPTY;
    const sets = new Map<string, ValueSet>();
    reqs.forEach((r, i) => {
      const set = ValueSet.fromRequirement(r, `${field}[${i}]`);
      const prev = sets.get(r.key);
      sets.set(r.key, prev ? prev.intersect(set) : set);
    });
    return new Requirements(sets);
  }

  /** Requirements pinning each label to its value (a nodeSelector, template labels). */
  static fromLabels(labels: Readonly<Record<string, string>> | undefined): Requirements {
    if (!labels) return Requirements.EMPTY;
    const sets = new Map<string, ValueSet>();
    for (const [k, v] of Object.entries(labels)) sets.set(k, ValueSet.of([v]));
    return new Requirements(sets);
  }

  get size(): number {
    return this.sets.size;
  }

  keys(): IterableIterator<string> {
    return this.sets.keys();
  }

  has(key: string): boolean {
    return this.sets.has(key);
  }

  /** The set of `key`; a key without requirement allows anything (or absence). */
  get(key: string): ValueSet {
    return this.sets.get(key) ?? ValueSet.ANY_OR_ABSENT;
  }

  entries(): IterableIterator<[string, ValueSet]> {
    return this.sets.entries();
  }

  /** Both requirement sets at once. May contain empty sets: check {@link emptyKey}. */
  intersect(other: Requirements): Requirements {
    if (other.sets.size === 0) return this;
    if (this.sets.size === 0) return other;
    const sets = new Map(this.sets);
    for (const [k, s] of other.sets) {
      const prev = sets.get(k);
      sets.set(k, prev ? prev.intersect(s) : s);
    }
    return new Requirements(sets);
  }

  with(key: string, set: ValueSet): Requirements {
    const sets = new Map(this.sets);
    const prev = sets.get(key);
    sets.set(key, prev ? prev.intersect(set) : set);
    return new Requirements(sets);
  }

  /** A key nothing can satisfy, if any. */
  emptyKey(): string | undefined {
    for (const [k, s] of this.sets) if (s.isEmpty()) return k;
    return undefined;
  }

  /**
   * Why a node described by these (node-side) requirements cannot satisfy `pod`, or
   * undefined when it can. As Karpenter: a key the node side does not constrain is
   * fine when the pod tolerates its absence or it is a well-known label (the instance
   * types and offerings give it values); custom labels must be set by the NodePool.
   */
  incompatibility(pod: Requirements, allowUndefinedWellKnown = true): string | undefined {
    for (const [key, want] of pod.sets) {
      const have = this.sets.get(key);
      if (have) {
        if (have.intersect(want).isEmpty()) return `${describeSet(key, want)} conflicts with ${describeSet(key, have)}`;
      } else if (!want.absentAllowed && !(allowUndefinedWellKnown && isWellKnownLabel(key))) {
        return `label "${key}" is required but no node would carry it`;
      }
    }
    return undefined;
  }

  compatible(pod: Requirements, allowUndefinedWellKnown = true): boolean {
    return this.incompatibility(pod, allowUndefinedWellKnown) === undefined;
  }

  /** A node with these labels satisfies every requirement. */
  matches(labels: Readonly<Record<string, string>>): boolean {
    for (const [key, set] of this.sets) if (!set.allows(labels[key])) return false;
    return true;
  }

  /** The labels these requirements pin to a single value. */
  pinnedLabels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, s] of this.sets) {
      const v = s.single();
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  /** As Kubernetes node selector requirements, sorted by key. */
  toArray(): Requirement[] {
    const out: Requirement[] = [];
    for (const k of [...this.sets.keys()].sort()) out.push(...this.sets.get(k)!.toRequirements(k));
    return out;
  }

  /** A canonical text, equal for equal requirement sets (for caching). */
  signature(): string {
    if (this.sig === undefined) {
      this.sig = [...this.sets.keys()]
        .sort()
        .map((k) => `${k}=${this.sets.get(k)!.signature()}`)
        .join(';');
    }
    return this.sig;
  }
}

export function describeSet(key: string, set: ValueSet): string {
  return set
    .toRequirements(key)
    .map((r) => (r.values && r.values.length ? `${r.key} ${r.operator} [${r.values.join(', ')}]` : `${r.key} ${r.operator}`))
    .join(' and ');
}
