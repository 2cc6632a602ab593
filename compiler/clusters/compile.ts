// Compiles a repository that declares clusters: each cluster's intent through the same
// pipeline as a single-cluster repository (guardrails against its region's catalog,
// synthesis, schema validation) into generated/<cluster>/, then what the clusters share:
// the Argo CD ApplicationSet and one Flux entry Kustomization per cluster. A diagnostic
// found in several clusters is reported once, naming them unless it is all of them.
import type { CatalogView } from '../guardrails/catalog-view.ts';
import { isBlocking, sortDiagnostics, type Diagnostic } from '../diagnostics.ts';
import type { IntentModel } from '../intent.ts';
import { DEFAULT_FLUX, fluxFromPolicy, type FluxOptions, type GeneratedFile } from '../synth/synthesize.ts';
import { declarationDiagnostics } from './declarations.ts';
import { applicationSet, argoCdSettings, fluxEntry } from './gitops.ts';
import { fitReconciler } from './reconciler-fit.ts';
import { catalogRegions, regionCatalog } from './region-catalog.ts';
import type { ClustersEvaluation } from './types.ts';

export interface CompiledCluster {
  name: string;
  region: string;
  model: IntentModel;
  /** The cluster's files, relative to generated/<name>/. */
  files: GeneratedFile[];
}

/** The single-cluster pipeline (compiler/compile.ts's compileIntent), passed in so the two modules do not import each other. */
export type CompileIntent = (
  model: IntentModel,
  options: { outDir?: string; catalog?: CatalogView | false; flux?: Partial<FluxOptions>; diagnostics?: readonly Diagnostic[]; allowNoNodePools?: boolean },
) => { ok: boolean; diagnostics: Diagnostic[]; files: GeneratedFile[] };

export interface ClustersCompileOptions {
  root: string;
  outDir: string;
  flux?: Partial<FluxOptions>;
  allowNoNodePools?: boolean;
  compileIntent: CompileIntent;
}

function mergeAcrossClusters(found: readonly { cluster: string; diagnostic: Diagnostic }[], all: readonly string[]): Diagnostic[] {
  const groups = new Map<string, { diagnostic: Diagnostic; clusters: string[] }>();
  for (const { cluster, diagnostic } of found) {
    const key = JSON.stringify(diagnostic);
    const group = groups.get(key) ?? { diagnostic, clusters: [] };
    if (!group.clusters.includes(cluster)) group.clusters.push(cluster);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ diagnostic, clusters }) =>
    clusters.length === all.length && all.length > 1 ? diagnostic : { ...diagnostic, message: `(${clusters.length === 1 ? 'cluster' : 'clusters'} ${clusters.join(', ')}) ${diagnostic.message}` },
  );
}

export function compileClusters(
  evaluation: ClustersEvaluation,
  diagnostics: readonly Diagnostic[],
  options: ClustersCompileOptions,
): { ok: boolean; diagnostics: Diagnostic[]; files: GeneratedFile[]; clusters: CompiledCluster[] } {
  const { outDir } = options;
  const shared: Diagnostic[] = [
    ...diagnostics,
    ...declarationDiagnostics(evaluation.declarations, { root: options.root, hasCatalog: (r) => regionCatalog(r) !== undefined, catalogRegions: catalogRegions() }),
  ];
  const found: { cluster: string; diagnostic: Diagnostic }[] = [];
  const clusters: CompiledCluster[] = [];
  const files: GeneratedFile[] = [];
  let flux: FluxOptions = { ...DEFAULT_FLUX, ...options.flux };
  let repoURL: string | undefined;
  for (const intent of evaluation.clusters) {
    const { cluster } = intent;
    let model = intent.model;
    const own: Diagnostic[] = [...intent.diagnostics];
    if (model.reconcilerDeployment) {
      const fitted = fitReconciler(model.reconcilerDeployment, cluster, outDir);
      model = { ...model, reconcilerDeployment: fitted.intent };
      own.push(...fitted.diagnostics);
      repoURL ??= fitted.intent.spec.git?.url;
    }
    if (clusters.length === 0) flux = { ...flux, ...fluxFromPolicy(model) };
    const catalog = regionCatalog(cluster.region);
    // A region without a catalog is reported on the declaration; the catalog rules are skipped here.
    const compiled = options.compileIntent(model, { outDir: `${outDir}/${cluster.name}`, catalog: catalog ?? false, flux: options.flux, diagnostics: own, allowNoNodePools: options.allowNoNodePools });
    for (const diagnostic of compiled.diagnostics) found.push({ cluster: cluster.name, diagnostic });
    clusters.push({ name: cluster.name, region: cluster.region, model, files: compiled.files });
    for (const file of compiled.files) files.push({ ...file, path: `${cluster.name}/${file.path}` });
  }
  const names = clusters.map((c) => c.name);
  const declaration = evaluation.declarations[0];
  const argocd = argoCdSettings(declaration?.props.argocd, repoURL);
  if (argocd) files.push(applicationSet(names, outDir, argocd));
  else if (declaration) {
    shared.push({
      severity: 'error',
      code: 'cluster-declaration',
      message: 'the Argo CD ApplicationSet needs the repository URL, and no ReconcilerDeployment has a git.url',
      fix: "set argocd: { repoURL: 'https://github.com/<org>/<repo>.git' } in defineClusters",
      file: declaration.source.file,
      line: declaration.source.line,
      field: 'argocd.repoURL',
    });
  }
  for (const name of names) files.push(fluxEntry(name, outDir, flux));
  const all = sortDiagnostics([...shared, ...mergeAcrossClusters(found, names)]);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: !all.some(isBlocking), diagnostics: all, files, clusters };
}
