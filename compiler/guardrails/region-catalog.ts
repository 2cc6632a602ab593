// Which catalog the guardrails, envelopes and `plan` use: the shipped catalog of the
// cluster's region (the ReconcilerDeployment's `region`; us-east-1 when the policies declare
// no reconciler). A region with no shipped catalog is a compile error at the `region:` line.
import { LIST_PRICE_REGION } from '../../core/index.ts';
import { hasRegionCatalog, shippedRegions } from '../../data/catalog.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { IntentModel } from '../intent.ts';
import type { CatalogView } from './catalog-view.ts';
import { shippedCatalogView } from './shipped-catalog.ts';

/** A region name as ReconcilerDeployment accepts it (others are reported there, not here). */
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

/** The cluster's region as the intent declares it, or us-east-1. */
export function intentRegion(model: IntentModel | undefined): string {
  return model?.reconcilerDeployment?.spec.region ?? LIST_PRICE_REGION;
}

/**
 * The catalog of the intent's region, or undefined (catalog guardrails skipped) with the
 * diagnostic that says why: no catalog is shipped for the region.
 */
export function catalogForIntent(model: IntentModel): { catalog: CatalogView | undefined; diagnostics: Diagnostic[] } {
  const region = intentRegion(model);
  if (hasRegionCatalog(region)) return { catalog: shippedCatalogView(region), diagnostics: [] };
  const deployment = model.reconcilerDeployment;
  if (!REGION.test(region)) return { catalog: undefined, diagnostics: [] };
  const source = deployment?.source ?? (deployment ? { file: deployment.policyFile } : {});
  return {
    catalog: undefined,
    diagnostics: [
      {
        severity: 'error',
        code: 'no-catalog-for-region',
        message: `no EC2 catalog is shipped for region "${region}": instance types, zones and prices there are unknown, so guardrails, envelopes and plan cannot be checked`,
        fix: `use a region joinery ships a catalog for (${shippedRegions().join(', ')}), or add data/regions/${region}.json.gz with data/gen/ec2_regions.py (data/README.md)`,
        ...source,
        object: { kind: 'ReconcilerDeployment', name: deployment?.spec.name ?? region },
        field: 'region',
      },
    ],
  };
}
