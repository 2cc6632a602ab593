// Builds the policies of a repository that declares clusters: each policy once per declared
// cluster it applies to, in a construct tree of that cluster's own (names repeat across
// clusters), with `policy.cluster` set. Runs inside the policy worker, like
// load/evaluate-policies.ts, and returns plain data.
import { basename, join, relative } from 'node:path';
import { App } from 'cdk8s';
import { clusterInfo, selectsCluster, type ClusterInfo } from '../api/clusters.ts';
import { Policy } from '../api/policy.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { collectIntent } from '../intent.ts';
import type { PolicyDefinition } from '../api/policy.ts';
import { clusterReferenceDiagnostics } from './references.ts';
import type { ClusterIntent, ClusterReference, ClustersDeclaration, ClustersEvaluation } from './types.ts';

export interface LoadedDefinition {
  /** Absolute path of the policy file. */
  file: string;
  definition: PolicyDefinition;
}

/** A build that threw, as the loader reports it (file, line, message, fix). */
export interface BuildFailure {
  file: string | undefined;
  message: string;
}

/** Where policies named clusters: their definePolicy selections, and the perCluster overrides their builds made. */
export function referencesOf(definitions: readonly LoadedDefinition[], policies: readonly Policy[], root: string): ClusterReference[] {
  const references: ClusterReference[] = [];
  const seen = new Set<string>();
  const add = (reference: ClusterReference): void => {
    const key = JSON.stringify(reference);
    if (seen.has(key)) return;
    seen.add(key);
    references.push(reference);
  };
  for (const { file, definition } of definitions) {
    const selection = definition.options?.clusters;
    if (Array.isArray(selection)) {
      const at = definition.location;
      add({ kind: 'selection', names: [...selection], source: { file: relative(root, at?.file ?? file), ...(at ? { line: at.line, column: at.column } : {}) } });
    }
  }
  for (const policy of policies) {
    for (const use of policy.overrideUses) {
      const at = use.location;
      add({ kind: 'override', names: use.clusters, source: { file: at ? relative(root, at.file) : policy.sourceFile, ...(at ? { line: at.line, column: at.column } : {}) } });
    }
  }
  return references;
}

/** The distinct clusters, in declaration order: a name declared twice is built once (the duplicate is an error, see checks.ts). */
export function declaredClusters(declarations: readonly ClustersDeclaration[]): { cluster: ClusterInfo; source: ClustersDeclaration['source'] }[] {
  const seen = new Set<string>();
  const out: { cluster: ClusterInfo; source: ClustersDeclaration['source'] }[] = [];
  for (const declaration of declarations) {
    for (const props of Array.isArray(declaration.props.clusters) ? declaration.props.clusters : []) {
      if (typeof props?.name !== 'string' || seen.has(props.name)) continue;
      seen.add(props.name);
      out.push({ cluster: clusterInfo(props), source: declaration.source });
    }
  }
  return out;
}

export function buildForClusters<E extends BuildFailure>(
  declarations: readonly ClustersDeclaration[],
  definitions: readonly LoadedDefinition[],
  root: string,
  onFile: (file: string) => void,
  buildError: (error: unknown, file: string) => E,
): { errors: E[]; policyFiles: string[]; diagnostics: Diagnostic[]; clusters: ClustersEvaluation } {
  const errors: E[] = [];
  const reported = new Set<string>();
  const intents: ClusterIntent[] = [];
  const built: Policy[] = [];
  const policyFiles = new Set<string>();
  for (const { cluster, source } of declaredClusters(declarations)) {
    const app = new App({ outdir: join(root, '.joinery', 'cdk8s.out', cluster.name) });
    const policies: Policy[] = [];
    for (const { file, definition } of definitions) {
      if (!selectsCluster(definition.options?.clusters, cluster)) continue;
      onFile(file);
      const policy = new Policy(app, basename(file, '.ts'), relative(root, file), cluster);
      try {
        definition.build(policy);
      } catch (error) {
        const failure = buildError(error, file);
        failure.message = `${failure.message} (building for cluster ${cluster.name})`;
        if (!reported.has(failure.file ?? '')) errors.push(failure);
        reported.add(failure.file ?? '');
        continue;
      }
      policies.push(policy);
      policyFiles.add(policy.sourceFile);
    }
    built.push(...policies);
    const { model, diagnostics } = collectIntent(policies, root);
    intents.push({ cluster, source, model, diagnostics, policyFiles: policies.map((p) => p.sourceFile) });
  }
  const references = referencesOf(definitions, built, root);
  const names = declaredClusters(declarations).map((c) => c.cluster.name);
  return {
    errors,
    policyFiles: [...policyFiles].sort(),
    diagnostics: clusterReferenceDiagnostics(names, references),
    clusters: { declarations: [...declarations], clusters: intents, references },
  };
}
