// The EC2 catalog of any region, composed from the shipped files: data/ec2-us-east-1.json
// (specs of 1,345 types, us-east-1's zones and list prices) and data/regions/<region>.json.gz
// (the region's zones, which type is offered in which zone, and the specs of the types
// us-east-1 does not have). Instance type specs are the same in every region; offerings and
// prices are not. Pure: data/catalog.ts reads the files.
//
// On-demand prices of a region are one of three models, and the catalog says which:
//   list             us-east-1: the list prices Karpenter ships (data/README.md)
//   price-list-api   prices the AWS Price List API gave for the region (GetProducts), as
//                    Karpenter's pricing controller fetches them at run time
//   us-east-1-proxy  offline, any other region: each type at its us-east-1 list price.
//                    This is Karpenter's own fallback (its pricing provider starts from the
//                    static us-east-1 table when it ships none for the region, until the
//                    Price List API answers). Not the region's prices: they differ by region.
// A type with no price under the model has no offering (Karpenter cannot launch a type it
// cannot price either) and is counted in `unpriced`.
import type { RawCatalog, RawInstanceType } from './raw-catalog.ts';

/** The region the full catalog (specs and list prices) is shipped for. */
export const LIST_PRICE_REGION = 'us-east-1';

/** data/regions/<region>.json.gz, as data/gen/ec2_regions.py writes it. */
export interface RawRegionFile {
  meta: { region: string; count?: number; [k: string]: unknown };
  /** The region's availability zones; offerings index into them. */
  zones: string[];
  /** Instance type -> indexes into `zones` where it is offered. */
  offerings: Record<string, number[]>;
  /** Specs (no zones, no price) of the offered types data/ec2-us-east-1.json does not describe. */
  types: Omit<RawInstanceType, 'zones' | 'onDemandPricePerHour'>[];
}

export type OnDemandPriceModelKind = 'list' | 'price-list-api' | 'us-east-1-proxy';

export interface OnDemandPriceModel {
  kind: OnDemandPriceModelKind;
  region: string;
  /** Offered types left out because the model has no price for them. */
  unpriced: number;
  /** The model in words, for `plan` and logs. */
  description: string;
}

/** On-demand prices fetched for a region (USD per hour by type), and where they came from. */
export interface RegionalPrices {
  prices: ReadonlyMap<string, number>;
  /** e.g. "the AWS Price List API (GetProducts), fetched 2026-12-06T18:00:00Z". */
  source: string;
}

export interface RegionalCatalog {
  raw: RawCatalog;
  priceModel: OnDemandPriceModel;
}

export function describePriceModel(kind: OnDemandPriceModelKind, region: string, unpriced: number, source?: string): string {
  const left = unpriced > 0 ? `; ${unpriced} types offered in ${region} have no price under it and are left out` : '';
  switch (kind) {
    case 'list':
      return `the shipped ${region} on-demand list prices (Linux; data/README.md)${left}`;
    case 'price-list-api':
      return `${region}'s on-demand prices (Linux, shared tenancy) from ${source ?? 'the AWS Price List API'}${left}`;
    case 'us-east-1-proxy':
      return (
        `derived, not ${region}'s prices: each type at its us-east-1 on-demand list price, as Karpenter prices a region it ships no table for ` +
        `until the AWS Price List API answers; ${region}'s own prices differ${left}. ` +
        `With AWS credentials, --price-list asks the Price List API for ${region}'s prices`
      );
  }
}

/**
 * The catalog of `region`: `base` is data/ec2-us-east-1.json, `file` the region's offerings
 * (absent for us-east-1 itself, whose zones are in `base`). `prices` (from the Price List
 * API) replace the model's prices when given.
 */
export function regionalCatalog(base: RawCatalog, file: RawRegionFile | undefined, prices?: RegionalPrices): RegionalCatalog {
  const region = file?.meta.region ?? (typeof base.meta?.region === 'string' ? base.meta.region : LIST_PRICE_REGION);
  const kind: OnDemandPriceModelKind = prices ? 'price-list-api' : region === LIST_PRICE_REGION ? 'list' : 'us-east-1-proxy';
  const baseByName = new Map(base.instanceTypes.map((t) => [t.name, t]));
  const priceOf = (name: string): number | null => {
    if (prices) return prices.prices.get(name) ?? null;
    return baseByName.get(name)?.onDemandPricePerHour ?? null;
  };

  let instanceTypes: RawInstanceType[];
  if (!file) {
    instanceTypes = base.instanceTypes.map((t) => ({ ...t, onDemandPricePerHour: priceOf(t.name) }));
  } else {
    const extra = new Map(file.types.map((t) => [t.name, t]));
    instanceTypes = [];
    for (const [name, indexes] of Object.entries(file.offerings)) {
      const spec = baseByName.get(name) ?? extra.get(name);
      if (!spec) continue;
      const zones = indexes.map((i) => file.zones[i]).filter((z): z is string => z !== undefined);
      instanceTypes.push({ ...spec, zones, onDemandPricePerHour: priceOf(name) });
    }
    instanceTypes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const unpriced = instanceTypes.filter((t) => t.onDemandPricePerHour == null).length;
  const priceModel: OnDemandPriceModel = { kind, region, unpriced, description: describePriceModel(kind, region, unpriced, prices?.source) };
  return {
    raw: { meta: { region, count: instanceTypes.length, onDemandPriceModel: kind }, instanceTypes },
    priceModel,
  };
}
