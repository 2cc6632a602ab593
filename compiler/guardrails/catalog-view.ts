// What a NodePool admits from an instance catalog: the instance types whose labels satisfy
// its requirements (and template labels) with an offering in an allowed zone and capacity
// type. Matching is the scheduling core's, so the guardrails and the solver agree.
import type { NodePool } from '../../core/api/karpenter.ts';
import { compatibleOfferings, instanceTypeIncompatibility, Requirements, type InstanceType, type OnDemandPriceModel } from '../../core/index.ts';

export interface AdmittedTypes {
  types: InstanceType[];
  /** Zone -> admitted types with an allowed offering there. */
  byZone: Map<string, InstanceType[]>;
}

export class CatalogView {
  private readonly cache = new WeakMap<NodePool, AdmittedTypes | undefined>();

  constructor(
    /** The catalog's region, e.g. us-east-1 (for messages). */
    readonly region: string,
    readonly instanceTypes: readonly InstanceType[],
    /** Where the on-demand prices come from (core/catalog/regions.ts); absent for a hand-built catalog. */
    readonly priceModel?: OnDemandPriceModel,
  ) {}

  /** Every zone any instance type is offered in. */
  zones(): string[] {
    return [...new Set(this.instanceTypes.flatMap((t) => t.offerings.map((o) => o.zone)))].sort();
  }

  /** The pool's admitted types, or undefined when its requirements cannot be read (reported elsewhere). */
  admitted(nodePool: NodePool): AdmittedTypes | undefined {
    if (this.cache.has(nodePool)) return this.cache.get(nodePool);
    let requirements: Requirements;
    try {
      const template = nodePool.spec.template;
      requirements = Requirements.of(template.spec.requirements).intersect(Requirements.fromLabels(template.metadata?.labels));
    } catch {
      this.cache.set(nodePool, undefined);
      return undefined;
    }
    const types: InstanceType[] = [];
    const byZone = new Map<string, InstanceType[]>();
    for (const type of this.instanceTypes) {
      if (instanceTypeIncompatibility(type, requirements) !== undefined) continue;
      types.push(type);
      for (const zone of new Set(compatibleOfferings(type, requirements).map((o) => o.zone))) {
        const list = byZone.get(zone) ?? [];
        list.push(type);
        byZone.set(zone, list);
      }
    }
    const result = { types, byZone };
    this.cache.set(nodePool, result);
    return result;
  }
}

/** The highest on-demand (or any) price of a type, for messages about cost. */
export function maxPrice(type: InstanceType): number {
  return Math.max(0, ...type.offerings.map((o) => o.price));
}

export function mostExpensive(types: readonly InstanceType[]): InstanceType | undefined {
  let best: InstanceType | undefined;
  for (const type of types) if (!best || maxPrice(type) > maxPrice(best)) best = type;
  return best;
}

export function formatPrice(perHour: number): string {
  return `$${perHour >= 10 ? perHour.toFixed(0) : perHour.toFixed(2)}/h`;
}
