// NodeOverlays: the instance types as the scheduler sees them, adjusted by the user's
// overlays before any scheduling decision (Karpenter's NodeOverlay, v1alpha1). An overlay
// whose requirements match an offering (the type's labels, the offering's zone and capacity
// type, the NodePool's name and template labels) sets its price (`price`) or changes it
// (`priceAdjustment`: `+0.05`, `-0.10`, `+15%`, `-10%`), and adds extended resources
// (`capacity`, e.g. hugepages-2Mi) to the capacity and allocatable of every matching type.
//
// Ordering, as upstream: overlays are merged by weight, the highest weight winning for each
// offering's price and for each capacity resource; nothing is summed. Two overlays of the
// same weight that would set the same offering's price (or the same resource of the same
// type) differently conflict: the one later in name order is not applied anywhere (fail
// open) and its Ready condition says why. An invalid overlay is not applied either.
//
// Prices are never below 0 (a `-0.50` adjustment of a $0.20 offering prices it at $0).

import type { NodeOverlay } from '../api/node-overlay.ts';
import { LABEL_CAPACITY_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from '../contract/labels.ts';
import { parseResourceQuantity, tryParseQuantity } from '../resources/quantity.ts';
import { Requirements, RequirementError } from '../scheduling/requirements.ts';
import type { InstanceType, Offering } from './instance-types.ts';

export type PriceAdjustment =
  | { readonly kind: 'delta'; readonly amount: number }
  | { readonly kind: 'percent'; readonly percent: number };

/** The CRD's pattern for priceAdjustment: a signed amount, `+N%`, `-N%` below 100, or `-100%`. */
const PRICE_ADJUSTMENT = /^(([+-]\d*\.?\d+)|(\+\d*\.?\d+%)|(-\d{1,2}(\.\d+)?%)|(-100%))$/;
/** The CRD's pattern for price: an unsigned decimal. */
const PRICE = /^\d+(\.\d+)?$/;

/** Resources an overlay may not add: the kubelet reports them itself. */
export const OVERLAY_RESTRICTED_RESOURCES: ReadonlySet<string> = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/** The adjustment `text` says, or undefined when it is not one the CRD accepts. */
export function parsePriceAdjustment(text: string): PriceAdjustment | undefined {
  if (typeof text !== 'string' || !PRICE_ADJUSTMENT.test(text)) return undefined;
  if (text.endsWith('%')) return { kind: 'percent', percent: Number(text.slice(0, -1)) };
  return { kind: 'delta', amount: Number(text) };
}

export function applyPriceAdjustment(price: number, adjustment: PriceAdjustment): number {
  const next = adjustment.kind === 'percent' ? price * (1 + adjustment.percent / 100) : price + adjustment.amount;
  return Math.max(0, next);
}

/** One problem of an overlay's spec, by field, with how to fix it. */
export interface OverlayProblem {
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

/** Why an overlay cannot be applied (empty when it can): what the CRD's schema and CEL rules refuse, and more. */
export function overlayProblems(spec: NodeOverlay['spec'] | undefined): OverlayProblem[] {
  const problems: OverlayProblem[] = [];
  if (!spec) return [{ field: 'spec', message: 'spec is missing', fix: 'give the overlay a spec with requirements' }];
  if (spec.priceAdjustment !== undefined && parsePriceAdjustment(spec.priceAdjustment) === undefined) {
    problems.push({
      field: 'spec.priceAdjustment',
      message: `priceAdjustment ${JSON.stringify(spec.priceAdjustment)} is neither a signed amount nor a percentage`,
      fix: 'write a signed amount such as "+0.05" or "-0.10", or a percentage such as "+15%" or "-10%" (a decrease is at most -100%)',
    });
  }
  if (spec.price !== undefined && (typeof spec.price !== 'string' || !PRICE.test(spec.price))) {
    problems.push({ field: 'spec.price', message: `price ${JSON.stringify(spec.price)} is not an unsigned decimal`, fix: 'write the price per hour as a decimal string such as "0.25"' });
  }
  if (spec.price !== undefined && spec.priceAdjustment !== undefined) {
    problems.push({ field: 'spec.priceAdjustment', message: "cannot set both 'price' and 'priceAdjustment'", fix: 'keep one: price replaces the offering price, priceAdjustment changes it' });
  }
  for (const [resource, quantity] of Object.entries(spec.capacity ?? {})) {
    const field = `spec.capacity[${JSON.stringify(resource)}]`;
    if (OVERLAY_RESTRICTED_RESOURCES.has(resource)) {
      problems.push({ field, message: `capacity may not set ${resource}: an overlay adds extended resources only`, fix: 'remove it; set kubeReserved or systemReserved on the EC2NodeClass to change what the kubelet reserves' });
    } else if (tryParseQuantity(quantity) === undefined || (tryParseQuantity(quantity) ?? 0) < 0) {
      problems.push({ field, message: `${JSON.stringify(quantity)} is not a quantity`, fix: 'write a quantity such as 1, "100Mi" or "2Gi"' });
    }
  }
  if (spec.weight !== undefined && (!Number.isInteger(spec.weight) || spec.weight < 1 || spec.weight > 10000)) {
    problems.push({ field: 'spec.weight', message: `weight ${spec.weight} is not an integer from 1 to 10000`, fix: 'use a whole number from 1 to 10000, or leave it out' });
  }
  try {
    Requirements.of(spec.requirements ?? [], 'spec.requirements');
  } catch (e) {
    if (!(e instanceof RequirementError)) throw e;
    problems.push({ field: 'spec.requirements', message: e.message, fix: 'fix the requirement as in a NodePool (In/NotIn need values, Gt/Lt one integer)' });
  }
  return problems;
}

/** The NodePool an overlay is applied for: its name and template labels are matched too. */
export interface OverlayPool {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** What became of one overlay: applied, or why not. */
export interface OverlayOutcome {
  readonly name: string;
  /** Problems of the spec itself: the overlay is not applied (ValidationSucceeded=False). */
  readonly problems: readonly OverlayProblem[];
  /** The overlay it conflicts with (same weight, different values): not applied (Ready=False). */
  readonly conflictsWith?: string;
  readonly conflictDetail?: string;
}

interface Compiled {
  readonly overlay: NodeOverlay;
  readonly name: string;
  readonly weight: number;
  readonly reqs: Requirements;
  readonly price?: (base: number) => number;
  /** A comparable form of the price change, to tell a conflict from agreement. */
  readonly priceKey?: string;
  readonly capacity: ReadonlyMap<string, number>;
}

/** Highest weight first; equal weights by name, as upstream. */
function ordered(overlays: readonly NodeOverlay[]): NodeOverlay[] {
  return [...overlays].sort((a, b) => (b.spec?.weight ?? 0) - (a.spec?.weight ?? 0) || cmp(a.metadata.name ?? '', b.metadata.name ?? ''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compile(overlay: NodeOverlay): Compiled {
  const spec = overlay.spec;
  const capacity = new Map<string, number>();
  for (const [resource, q] of Object.entries(spec.capacity ?? {})) {
    // Quantities in base units (hugepages in bytes, like the catalog's memory).
    capacity.set(resource, parseResourceQuantity(resource, q));
  }
  let price: ((base: number) => number) | undefined;
  let priceKey: string | undefined;
  if (spec.price !== undefined) {
    const fixed = Number(spec.price);
    price = () => fixed;
    priceKey = `=${fixed}`;
  } else if (spec.priceAdjustment !== undefined) {
    const adj = parsePriceAdjustment(spec.priceAdjustment)!;
    price = (base) => applyPriceAdjustment(base, adj);
    priceKey = adj.kind === 'percent' ? `${adj.percent}%` : `${adj.amount}`;
  }
  return {
    overlay,
    name: overlay.metadata.name ?? '',
    weight: spec.weight ?? 0,
    reqs: Requirements.of(spec.requirements ?? [], 'spec.requirements'),
    capacity,
    ...(price ? { price, priceKey } : {}),
  };
}

function offeringLabels(type: InstanceType, offering: Offering, pool: OverlayPool): Record<string, string> {
  return { ...type.labels, ...(pool.labels ?? {}), [LABEL_NODEPOOL]: pool.name, [LABEL_ZONE]: offering.zone, [LABEL_CAPACITY_TYPE]: offering.capacityType };
}

/** An overlay matches a type for capacity when it matches one of the type's offerings. */
function matchesType(c: Compiled, type: InstanceType, pool: OverlayPool): boolean {
  return type.offerings.some((o) => c.reqs.matches(offeringLabels(type, o, pool)));
}

/** Where `a` and `b` (same weight) would disagree on `type`, if anywhere. */
function disagreement(a: Compiled, b: Compiled, type: InstanceType, pool: OverlayPool): string | undefined {
  if (a.priceKey !== undefined && b.priceKey !== undefined && a.priceKey !== b.priceKey) {
    for (const o of type.offerings) {
      const labels = offeringLabels(type, o, pool);
      if (a.reqs.matches(labels) && b.reqs.matches(labels)) return `the price of ${type.name} ${o.capacityType} in ${o.zone} (NodePool ${pool.name})`;
    }
  }
  for (const [resource, value] of a.capacity) {
    const other = b.capacity.get(resource);
    if (other === undefined || other === value) continue;
    if (matchesType(a, type, pool) && matchesType(b, type, pool)) return `${resource} of ${type.name} (NodePool ${pool.name})`;
  }
  return undefined;
}

/** The overlays as they stand: their problems and conflicts, and those that are applied. */
export interface ResolvedOverlays {
  /** Valid, conflict-free overlays, highest weight first. */
  readonly active: readonly NodeOverlay[];
  readonly outcomes: readonly OverlayOutcome[];
}

/**
 * Validates the overlays and finds their conflicts over every pool's instance types. An
 * overlay with a problem, or in conflict with one applied before it (same weight, earlier
 * name), is left out of `active`.
 */
export function resolveOverlays(overlays: readonly NodeOverlay[], targets: readonly { pool: OverlayPool; types: readonly InstanceType[] }[]): ResolvedOverlays {
  const outcomes: OverlayOutcome[] = [];
  const accepted: Compiled[] = [];
  for (const overlay of ordered(overlays)) {
    const name = overlay.metadata.name ?? '';
    const problems = overlayProblems(overlay.spec);
    if (problems.length > 0) {
      outcomes.push({ name, problems });
      continue;
    }
    const c = compile(overlay);
    let conflict: { with: string; detail: string } | undefined;
    for (const prior of accepted) {
      if (prior.weight !== c.weight) continue;
      for (const { pool, types } of targets) {
        for (const type of types) {
          const d = disagreement(prior, c, type, pool);
          if (d) {
            conflict = { with: prior.name, detail: d };
            break;
          }
        }
        if (conflict) break;
      }
      if (conflict) break;
    }
    if (conflict) {
      outcomes.push({ name, problems: [], conflictsWith: conflict.with, conflictDetail: conflict.detail });
      continue;
    }
    accepted.push(c);
    outcomes.push({ name, problems: [] });
  }
  return { active: accepted.map((c) => c.overlay), outcomes: outcomes.sort((a, b) => cmp(a.name, b.name)) };
}

/** How the overlays changed one pool's instance types. */
export interface OverlayEffect {
  readonly types: InstanceType[];
  /** Offerings whose price an overlay set, per overlay name. */
  readonly pricedOfferings: ReadonlyMap<string, number>;
  /** Instance types with an offering an overlay priced, per overlay name. */
  readonly pricedTypes: ReadonlyMap<string, ReadonlySet<string>>;
  /** Instance types an overlay added capacity to, per overlay name. */
  readonly extendedTypes: ReadonlyMap<string, number>;
}

/**
 * The instance types of `pool` with the overlays applied: for each offering the price of
 * the highest-weight overlay matching it that sets one; for each type and extended
 * resource the quantity of the highest-weight overlay matching it that sets the resource,
 * added to capacity and allocatable. `overlays` should be {@link ResolvedOverlays.active};
 * any invalid one is skipped. Types no overlay touches are returned as they are.
 */
export function applyOverlays(types: readonly InstanceType[], overlays: readonly NodeOverlay[], pool: OverlayPool): OverlayEffect {
  const compiled = ordered(overlays)
    .filter((o) => overlayProblems(o.spec).length === 0)
    .map(compile);
  const pricedOfferings = new Map<string, number>();
  const pricedTypes = new Map<string, Set<string>>();
  const extendedTypes = new Map<string, number>();
  if (compiled.length === 0) return { types: [...types], pricedOfferings, pricedTypes, extendedTypes };
  const out = types.map((type) => {
    let changed = false;
    const offerings = type.offerings.map((o) => {
      const labels = offeringLabels(type, o, pool);
      const winner = compiled.find((c) => c.price && c.reqs.matches(labels));
      if (!winner) return o;
      changed = true;
      pricedOfferings.set(winner.name, (pricedOfferings.get(winner.name) ?? 0) + 1);
      pricedTypes.set(winner.name, (pricedTypes.get(winner.name) ?? new Set<string>()).add(type.name));
      return { ...o, price: winner.price!(o.price) };
    });
    const extra: Record<string, number> = {};
    const matching = compiled.filter((c) => c.capacity.size > 0 && matchesType(c, type, pool));
    for (const c of matching) {
      let used = false;
      for (const [resource, value] of c.capacity) {
        if (resource in extra) continue;
        extra[resource] = value;
        used = true;
      }
      if (used) extendedTypes.set(c.name, (extendedTypes.get(c.name) ?? 0) + 1);
    }
    if (Object.keys(extra).length === 0 && !changed) return type;
    return {
      ...type,
      offerings,
      capacity: { ...type.capacity, ...extra },
      allocatable: { ...type.allocatable, ...extra },
    };
  });
  return { types: out, pricedOfferings, pricedTypes, extendedTypes };
}
