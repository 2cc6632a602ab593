// Test helpers for the compiler: policies built in memory (constructs in a fresh cdk8s
// App), fixture projects on disk (a temporary directory with policies/ that import the
// API by absolute path), and the CLI run as a child process, as a user runs it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdk8s';
import { Policy } from '../../../compiler/api/policy.ts';
import { compileCharts } from '../../../compiler/compile.ts';
import type { Diagnostic } from '../../../compiler/diagnostics.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const API_PATH = join(REPO_ROOT, 'compiler/api/index.ts');

/** The 1-based line of the caller's caller, to assert that a diagnostic points at a construct's line. */
export function nextLine(): number {
  const frame = (new Error().stack ?? '').split('\n')[2] ?? '';
  return Number(/:(\d+):\d+\)?$/.exec(frame)?.[1] ?? Number.NaN) + 1;
}

/** Builds policies in memory (one chart per entry) and compiles them against the shipped catalog. */
export function compileInMemory(policies: Record<string, (policy: Policy) => void>) {
  const app = new App({ outdir: join(tmpdir(), 'joinery-unused') });
  const charts = Object.entries(policies).map(([file, build]) => {
    const policy = new Policy(app, file.replace(/^.*\//, '').replace(/\.ts$/, ''), file);
    build(policy);
    return policy;
  });
  return compileCharts(charts, { root: REPO_ROOT });
}

export function findings(diagnostics: readonly Diagnostic[], code: string): Diagnostic[] {
  return diagnostics.filter((d) => d.code === code);
}

export interface Fixture {
  dir: string;
  write(path: string, content: string): void;
  remove(): void;
}

/** A project directory with package.json (ESM) and the given files; `API` in a file is the API's path. */
export function fixtureProject(files: Record<string, string>): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-fixture-'));
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content.replaceAll('API', API_PATH));
  };
  write('package.json', JSON.stringify({ name: 'fixture', private: true, type: 'module' }));
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], cwd: string): CliResult {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/joinery.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` with its bytes (as base64, so comparisons are byte-exact). */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[relative(dir, full)] = readFileSync(full).toString('base64');
  }
  return out;
}

/** A valid policy source: an EC2NodeClass and a NodePool that pass every guardrail. */
export function goodPolicy(name = 'web', extraPoolProps = ''): string {
  return `import { definePolicy, EC2NodeClass, NodePool, Ami } from 'API';

export default definePolicy((policy) => {
  const nodeClass = new EC2NodeClass(policy, '${name}', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-test',
    subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  });
  new NodePool(policy, '${name}', {
    nodeClass,
    instances: { categories: ['c', 'm'], generation: { min: 6 } },
    limits: { cpu: 100 },
    expireAfter: '720h',${extraPoolProps}
  });
});
`;
}
