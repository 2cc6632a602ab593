// `joinery plan`: what a policy change will do to capacity and cost. Compiles base and head
// with the compiler's own pipeline, then reports the semantic diff of the compiled objects,
// each pool's capacity envelope before and after, the consequences for running nodes, the
// guardrail findings new in head and, given a workload, the what-if simulation.
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { buildInstanceTypes, fetchOnDemandPrices, LIST_PRICE_REGION, type PriceListApi } from '../../core/index.ts';
import { hasRegionCatalog, loadRegionCatalog } from '../../data/catalog.ts';
import { intentRegion } from '../guardrails/region-catalog.ts';
import { shippedCatalogView } from '../guardrails/shipped-catalog.ts';
import { regionCatalog } from '../clusters/region-catalog.ts';
import { clusterPlans } from './clusters.ts';
import { compileRef, loadErrors, type RefCompilation } from './compile-ref.ts';
import { consequencesOf, markNewFindings } from './consequences.ts';
import { poolEnvelopes } from './envelope.ts';
import { checkout, openRepository, resolveBase, resolveHead } from './git-refs.ts';
import { diffIntents } from './semantic-diff.ts';
import type { PlanCatalog, PlanReport, RefResult, ResolvedRef } from './types.ts';
import { whatIf } from './what-if.ts';
import { defaultPriceModel, pricedCatalog, type SpotPriceSnapshot } from './spot-prices.ts';
import type { WorkloadSnapshot } from './workload.ts';

export interface PlanOptions {
  /** The project root (where policies/ is), inside a git repository. */
  root: string;
  /** Base ref; default the merge base of HEAD with the default branch. */
  base?: string;
  /** Head ref; default the working tree. */
  head?: string;
  /** Policy directory relative to the root (default policies). */
  policiesDir?: string;
  /** Type-check the policies (default true). */
  typecheck?: boolean;
  /** The workload for the what-if, already read (file or live cluster). */
  workload?: WorkloadSnapshot;
  /** Instance types for envelopes and the what-if (default: the shipped catalog of the cluster's region). */
  catalog?: readonly InstanceType[];
  /**
   * The AWS Price List API (with credentials): the region's on-demand prices are asked from
   * it, as Karpenter's pricing controller does. Without it, a region other than us-east-1 is
   * priced at us-east-1's list prices, and the plan says so.
   */
  priceList?: (region: string) => Promise<PriceListApi>;
  /** A snapshot of spot prices for the what-if; without it spot prices are synthetic (and the plan says so). */
  spotPrices?: SpotPriceSnapshot;
}

async function compileAt(options: PlanOptions, repo: Awaited<ReturnType<typeof openRepository>>, ref: ResolvedRef): Promise<RefCompilation> {
  const tree = await checkout(repo, ref);
  try {
    return await compileRef(tree.root, { policiesDir: options.policiesDir, typecheck: options.typecheck });
  } finally {
    await tree.dispose();
  }
}

function refResult(ref: ResolvedRef, compilation: RefCompilation): RefResult {
  return {
    ref,
    compiled: compilation.model !== undefined,
    errors: loadErrors(compilation),
    nodePools: compilation.model?.nodePools.length ?? 0,
    ec2NodeClasses: compilation.model?.ec2NodeClasses.length ?? 0,
  };
}

/** Head's diagnostics worth a reviewer's attention: errors and warnings, acknowledged ones kept (marked). */
function reviewable(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
}

export async function plan(options: PlanOptions): Promise<PlanReport> {
  const repo = await openRepository(options.root);
  const headRef = await resolveHead(repo, options.head);
  const baseRef = await resolveBase(repo, options.base, headRef);
  // One after the other: the machine's cores are shared, and each compile type-checks.
  const base = await compileAt(options, repo, baseRef);
  const head = await compileAt(options, repo, headRef);
  // The catalog of the cluster's region (head's declaration, else base's).
  const region = intentRegion(head.model ?? base.model);
  const shipped = hasRegionCatalog(region);
  const catalogRegion = shipped ? region : LIST_PRICE_REGION;
  const prices = options.priceList && !options.catalog && shipped ? await fetchOnDemandPrices(await options.priceList(region), region) : undefined;
  const regional = loadRegionCatalog(catalogRegion, prices);
  const priced = options.catalog ? undefined : pricedCatalog(options.spotPrices, regional);
  const catalog = options.catalog ?? priced?.instanceTypes ?? (prices ? buildInstanceTypes(regional.raw) : shippedCatalogView(catalogRegion).instanceTypes);
  const planCatalog: PlanCatalog = {
    region,
    ...(shipped ? {} : { substitute: catalogRegion }),
    instanceTypes: catalog.length,
    onDemandPrices: options.catalog
      ? { kind: 'given', description: 'the prices of the catalog given to plan' }
      : { kind: regional.priceModel.kind, description: regional.priceModel.description },
  };

  const clusters = head.clusters || base.clusters ? clusterPlans(base, head, (region) => (region === catalogRegion ? catalog : regionCatalog(region)?.instanceTypes)) : undefined;
  const findings = markNewFindings(base.model ? reviewable(base.diagnostics) : undefined, reviewable(head.diagnostics));
  const report: PlanReport = {
    base: refResult(baseRef, base),
    head: refResult(headRef, head),
    catalog: planCatalog,
    // Without base there is nothing to compare with: head is reported through its envelopes and findings.
    diff: head.model && base.model ? diffIntents(base.model, head.model) : [],
    envelopes:
      head.model || base.model
        ? poolEnvelopes(base.model?.nodePools.map((p) => p.manifest), (head.model?.nodePools ?? []).map((p) => p.manifest), catalog, undefined, {
            base: base.model?.nodeOverlays?.map((o) => o.manifest),
            head: head.model?.nodeOverlays?.map((o) => o.manifest),
          }, { base: base.model?.ec2NodeClasses.map((c) => c.manifest), head: head.model?.ec2NodeClasses.map((c) => c.manifest) })
        : [],
    consequences: head.model ? consequencesOf(base.model, head.model, findings, catalog) : [],
    findings,
    ...(clusters ? { clusters } : {}),
    // A workload is one cluster's: the what-if runs in single-cluster repositories only.
    whatIf: options.workload && !clusters ? whatIf(options.workload, base.model, head.model, catalog, priced?.priceModel ?? defaultPriceModel(planCatalog.onDemandPrices.description)) : undefined,
    exitCode: 0,
  };
  const newError = findings.some((f) => f.new && f.severity === 'error' && f.acknowledged === undefined);
  report.exitCode = newError || !head.model ? 1 : 0;
  return report;
}
