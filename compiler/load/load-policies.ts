// Finds, type-checks and runs the policy files, building one cdk8s Chart per file in a
// fresh App. A policy that fails to type-check, throws while loading, exports the wrong
// thing or throws while building is reported with its file (and line when known); nothing
// of a failed load reaches synthesis.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'cdk8s';
import { isPolicyDefinition, Policy } from '../api/policy.ts';
import { runPoliciesIsolated, type IsolationLimits } from './run-isolated.ts';
import { typecheckPolicies } from './typecheck.ts';

export interface PolicyLoadError {
  code: 'type-error' | 'policy-threw' | 'policy-export' | 'no-policies' | 'policy-timeout' | 'policy-exited';
  /** Path relative to the project root. */
  file: string | undefined;
  line?: number;
  column?: number;
  message: string;
  fix: string;
}

export interface LoadedPolicies {
  /** One chart per policy file, in file-name order. */
  policies: Policy[];
  errors: PolicyLoadError[];
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
  /**
   * Limits of the worker that runs the policies first (time per file, memory); `false`
   * skips it (only for callers that already ran the same files isolated).
   */
  isolation?: IsolationLimits | false;
}

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

export async function loadPolicies(options: LoadPoliciesOptions): Promise<LoadedPolicies> {
  const root = resolve(options.root);
  const policiesDir = resolve(root, options.policiesDir ?? 'policies');
  const app = new App({ outdir: join(root, '.joinery', 'cdk8s.out') });
  const files = await listPolicyFiles(policiesDir);
  const rel = (path: string): string => relative(root, path);
  if (files.length === 0) {
    return {
      policies: [],
      errors: [{ code: 'no-policies', file: rel(policiesDir) || '.', message: `no policy files (*.ts) in ${rel(policiesDir) || '.'}`, fix: 'add a policy, e.g. policies/general-purpose.ts that default-exports definePolicy(...)' }],
    };
  }

  if (options.typecheck !== false) {
    const diagnostics = await typecheckPolicies(files, { root, cacheDir: options.cacheDir });
    if (diagnostics.length > 0) {
      return {
        policies: [],
        errors: diagnostics.map((d) => ({ code: 'type-error', file: d.file, line: d.line, column: d.column, message: `${d.code}: ${d.message}`, fix: 'fix the type error (the policy API types say what each field accepts)' })),
      };
    }
  }

  if (options.isolation !== false) {
    const failure = await runPoliciesIsolated(files, root, options.isolation);
    if (failure) {
      const file = failure.file === undefined ? undefined : rel(failure.file);
      const message = file === undefined ? failure.message : failure.message.replace(/^the policy\b/, `policy ${file}`);
      return { policies: [], errors: [{ code: failure.code, file, line: file === undefined ? undefined : 1, column: file === undefined ? undefined : 1, message, fix: failure.fix }] };
    }
  }

  const policies: Policy[] = [];
  const errors: PolicyLoadError[] = [];
  // A policy that finished in the worker runs again here; should it call process.exit now
  // (it could tell the threads apart), the call throws instead of ending the compiler.
  const exit = process.exit;
  process.exit = ((code?: number) => {
    throw new Error(`a policy called process.exit(${code ?? ''})`);
  }) as typeof process.exit;
  try {
    await loadEach();
  } finally {
    process.exit = exit;
  }
  return { policies, errors };

  async function loadEach(): Promise<void> {
  for (const file of files) {
    const content = await readFile(file);
    // The content hash in the URL makes a changed file load afresh when one process
    // compiles twice (tests, `joinery plan`); an unchanged file reuses the loaded module.
    const url = `${pathToFileURL(file).href}?v=${createHash('sha1').update(content).digest('hex').slice(0, 12)}`;
    let module: { default?: unknown };
    try {
      module = (await import(url)) as { default?: unknown };
    } catch (error) {
      errors.push({ code: 'policy-threw', file: rel(file), ...locateInStack(error, file), message: `loading the policy threw: ${describeThrown(error)}`, fix: 'fix the error at that line; a policy module should only declare constructs' });
      continue;
    }
    if (!isPolicyDefinition(module.default)) {
      errors.push({ code: 'policy-export', file: rel(file), line: 1, column: 1, message: 'does not default-export a policy', fix: `end the file with: export default definePolicy((policy) => { ... })` });
      continue;
    }
    const policy = new Policy(app, basename(file, '.ts'), rel(file));
    try {
      module.default.build(policy);
    } catch (error) {
      errors.push({ code: 'policy-threw', file: rel(file), ...locateInStack(error, file), message: `building the policy threw: ${describeThrown(error)}`, fix: 'fix the error at that line' });
      continue;
    }
    policies.push(policy);
  }
  }
}
