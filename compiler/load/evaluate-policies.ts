// Runs the policy files and collects their intent: imports each file, builds its chart
// (one cdk8s Chart per file, in a fresh App) and reads the joinery constructs into the
// plain intent model. Runs only inside the policy worker (policy-worker.mjs), under its
// time and memory limits; what it returns is plain data the worker posts to the compiler.
// A policy that throws while loading, exports the wrong thing or throws while building is
// reported with its file (and line when known); nothing of a failed file is collected.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'cdk8s';
import { isClustersDefinition } from '../api/clusters.ts';
import { isPolicyDefinition, Policy } from '../api/policy.ts';
import { clusterReferenceDiagnostics } from '../clusters/references.ts';
import { buildForClusters, referencesOf, type LoadedDefinition } from '../clusters/evaluate.ts';
import type { ClustersDeclaration, ClustersEvaluation } from '../clusters/types.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { collectIntent, type IntentModel } from '../intent.ts';

export interface PolicyLoadError {
  code: 'type-error' | 'policy-threw' | 'policy-export' | 'no-policies' | 'policy-timeout' | 'policy-exited';
  /** Path relative to the project root. */
  file: string | undefined;
  line?: number;
  column?: number;
  message: string;
  fix: string;
}

/** What running the policies gave: load errors, or the collected intent and its value diagnostics. */
export interface PolicyEvaluation {
  errors: PolicyLoadError[];
  /** Policy files that loaded and built, relative to the root, in file-name order. */
  policyFiles: string[];
  model: IntentModel;
  diagnostics: Diagnostic[];
  /** Set when a file declares clusters (defineClusters): one intent per cluster; `model` is then empty. */
  clusters?: ClustersEvaluation;
}

/** The policy's own line in a stack trace, if the error came from (or through) it. */
function locateInStack(error: unknown, absolutePath: string): { line: number; column: number } | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const line of stack.split('\n')) {
    const at = line.indexOf(absolutePath);
    if (at < 0) continue;
    const match = /:(\d+):(\d+)\)?\s*$/.exec(line.slice(at + absolutePath.length).replace(/^\?[^:]*/, ''));
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return String(error);
}

/** Runs `files` (absolute paths) in this thread; `onFile` is told before each one starts. */
export async function evaluatePolicies(files: readonly string[], root: string, onFile: (file: string) => void = () => undefined): Promise<PolicyEvaluation> {
  const rel = (path: string): string => relative(root, path);
  const definitions: LoadedDefinition[] = [];
  const declarations: ClustersDeclaration[] = [];
  const errors: PolicyLoadError[] = [];
  for (const file of files) {
    onFile(file);
    const content = await readFile(file);
    // The content hash in the URL makes a changed file load afresh should one thread
    // evaluate twice; an unchanged file reuses the loaded module.
    const url = `${pathToFileURL(file).href}?v=${createHash('sha1').update(content).digest('hex').slice(0, 12)}`;
    let module: { default?: unknown };
    try {
      module = (await import(url)) as { default?: unknown };
    } catch (error) {
      errors.push({ code: 'policy-threw', file: rel(file), ...locateInStack(error, file), message: `loading the policy threw: ${describeThrown(error)}`, fix: 'fix the error at that line; a policy module should only declare constructs' });
      continue;
    }
    if (isClustersDefinition(module.default)) {
      const at = module.default.location;
      declarations.push({ source: { file: rel(file), ...(at ? { line: at.line, column: at.column } : {}) }, props: module.default.props });
      continue;
    }
    if (!isPolicyDefinition(module.default)) {
      errors.push({ code: 'policy-export', file: rel(file), line: 1, column: 1, message: 'does not default-export a policy', fix: `end the file with: export default definePolicy((policy) => { ... })` });
      continue;
    }
    definitions.push({ file, definition: module.default });
  }
  const empty = { policyFiles: [], model: { nodePools: [], ec2NodeClasses: [] }, diagnostics: [] };
  if (declarations.length > 0) {
    if (errors.length > 0) return { errors, ...empty };
    const evaluated = buildForClusters(declarations, definitions, root, onFile, (error, file) => buildError(error, file, rel(file)));
    if (evaluated.errors.length > 0) return { errors: evaluated.errors, ...empty };
    return { errors, policyFiles: evaluated.policyFiles, model: { nodePools: [], ec2NodeClasses: [] }, diagnostics: evaluated.diagnostics, clusters: evaluated.clusters };
  }

  // A single-cluster repository: every policy built once, into generated/.
  const app = new App({ outdir: join(root, '.joinery', 'cdk8s.out') });
  const policies: Policy[] = [];
  for (const { file, definition } of definitions) {
    onFile(file);
    const policy = new Policy(app, basename(file, '.ts'), rel(file));
    try {
      definition.build(policy);
    } catch (error) {
      errors.push(buildError(error, file, rel(file)));
      continue;
    }
    policies.push(policy);
  }
  const policyFiles = policies.map((p) => p.sourceFile);
  if (errors.length > 0) return { errors, ...empty };
  const { model, diagnostics } = collectIntent(policies, root);
  diagnostics.push(...clusterReferenceDiagnostics([], referencesOf(definitions, policies, root)));
  return { errors, policyFiles, model, diagnostics };
}

function buildError(error: unknown, file: string, relFile: string): PolicyLoadError {
  return { code: 'policy-threw', file: relFile, ...locateInStack(error, file), message: `building the policy threw: ${describeThrown(error)}`, fix: 'fix the error at that line' };
}
