// The one I/O helper for the shipped EC2 catalogs: reads data/ec2-us-east-1.json,
// data/ec2-network-us-east-1.json and data/regions/<region>.json.gz (next to this file, see
// data/README.md) and hands the parsed JSON to core, which stays free of I/O. A region's
// file is read only when it is asked for.

import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RawCatalog } from '../core/index.ts';
import { LIST_PRICE_REGION, regionalCatalog, type RawRegionFile, type RegionalCatalog, type RegionalPrices } from '../core/catalog/regions.ts';

let cached: RawCatalog | undefined;
const regionFiles = new Map<string, RawRegionFile>();

/** The shipped us-east-1 catalog (1,345 instance types, on-demand prices). Parsed once per process. */
export function loadShippedCatalog(): RawCatalog {
  if (!cached) {
    const text = readFileSync(new URL('./ec2-us-east-1.json', import.meta.url), 'utf8');
    cached = JSON.parse(text) as RawCatalog;
    // Network cards and EFA interfaces (EC2NodeClass networkInterfaces) live in a file of their own.
    const network = JSON.parse(readFileSync(new URL('./ec2-network-us-east-1.json', import.meta.url), 'utf8')) as {
      instanceTypes: Record<string, { maximumNetworkCards: number; maximumEfaInterfaces: number }>;
    };
    for (const t of cached.instanceTypes) {
      const n = network.instanceTypes[t.name];
      if (n) Object.assign(t, n);
    }
  }
  return cached;
}

/** The regions a catalog is shipped for, sorted. */
export function shippedRegions(): string[] {
  const files = readdirSync(new URL('./regions/', import.meta.url)).filter((f) => f.endsWith('.json.gz'));
  return [LIST_PRICE_REGION, ...files.map((f) => f.slice(0, -'.json.gz'.length))].sort();
}

export class NoRegionCatalogError extends Error {
  constructor(readonly region: string) {
    super(`no EC2 catalog is shipped for region "${region}" (data/regions/ has ${shippedRegions().join(', ')})`);
  }
}

function regionFile(region: string): RawRegionFile {
  const hit = regionFiles.get(region);
  if (hit) return hit;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new NoRegionCatalogError(region);
  let bytes: Buffer;
  try {
    bytes = readFileSync(new URL(`./regions/${region}.json.gz`, import.meta.url));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NoRegionCatalogError(region);
    throw err;
  }
  const file = JSON.parse(gunzipSync(bytes).toString('utf8')) as RawRegionFile;
  regionFiles.set(region, file);
  return file;
}

/** Whether a catalog is shipped for the region (reads and keeps its file). */
export function hasRegionCatalog(region: string): boolean {
  if (region === LIST_PRICE_REGION) return true;
  try {
    regionFile(region);
    return true;
  } catch (err) {
    if (err instanceof NoRegionCatalogError) return false;
    throw err;
  }
}

/**
 * The catalog of a region, with its on-demand price model (core/catalog/regions.ts): the
 * list prices in us-east-1, us-east-1's prices as a stated proxy elsewhere, or `prices`
 * fetched from the Price List API. Throws NoRegionCatalogError for a region not shipped.
 */
export function loadRegionCatalog(region: string, prices?: RegionalPrices): RegionalCatalog {
  const base = loadShippedCatalog();
  return regionalCatalog(base, region === LIST_PRICE_REGION ? undefined : regionFile(region), prices);
}
