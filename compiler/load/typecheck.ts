// Type-checks policy files with the TypeScript compiler API before they are run: tsx only
// strips types, so without this a policy with a type error would compile to whatever the
// JavaScript happens to do. Two caches keep `joinery compile` fast:
//  - a fingerprint of every file the last clean check read (content hashes for project
//    files, size and mtime for node_modules): when nothing changed, TypeScript is not even
//    loaded;
//  - otherwise an incremental program (.tsbuildinfo), so only changed files are re-checked.
// Both live in the git-ignored .joinery/ directory.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompilerOptions } from 'typescript';

type TypeScript = typeof import('typescript');

export interface TypeDiagnostic {
  /** Path relative to the project root (absolute when outside it). */
  file: string | undefined;
  line: number | undefined;
  column: number | undefined;
  /** e.g. TS2322 */
  code: string;
  message: string;
}

export interface TypecheckOptions {
  /** The project root: diagnostics are reported relative to it. */
  root: string;
  /** Where the caches live (default `<root>/.joinery/typecheck`). */
  cacheDir?: string;
}

/** The project's strictness, minus the lint-like checks (unused locals) a policy author should not fail on. */
function compilerOptions(ts: TypeScript, cacheDir: string): CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    isolatedModules: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    // Policies run in Node but need none of its APIs; leaving @types/node out (60+ files)
    // keeps a cold check fast.
    types: [],
    incremental: true,
    tsBuildInfoFile: join(cacheDir, 'policies.tsbuildinfo'),
  };
}

/** joinery's own sources (the API the policies import): type-checked by the repository, not per compile. */
const JOINERY_SOURCES = ['compiler/', 'core/'].map((dir) => resolve(fileURLToPath(new URL(`../../${dir}`, import.meta.url))) + '/');

function isPolicySource(fileName: string): boolean {
  return !fileName.includes('/node_modules/') && !fileName.endsWith('.d.ts') && !JOINERY_SOURCES.some((dir) => fileName.startsWith(dir));
}

interface Fingerprint {
  typescript: string;
  roots: string[];
  files: Record<string, string>;
}

function fileStamp(path: string): string {
  if (path.includes('/node_modules/')) {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  }
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

function fingerprintHolds(path: string, roots: readonly string[], typescriptVersion: string | undefined): boolean {
  let saved: Fingerprint;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as Fingerprint;
  } catch {
    return false;
  }
  if (typescriptVersion !== undefined && saved.typescript !== typescriptVersion) return false;
  if (saved.roots.join('\n') !== [...roots].sort().join('\n')) return false;
  try {
    return Object.entries(saved.files).every(([file, stamp]) => fileStamp(file) === stamp);
  } catch {
    return false;
  }
}

function installedTypescriptVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('typescript/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Type-checks the given policy files (and everything they import). Returns the diagnostics,
 * empty when the files type-check.
 */
export async function typecheckPolicies(files: readonly string[], options: TypecheckOptions): Promise<TypeDiagnostic[]> {
  const root = resolve(options.root);
  const cacheDir = options.cacheDir ?? join(root, '.joinery', 'typecheck');
  const roots = files.map((f) => resolve(root, f));
  const fingerprintPath = join(cacheDir, 'fingerprint.json');
  const typescriptVersion = installedTypescriptVersion();
  if (fingerprintHolds(fingerprintPath, roots, typescriptVersion)) return [];

  // Through require, not import(): tsx's ESM hooks make loading the 9 MB compiler ~4x slower.
  const ts = createRequire(import.meta.url)('typescript') as TypeScript;
  const compilerOpts = compilerOptions(ts, cacheDir);
  mkdirSync(dirname(compilerOpts.tsBuildInfoFile!), { recursive: true });
  const host = ts.createIncrementalCompilerHost(compilerOpts);
  const program = ts.createIncrementalProgram({ rootNames: roots, options: compilerOpts, host });
  // Only the policies' own files are checked: the checker then resolves what they use of
  // the API without re-checking the API's implementation (which the repository's own
  // `tsc` covers), which is most of the work of a cold check.
  const own = program.getSourceFiles().filter((f) => isPolicySource(f.fileName));
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  // Writes the .tsbuildinfo (noEmit: nothing else is emitted).
  program.emit();

  if (diagnostics.length === 0) {
    const fingerprint: Fingerprint = { typescript: ts.version, roots: [...roots].sort(), files: {} };
    for (const source of program.getSourceFiles()) {
      if (program.getProgram().isSourceFileDefaultLibrary(source)) continue;
      fingerprint.files[source.fileName] = fileStamp(source.fileName);
    }
    writeFileSync(fingerprintPath, JSON.stringify(fingerprint));
  }

  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return { file: undefined, line: undefined, column: undefined, code: `TS${d.code}`, message };
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const rel = relative(root, d.file.fileName);
    return { file: rel.startsWith('..') ? d.file.fileName : rel, line: line + 1, column: character + 1, code: `TS${d.code}`, message };
  });
}
