// minValues: whether a new node's instance type options keep at least `minValues` distinct
// values of each requirement that asks for it (families, zones, capacity types, ...), as
// Karpenter's `--min-values-policy` checks a NodeClaim before it is launched. Strict: such
// a claim is not launched; BestEffort: its minValues are relaxed to what the options offer.

import type { Pod } from "../api/k8s.ts";
import { LABEL_CAPACITY_TYPE, LABEL_ZONE } from "../contract/labels.ts";
import { Requirements, type Requirement } from "../scheduling/requirements.ts";
import type { InstanceType, Offering } from "./instance-types.ts";

export type MinValuesPolicy = "Strict" | "BestEffort";
export const MIN_VALUES_POLICIES: readonly MinValuesPolicy[] = [
  "Strict",
  "BestEffort",
];

/** One requirement whose minValues the options do not meet. */
export interface MinValuesShortfall {
  readonly key: string;
  readonly minValues: number;
  /** The distinct values the options offer, sorted. */
  readonly offered: readonly string[];
}

interface OptionLike {
  readonly name: string;
  readonly offerings: readonly Pick<Offering, "zone" | "capacityType">[];
}

function valuesOf(
  key: string,
  option: OptionLike,
  labels: Readonly<Record<string, string>> | undefined,
): string[] {
  if (key === LABEL_ZONE) return option.offerings.map((o) => o.zone);
  if (key === LABEL_CAPACITY_TYPE)
    return option.offerings.map((o) => o.capacityType);
  const v = labels?.[key];
  return v === undefined ? [] : [v];
}

/** The minValues requirements the options fall short of (empty when every one is met). */
export function minValuesShortfalls(
  requirements: readonly Requirement[],
  options: readonly OptionLike[],
  labelsOf: (typeName: string) => Readonly<Record<string, string>> | undefined,
): MinValuesShortfall[] {
  const out: MinValuesShortfall[] = [];
  for (const r of requirements) {
    if (r.minValues === undefined) continue;
    const seen = new Set<string>();
    for (const o of options)
      for (const v of valuesOf(r.key, o, labelsOf(o.name))) seen.add(v);
    if (seen.size < r.minValues)
      out.push({
        key: r.key,
        minValues: r.minValues,
        offered: [...seen].sort(),
      });
  }
  return out;
}

/** The requirements with each short minValues lowered to what is offered (BestEffort). */
export function relaxMinValues(
  requirements: readonly Requirement[],
  shortfalls: readonly MinValuesShortfall[],
): Requirement[] {
  const short = new Map(shortfalls.map((s) => [s.key, s]));
  return requirements.map((r) => {
    const s = r.minValues !== undefined ? short.get(r.key) : undefined;
    if (!s) return r;
    const { minValues: _drop, ...rest } = r;
    return s.offered.length > 0
      ? { ...rest, minValues: s.offered.length }
      : rest;
  });
}

export function describeShortfall(pool: string, s: MinValuesShortfall): string {
  return `NodePool ${pool} requires at least ${s.minValues} distinct values of ${s.key} (minValues), but the instance types that fit offer ${s.offered.length}${s.offered.length > 0 ? ` (${s.offered.join(", ")})` : ""}`;
}

/** A shortfall as a message names it (describeShortfall's words), with its NodePool. */
export interface NamedShortfall extends MinValuesShortfall {
  readonly nodePool: string;
}

const SHORTFALL_WORDS =
  /NodePool (\S+) requires at least (\d+) distinct values of (\S+) \(minValues\), but the instance types that fit offer (\d+)(?: \(([^)]*)\))?/g;

/**
 * The shortfalls a message written with describeShortfall names (an Event's or a
 * decision's), so a reader of the message (`joinery explain pod`) gets them back as data.
 */
export function parseShortfalls(message: string): NamedShortfall[] {
  const out: NamedShortfall[] = [];
  for (const m of message.matchAll(SHORTFALL_WORDS)) {
    // describeShortfall lists the values only when some are offered: a parenthesis after
    // "offer 0" is the message's own (e.g. "(--min-values-policy Strict)").
    const offered = m[4] !== "0" && m[5] ? m[5].split(", ").filter((v) => v !== "") : [];
    out.push({ nodePool: m[1]!, key: m[3]!, minValues: Number(m[2]), offered });
  }
  return out;
}

/**
 * Whether `pod` on its own cannot meet `minValues` of `key` in a pool of `types`: its
 * nodeSelector or every required node-affinity term leaves fewer distinct values of the
 * key among the types than minValues asks for (a pod pinned to one family in a pool that
 * wants five). Such a pod cannot be provisioned under Strict, whatever it is packed with.
 */
export function podCannotMeetMinValues(
  pod: Pod,
  key: string,
  minValues: number,
  types: readonly InstanceType[],
): boolean {
  const spec = pod.spec;
  const selector = Requirements.fromLabels(spec.nodeSelector);
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  const alternatives =
    terms.length === 0
      ? [selector]
      : terms.map((t) =>
          selector.intersect(
            Requirements.of((t.matchExpressions ?? []) as Requirement[]),
          ),
        );
  const allowed = new Set<string>();
  for (const reqs of alternatives) {
    if (!reqs.has(key)) return false;
    const set = reqs.get(key);
    for (const t of types) {
      const values =
        key === LABEL_ZONE
          ? t.offerings.map((o) => o.zone)
          : key === LABEL_CAPACITY_TYPE
            ? t.offerings.map((o) => o.capacityType)
            : t.labels[key] !== undefined
              ? [t.labels[key]!]
              : [];
      for (const v of values) if (set.allows(v)) allowed.add(v);
    }
  }
  return allowed.size < minValues;
}
