// Finds and type-checks the policy files, then has the policy worker run them and collect
// their intent (run-isolated.ts, evaluate-policies.ts): policies never run in the
// compiler's own thread, so none can hang it, exhaust its memory or end it. A policy that
// fails to type-check, throws while loading, exports the wrong thing, throws while
// building, overruns a limit or exits is reported with its file (and line when known);
// nothing of a failed load reaches synthesis.
import { readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics.ts';
import type { ClustersEvaluation } from '../clusters/types.ts';
import type { IntentModel } from '../intent.ts';
import type { PolicyLoadError } from './evaluate-policies.ts';
import { runPoliciesIsolated, type IsolationLimits } from './run-isolated.ts';
import { typecheckPolicies } from './typecheck.ts';

export type { PolicyLoadError } from './evaluate-policies.ts';

export interface LoadedPolicies {
  /** Policy files that loaded and built, relative to the root, in file-name order. */
  policyFiles: string[];
  /** The intent the policies declare (empty when there are errors). */
  model: IntentModel;
  /** Invalid values found while collecting the intent (`invalid-value`, ...). */
  diagnostics: Diagnostic[];
  errors: PolicyLoadError[];
  /** Set when the repository declares clusters: one intent per cluster (`model` is then empty). */
  clusters?: ClustersEvaluation;
}

export interface LoadPoliciesOptions {
  /** Project root; policy and diagnostic paths are relative to it. */
  root: string;
  /** Directory of the policy files (default `<root>/policies`). */
  policiesDir?: string;
  /** Type-check before running (default true). */
  typecheck?: boolean;
  /** Cache directory for the type checker (default `<root>/.joinery/typecheck`). */
  cacheDir?: string;
  /** Limits of the worker that runs the policies (time per file, memory). */
  isolation?: IsolationLimits;
}
const EMPTY: Omit<LoadedPolicies, 'errors'> = { policyFiles: [], model: { nodePools: [], ec2NodeClasses: [] }, diagnostics: [] };

/** Policy entry files: `*.ts` directly in the directory, except declarations and `_`-prefixed helpers. */
async function listPolicyFiles(policiesDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(policiesDir);
  } catch {
    return [];
  }
  return entries
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.startsWith('_'))
    .sort()
    .map((name) => join(policiesDir, name));
}

export async function loadPolicies(options: LoadPoliciesOptions): Promise<LoadedPolicies> {
  const root = resolve(options.root);
  const policiesDir = resolve(root, options.policiesDir ?? 'policies');
  const files = await listPolicyFiles(policiesDir);
  const rel = (path: string): string => relative(root, path);
  if (files.length === 0) {
    return {
      ...EMPTY,
      errors: [{ code: 'no-policies', file: rel(policiesDir) || '.', message: `no policy files (*.ts) in ${rel(policiesDir) || '.'}`, fix: 'add a policy, e.g. policies/general-purpose.ts that default-exports definePolicy(...)' }],
    };
  }

  if (options.typecheck !== false) {
    const diagnostics = await typecheckPolicies(files, { root, cacheDir: options.cacheDir });
    if (diagnostics.length > 0) {
      return {
        ...EMPTY,
        errors: diagnostics.map((d) => ({ code: 'type-error', file: d.file, line: d.line, column: d.column, message: `${d.code}: ${d.message}`, fix: 'fix the type error (the policy API types say what each field accepts)' })),
      };
    }
  }

  // Policies run only in the worker, under its limits; its evaluation is the result.
  const outcome = await runPoliciesIsolated(files, root, options.isolation);
  if (outcome.failure) {
    const { failure } = outcome;
    const file = failure.file === undefined ? undefined : rel(failure.file);
    const message = file === undefined ? failure.message : failure.message.replace(/^the policy\b/, `policy ${file}`);
    return { ...EMPTY, errors: [{ code: failure.code, file, line: file === undefined ? undefined : 1, column: file === undefined ? undefined : 1, message, fix: failure.fix }] };
  }
  return outcome.result;
}
