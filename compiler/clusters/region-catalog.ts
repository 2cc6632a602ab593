// The instance catalog of a cluster's region, for its guardrails and `plan`: the shipped
// catalog of that region (data/regions/, data/README.md). A region without one is a compile
// error naming the cluster's declaration (declarations.ts), never a silent check against
// another region's instance types.
import { hasRegionCatalog, shippedRegions } from '../../data/catalog.ts';
import type { CatalogView } from '../guardrails/catalog-view.ts';
import { shippedCatalogView } from '../guardrails/shipped-catalog.ts';

/** The regions joinery has an instance catalog for. */
export function catalogRegions(): string[] {
  return shippedRegions();
}

export function regionCatalog(region: string): CatalogView | undefined {
  return hasRegionCatalog(region) ? shippedCatalogView(region) : undefined;
}
