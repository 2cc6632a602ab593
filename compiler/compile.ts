// The compile pipeline: load (type-check, run) the policies, collect their objects, run the
// guardrails, synthesize generated/ in memory and validate every object against its CRD
// by parsing the synthesized files back with the same parser the reconciler uses. Nothing
// is written here: the caller writes (atomically) or compares (--check) the result.
import { resolve } from 'node:path';
import type { Policy } from './api/policy.ts';
import { compileClusters, type CompiledCluster } from './clusters/compile.ts';
import { isBlocking, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import type { CatalogView } from './guardrails/catalog-view.ts';
import { runGuardrails } from './guardrails/index.ts';
import { catalogForIntent } from './guardrails/region-catalog.ts';
import { collectIntent, type IntentModel, type IntentObject } from './intent.ts';
import { loadPolicies } from './load/load-policies.ts';
import { NO_NODE_POOLS_CONTENT, NO_NODE_POOLS_FILE } from './manifests/no-node-pools.ts';
import { parseIntentManifestFiles } from './manifests/parse.ts';
import { refineToPropLines } from './source-lines.ts';
import { synthesize, type FluxOptions, type GeneratedFile } from './synth/synthesize.ts';

export interface CompileOptions {
  /** Project root: policies/, generated/ and .joinery/ are resolved against it. */
  root: string;
  /** Default `policies`. */
  policiesDir?: string;
  /** Default `generated`: the path Flux Kustomizations point at, relative to the root. */
  outDir?: string;
  /** Type-check the policies first (default true). */
  typecheck?: boolean;
  /** The catalog for the catalog guardrails: default the shipped catalog of the cluster's region (us-east-1 without a ReconcilerDeployment); false skips them. */
  catalog?: CatalogView | false;
  flux?: Partial<FluxOptions>;
  /**
   * The policies declare no NodePool on purpose: write the NoNodePools marker
   * (generated/no-node-pools.yaml) the reconciler needs to follow such a commit. Without
   * it, policies that declare no NodePool fail to compile. No effect when there are pools.
   */
  allowNoNodePools?: boolean;
}

export interface CompileResult {
  /** No error (unacknowledged) was found: the files may be written. */
  ok: boolean;
  diagnostics: Diagnostic[];
  /** The files of generated/ (empty when policies failed to load). */
  files: GeneratedFile[];
  model: IntentModel;
  /** Policy files, relative to the root. */
  policyFiles: string[];
  /** Set when the repository declares clusters: each cluster's intent and files (under generated/<name>/); `model` is then empty. */
  clusters?: CompiledCluster[];
}

const EMPTY_MODEL: IntentModel = { nodePools: [], ec2NodeClasses: [] };

/** Guardrails, synthesis and validation of an already collected intent. */
export function compileIntent(
  model: IntentModel,
  options: { outDir?: string; catalog?: CatalogView | false; flux?: Partial<FluxOptions>; diagnostics?: readonly Diagnostic[]; allowNoNodePools?: boolean } = {},
): { ok: boolean; diagnostics: Diagnostic[]; files: GeneratedFile[] } {
  const diagnostics: Diagnostic[] = [...(options.diagnostics ?? [])];
  let catalog: CatalogView | undefined;
  if (options.catalog !== false) {
    if (options.catalog) catalog = options.catalog;
    else {
      const regional = catalogForIntent(model);
      catalog = regional.catalog;
      diagnostics.push(...regional.diagnostics);
    }
  }
  diagnostics.push(...runGuardrails(model, { catalog }));

  const files = synthesize(model, { outDir: options.outDir ?? 'generated', flux: options.flux });
  // No NodePool stops all provisioning: the reconciler refuses such a commit unless the
  // marker says it is on purpose, and the marker is written only when asked for.
  if (model.nodePools.length === 0) {
    if (options.allowNoNodePools) files.push({ path: NO_NODE_POOLS_FILE, content: NO_NODE_POOLS_CONTENT });
    else {
      diagnostics.push({
        severity: 'error',
        code: 'no-node-pools',
        message: 'the policies declare no NodePool: the reconciler would provision nothing, and it refuses such a commit unless it is declared on purpose',
        fix: 'declare a NodePool, or compile with --allow-no-node-pools if no pool is wanted on purpose',
      });
    }
  }

  // Validate what will be written, object by object, with the reconciler's parser. An
  // object whose props were already reported invalid is not reported twice.
  const invalid = new Set(diagnostics.filter((d) => d.code === 'invalid-value').map((d) => `${d.object?.kind}/${d.object?.name}`));
  const sources = new Map<string, IntentObject<unknown>>();
  for (const object of [...model.nodePools, ...model.ec2NodeClasses, ...(model.nodeOverlays ?? [])]) sources.set(`${object.kind}/${object.name}`, object);
  for (const file of files) {
    const kind = file.object?.kind;
    if (kind !== 'NodePool' && kind !== 'EC2NodeClass' && kind !== 'NodeOverlay') continue;
    const result = parseIntentManifestFiles([{ path: file.path, content: file.content }]);
    for (const error of result.errors) {
      const id = `${kind}/${error.name ?? ''}`;
      if (invalid.has(id)) continue;
      const source = sources.get(id)?.source;
      diagnostics.push({
        severity: 'error',
        code: 'schema',
        message: error.message,
        fix: error.fix,
        ...(source ?? { file: file.path, line: error.line }),
        object: { kind, name: error.name ?? '?' },
        field: error.field,
      });
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  return { ok: !sorted.some(isBlocking), diagnostics: sorted, files };
}

/** Collects the intent of loaded policy charts and compiles it. */
export function compileCharts(
  policies: readonly Policy[],
  options: { root: string; outDir?: string; catalog?: CatalogView | false; flux?: Partial<FluxOptions>; allowNoNodePools?: boolean },
): { ok: boolean; diagnostics: Diagnostic[]; files: GeneratedFile[]; model: IntentModel } {
  const root = resolve(options.root);
  const { model, diagnostics } = collectIntent(policies, root);
  return compileCollected(model, diagnostics, { ...options, root });
}

/** Compiles a collected intent (with the diagnostics of its collection). */
function compileCollected(
  model: IntentModel,
  diagnostics: readonly Diagnostic[],
  options: { root: string; outDir?: string; catalog?: CatalogView | false; flux?: Partial<FluxOptions>; allowNoNodePools?: boolean },
): { ok: boolean; diagnostics: Diagnostic[]; files: GeneratedFile[]; model: IntentModel } {
  const compiled = compileIntent(model, { ...options, diagnostics });
  return { ...compiled, diagnostics: sortDiagnostics(refineToPropLines(compiled.diagnostics, options.root)), model };
}

/** Compiles the policies of a project in memory (the policies run in the policy worker, see load/). */
export async function compilePolicies(options: CompileOptions): Promise<CompileResult> {
  const root = resolve(options.root);
  const loaded = await loadPolicies({ root, policiesDir: options.policiesDir, typecheck: options.typecheck });
  const { policyFiles } = loaded;
  if (loaded.errors.length > 0) {
    const diagnostics = sortDiagnostics(
      loaded.errors.map((e) => ({ severity: 'error' as const, code: e.code, message: e.message, fix: e.fix, file: e.file, line: e.line, column: e.column })),
    );
    return { ok: false, diagnostics, files: [], model: EMPTY_MODEL, policyFiles };
  }
  if (loaded.clusters) {
    const compiled = compileClusters(loaded.clusters, loaded.diagnostics, { root, outDir: options.outDir ?? 'generated', flux: options.flux, allowNoNodePools: options.allowNoNodePools, compileIntent });
    return { ...compiled, diagnostics: sortDiagnostics(refineToPropLines(compiled.diagnostics, root)), model: EMPTY_MODEL, policyFiles };
  }
  const compiled = compileCollected(loaded.model, loaded.diagnostics, { root, outDir: options.outDir, catalog: options.catalog, flux: options.flux, allowNoNodePools: options.allowNoNodePools });
  return { ...compiled, policyFiles };
}
