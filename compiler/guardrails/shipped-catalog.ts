// The catalog the guardrails check against at compile time: the shipped us-east-1 EC2
// catalog (data/ec2-us-east-1.json, see data/README.md), built into instance types by the
// scheduling core. Loaded once per process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildInstanceTypes } from '../../core/catalog/instance-types.ts';
import type { RawCatalog } from '../../core/catalog/raw-catalog.ts';
import { CatalogView } from './catalog-view.ts';

const CATALOG_PATH = fileURLToPath(new URL('../../data/ec2-us-east-1.json', import.meta.url));

let shipped: CatalogView | undefined;

export function shippedCatalogView(): CatalogView {
  if (shipped) return shipped;
  const raw = JSON.parse(readFileSync(CATALOG_PATH, 'utf8')) as RawCatalog;
  shipped = new CatalogView(raw.meta?.region ?? 'us-east-1', buildInstanceTypes(raw));
  return shipped;
}
