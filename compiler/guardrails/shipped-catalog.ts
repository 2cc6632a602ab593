// The catalog the guardrails check against at compile time: the shipped us-east-1 EC2
// catalog (data/ec2-us-east-1.json, see data/README.md), built into instance types by the
// scheduling core. Built once per process.
import { buildInstanceTypes } from '../../core/index.ts';
import { loadShippedCatalog } from '../../data/catalog.ts';
import { CatalogView } from './catalog-view.ts';

let shipped: CatalogView | undefined;

export function shippedCatalogView(): CatalogView {
  if (shipped) return shipped;
  const raw = loadShippedCatalog();
  shipped = new CatalogView(raw.meta?.region ?? 'us-east-1', buildInstanceTypes(raw));
  return shipped;
}
