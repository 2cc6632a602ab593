// What `joinery init` does to a directory, decided before anything is written: which files
// it creates, which shared files it extends (package.json, .gitignore, README.md), and
// which existing files stop it. A file init would create that already exists is a
// conflict, never overwritten; with any conflict nothing is written.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  clusterPolicyHelper,
  gitignore,
  GITIGNORE_LINES,
  packageJson,
  README_MARKER,
  readmeSection,
  SCRIPTS,
  starterPolicy,
  tsconfigJson,
  workflow,
  type TemplateValues,
} from './templates.ts';

export interface ScaffoldFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  /** created: a new file; extended: an existing file init adds to (what it adds is in `detail`). */
  action: 'created' | 'extended';
  detail?: string;
  content: string;
}

export interface ScaffoldConflict {
  path: string;
  reason: string;
}

export interface ScaffoldPlan {
  files: ScaffoldFile[];
  conflicts: ScaffoldConflict[];
}

/** A package name npm accepts, from the directory name. */
export function packageNameFor(dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '');
  return name === '' ? 'capacity-policies' : name;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
}

type PackageJson = Record<string, unknown> & { type?: unknown; scripts?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/** An existing package.json with what the policy repository needs added: "type": "module", the scripts, joinery and TypeScript. */
function extendPackageJson(text: string, values: TemplateValues): { content?: string; detail?: string; conflict?: string } {
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(text) as PackageJson;
  } catch (error) {
    return { conflict: `is not valid JSON (${(error as Error).message}); fix it, or init another directory` };
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) return { conflict: 'is not a JSON object; fix it, or init another directory' };
  if (pkg.type !== undefined && pkg.type !== 'module') {
    return { conflict: `"type" is ${JSON.stringify(pkg.type)}, but policies are ES modules: set "type": "module", or init the policies in a directory of their own` };
  }
  const added: string[] = [];
  if (pkg.type === undefined) {
    pkg.type = 'module';
    added.push('"type": "module"');
  }
  const scripts = { ...(pkg.scripts ?? {}) };
  const newScripts = Object.keys(SCRIPTS).filter((name) => scripts[name] === undefined);
  for (const name of newScripts) scripts[name] = SCRIPTS[name]!;
  if (newScripts.length > 0) {
    pkg.scripts = scripts;
    added.push(`scripts ${newScripts.join(', ')}`);
  }
  const has = (name: string): boolean => pkg.dependencies?.[name] !== undefined || pkg.devDependencies?.[name] !== undefined;
  const wanted: [string, string][] = [['joinery', values.joineryRange], ['typescript', values.typescriptRange]];
  const missing = wanted.filter(([name]) => !has(name));
  if (missing.length > 0) {
    pkg.devDependencies = { ...(pkg.devDependencies ?? {}), ...Object.fromEntries(missing) };
    added.push(`devDependencies ${missing.map(([name, range]) => `${name}@${range}`).join(', ')}`);
  }
  if (added.length === 0) return {};
  return { content: `${JSON.stringify(pkg, null, 2)}\n`, detail: `added ${added.join('; ')}` };
}

function normaliseIgnore(line: string): string {
  return line.trim().replace(/^\//, '').replace(/\/$/, '');
}

/** Decides what init writes into `root` (nothing is written here). */
export function planScaffold(root: string, values: TemplateValues): ScaffoldPlan {
  const files: ScaffoldFile[] = [];
  const conflicts: ScaffoldConflict[] = [];

  const existingPackage = readIfExists(join(root, 'package.json'));
  if (existingPackage === undefined) {
    files.push({ path: 'package.json', action: 'created', content: packageJson(values) });
  } else {
    const extended = extendPackageJson(existingPackage, values);
    if (extended.conflict !== undefined) conflicts.push({ path: 'package.json', reason: extended.conflict });
    else if (extended.content !== undefined) files.push({ path: 'package.json', action: 'extended', detail: extended.detail, content: extended.content });
  }

  const created: [string, string][] = [
    ['tsconfig.json', tsconfigJson()],
    ['policies/_cluster.ts', clusterPolicyHelper(values)],
    ['policies/general-purpose.ts', starterPolicy()],
    ['.github/workflows/joinery.yml', workflow()],
  ];
  for (const [path, content] of created) {
    if (existsSync(join(root, path))) conflicts.push({ path, reason: 'already exists; init writes no file over an existing one: move it away, or init another directory' });
    else files.push({ path, action: 'created', content });
  }

  const generated = join(root, 'generated');
  if (existsSync(generated) && (!statSync(generated).isDirectory() || readdirSync(generated).length > 0)) {
    conflicts.push({ path: 'generated/', reason: 'already exists and is not empty; init compiles the starter policy into it: move it away, or init another directory' });
  }

  const existingIgnore = readIfExists(join(root, '.gitignore'));
  if (existingIgnore === undefined) {
    files.push({ path: '.gitignore', action: 'created', content: gitignore() });
  } else {
    const present = new Set(existingIgnore.split('\n').map(normaliseIgnore));
    const missing = GITIGNORE_LINES.filter((line) => !present.has(normaliseIgnore(line)));
    if (missing.length > 0) {
      const separator = existingIgnore === '' || existingIgnore.endsWith('\n') ? '' : '\n';
      files.push({ path: '.gitignore', action: 'extended', detail: `added ${missing.join(', ')}`, content: `${existingIgnore}${separator}${missing.join('\n')}\n` });
    }
  }

  const existingReadme = readIfExists(join(root, 'README.md'));
  if (existingReadme === undefined) {
    files.push({ path: 'README.md', action: 'created', content: `# ${values.packageName}\n\n${readmeSection(values)}` });
  } else if (!existingReadme.includes(README_MARKER)) {
    const separator = existingReadme === '' ? '' : existingReadme.endsWith('\n') ? '\n' : '\n\n';
    files.push({ path: 'README.md', action: 'extended', detail: 'added the section "Capacity policies (joinery)"', content: `${existingReadme}${separator}${readmeSection(values)}` });
  }

  return { files, conflicts };
}

/** Writes the planned files (only call with a plan that has no conflicts). */
export function writeScaffold(root: string, files: readonly ScaffoldFile[]): void {
  for (const file of files) {
    const path = join(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content, file.action === 'created' ? { flag: 'wx' } : {});
  }
}
