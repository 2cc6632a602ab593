// The catalog the guardrails check against at compile time: the shipped EC2 catalog of the
// cluster's region (data/ec2-us-east-1.json and data/regions/, see data/README.md), built
// into instance types by the scheduling core. Built once per region and process.
import { buildInstanceTypes, LIST_PRICE_REGION } from '../../core/index.ts';
import { loadRegionCatalog } from '../../data/catalog.ts';
import { CatalogView } from './catalog-view.ts';

const views = new Map<string, CatalogView>();

/** The catalog view of `region` (default us-east-1). Throws NoRegionCatalogError when none is shipped. */
export function shippedCatalogView(region: string = LIST_PRICE_REGION): CatalogView {
  const hit = views.get(region);
  if (hit) return hit;
  const { raw, priceModel } = loadRegionCatalog(region);
  const view = new CatalogView(region, buildInstanceTypes(raw), priceModel);
  views.set(region, view);
  return view;
}
