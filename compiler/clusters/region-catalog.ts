// The instance catalog of a cluster's region, for its guardrails and `plan`. joinery ships
// the us-east-1 catalog (data/README.md); a region without one is a compile error naming
// the cluster's declaration (declarations.ts), never a silent check against another
// region's instance types.
import type { CatalogView } from '../guardrails/catalog-view.ts';
import { shippedCatalogView } from '../guardrails/shipped-catalog.ts';

/** The regions joinery has an instance catalog for. */
export function catalogRegions(): string[] {
  return [shippedCatalogView().region];
}

export function regionCatalog(region: string): CatalogView | undefined {
  const shipped = shippedCatalogView();
  return shipped.region === region ? shipped : undefined;
}
