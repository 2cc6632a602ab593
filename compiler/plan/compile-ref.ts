// Compiles one side of a plan with the compiler's own pipeline (compilePolicies): the same
// loading, type-checking, guardrails and schema validation as `joinery compile`, in memory.
// A ref whose policies cannot be loaded (type errors, a policy that throws) "does not
// compile": it has no intent, only the errors that say why.
import { compilePolicies } from '../compile.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { IntentModel } from '../intent.ts';
import type { PolicyLoadError } from '../load/load-policies.ts';

// A ref without policy files is not broken: its intent is empty (the pull request that adds
// the first policies compares against it). The compiler still reports `no-policies`.
const LOAD_ERRORS: ReadonlySet<string> = new Set<PolicyLoadError['code']>(['type-error', 'policy-threw', 'policy-export', 'policy-timeout', 'policy-exited']);

export interface RefCompilation {
  /** The intent, or undefined when the policies could not be loaded. */
  model: IntentModel | undefined;
  /** Every diagnostic: load errors, invalid values, guardrail findings, schema errors. */
  diagnostics: Diagnostic[];
  /** Each cluster's intent, when the ref declares clusters (and loaded). */
  clusters?: { name: string; region: string; model: IntentModel }[];
}

export interface CompileRefOptions {
  policiesDir?: string;
  typecheck?: boolean;
}

export async function compileRef(root: string, options: CompileRefOptions = {}): Promise<RefCompilation> {
  const result = await compilePolicies({ root, policiesDir: options.policiesDir, typecheck: options.typecheck });
  const loaded = !result.diagnostics.some((d) => d.severity === 'error' && LOAD_ERRORS.has(d.code));
  const clusters = loaded && result.clusters ? result.clusters.map((c) => ({ name: c.name, region: c.region, model: c.model })) : undefined;
  return { model: loaded ? result.model : undefined, diagnostics: result.diagnostics, ...(clusters ? { clusters } : {}) };
}

/** The diagnostics that mean the ref did not compile at all. */
export function loadErrors(compilation: RefCompilation): Diagnostic[] {
  return compilation.diagnostics.filter((d) => d.severity === 'error' && LOAD_ERRORS.has(d.code));
}
