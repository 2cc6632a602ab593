// The price model of `joinery plan`. On-demand prices are those of the cluster's region's
// catalog (core/catalog/regions.ts): the shipped us-east-1 list prices, the Price List API's
// prices for the region when plan may ask it, or else us-east-1's prices as a stated proxy.
// Spot prices are market data the repository does not ship: without a snapshot they come
// from a synthetic model (a seeded discount per family and zone, see defaultSpotPrice), and
// the plan says so; with `--spot-prices <file>` (the JSON of
// `aws ec2 describe-spot-price-history`), the latest Linux/UNIX price of each type and zone.
import { readFile } from 'node:fs/promises';
import { buildInstanceTypes, defaultSpotPrice, type InstanceType } from '../../core/catalog/instance-types.ts';
import type { RegionalCatalog } from '../../core/catalog/regions.ts';
import { loadRegionCatalog } from '../../data/catalog.ts';
import { WorkloadError } from './workload.ts';

export interface SpotPriceSnapshot {
  source: string;
  /** `type/zone` -> USD per hour. */
  prices: ReadonlyMap<string, number>;
  /** The newest timestamp in the snapshot (ISO), when it has one. */
  latest?: string;
}

export interface PriceModel {
  onDemand: string;
  spot: string;
  /** True when any spot price in the plan is synthetic. */
  spotSynthetic: boolean;
}

export const SYNTHETIC_SPOT =
  'synthetic: not market prices. Spot = on-demand x a seeded discount from 0.30 to 0.60 per instance family and zone; give --spot-prices <file> (aws ec2 describe-spot-price-history --output json) for real ones';
const ON_DEMAND = () => loadRegionCatalog('us-east-1').priceModel.description;

interface HistoryEntry {
  InstanceType?: unknown;
  AvailabilityZone?: unknown;
  SpotPrice?: unknown;
  ProductDescription?: unknown;
  Timestamp?: unknown;
}

/** Reads `aws ec2 describe-spot-price-history --output json`: the latest Linux/UNIX price per type and zone. */
export function parseSpotPrices(text: string, source: string): SpotPriceSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WorkloadError(source, `is not JSON: ${(error as Error).message}`);
  }
  const history = (json as { SpotPriceHistory?: unknown })?.SpotPriceHistory;
  if (!Array.isArray(history)) throw new WorkloadError(source, 'has no SpotPriceHistory list: give the output of aws ec2 describe-spot-price-history --output json');
  const newest = new Map<string, { price: number; at: string }>();
  let latest: string | undefined;
  for (const [i, raw] of history.entries()) {
    const e = raw as HistoryEntry;
    if (typeof e.ProductDescription === 'string' && !e.ProductDescription.startsWith('Linux/UNIX')) continue;
    const price = Number(e.SpotPrice);
    if (typeof e.InstanceType !== 'string' || typeof e.AvailabilityZone !== 'string' || !Number.isFinite(price) || price < 0) {
      throw new WorkloadError(source, `SpotPriceHistory[${i}] needs InstanceType, AvailabilityZone and a SpotPrice of 0 or more`);
    }
    const at = typeof e.Timestamp === 'string' ? e.Timestamp : '';
    const key = `${e.InstanceType}/${e.AvailabilityZone}`;
    const seen = newest.get(key);
    if (!seen || at > seen.at) newest.set(key, { price, at });
    if (at && (!latest || at > latest)) latest = at;
  }
  if (newest.size === 0) throw new WorkloadError(source, 'holds no Linux/UNIX spot price');
  return { source, prices: new Map([...newest].map(([k, v]) => [k, v.price])), ...(latest ? { latest } : {}) };
}

export async function readSpotPriceFile(path: string, shown: string): Promise<SpotPriceSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new WorkloadError(shown, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSpotPrices(text, shown);
}

/** The region's catalog (default us-east-1's) priced with the snapshot's spot prices (the synthetic model where it has none), and the model in words. */
export function pricedCatalog(snapshot: SpotPriceSnapshot | undefined, regional: RegionalCatalog = loadRegionCatalog('us-east-1')): { instanceTypes: InstanceType[]; priceModel: PriceModel } | undefined {
  if (!snapshot) return undefined;
  let fallbacks = 0;
  const instanceTypes = buildInstanceTypes(regional.raw, {
    spotPrice: (type, zone) => {
      const price = snapshot.prices.get(`${type.name}/${zone}`);
      if (price !== undefined) return type.usageClasses.includes('spot') ? price : undefined;
      const synthetic = defaultSpotPrice(type, zone);
      if (synthetic !== undefined) fallbacks += 1;
      return synthetic;
    },
  });
  const spot = `from ${snapshot.source} (${snapshot.prices.size} type-and-zone prices${snapshot.latest ? `, latest ${snapshot.latest}` : ''})${fallbacks > 0 ? `; the ${fallbacks} spot offerings it has no price for are synthetic (on-demand x a seeded discount from 0.30 to 0.60)` : ''}`;
  return { instanceTypes, priceModel: { onDemand: regional.priceModel.description, spot, spotSynthetic: fallbacks > 0 } };
}

/** Synthetic spot prices over the given on-demand model (default the shipped us-east-1 list prices). */
export function defaultPriceModel(onDemand: string = ON_DEMAND()): PriceModel {
  return { onDemand, spot: SYNTHETIC_SPOT, spotSynthetic: true };
}
