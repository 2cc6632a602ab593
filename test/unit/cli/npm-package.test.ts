// joinery as an npm package a policy repository depends on, end to end and offline:
// `npm pack` this repository (its prepack builds the policy API's declarations), install
// the tarball into a fresh temporary repository with `npm ci --offline`, then run the
// installed `joinery init`, `joinery compile`, `joinery plan` and plain `tsc` there.
//
// Offline: the temporary repository gets a package-lock.json derived from this
// repository's own (the same versions and integrity hashes, each with its registry
// tarball URL), so npm takes every dependency from its cache (~/.npm, filled by this
// repository's `npm ci`) and the joinery tarball from disk; `--offline` makes any
// request to the registry an error (ENOTCACHED) instead of a download.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { REPO_ROOT } from '../compiler/helpers.ts';

jest.setTimeout(240_000);

interface LockEntry {
  version?: string;
  name?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  inBundle?: boolean;
  [key: string]: unknown;
}

function run(command: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (result.error) throw result.error;
  return result;
}

function expectSuccess(result: SpawnSyncReturns<string>, what: string): void {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
}

/** A package-lock.json for a repository depending on the tarball and TypeScript: joinery's production tree from this repository's lock. */
function offlineLock(tarball: string, devDependencies: Record<string, string>): unknown {
  const own = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: unknown; engines: unknown };
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'policies', devDependencies },
    'node_modules/joinery': { version: own.version, resolved: devDependencies.joinery, integrity, dev: true, dependencies: own.dependencies, bin: own.bin, engines: own.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev) continue; // dev-only packages of joinery itself are not installed with it
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const copy: LockEntry = { ...entry, dev: true };
    delete copy.devOptional;
    if (copy.resolved === undefined && !copy.link && !copy.inBundle) copy.resolved = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    packages[path] = copy;
  }
  return { name: 'policies', lockfileVersion: 3, requires: true, packages };
}

let work: string;
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm pack, offline install into a fresh repository, then joinery init, compile, plan and plain tsc there', () => {
  work = mkdtempSync(join(tmpdir(), 'joinery-package-'));

  // 1. The package as npm would publish it.
  const packed = run('npm', ['pack', REPO_ROOT, '--pack-destination', work, '--json'], work);
  expectSuccess(packed, 'npm pack');
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const shipped = info.files.map((f) => f.path);
  expect(shipped).toEqual(expect.arrayContaining(['bin/joinery.js', 'compiler/api/index.ts', 'types/compiler/api/index.d.ts', 'cli/commands/init.ts', 'data/ec2-us-east-1.json']));
  expect(shipped.filter((path) => path.startsWith('test/') || path.startsWith('policies/') || path.startsWith('generated/'))).toEqual([]);

  // 2. A fresh repository installs it, offline (the user's `npm i -D joinery`).
  const repo = join(work, 'capacity');
  mkdirSync(repo);
  const typescript = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.typescript!;
  const devDependencies = { joinery: `file:../${info.filename}`, typescript };
  writeFileSync(join(repo, 'package.json'), `${JSON.stringify({ name: 'policies', private: true, devDependencies }, null, 2)}\n`);
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(offlineLock(join(work, info.filename), devDependencies), null, 2));
  const install = run('npm', ['ci', '--offline', '--ignore-scripts'], repo);
  if (/ENOTCACHED/.test(install.stderr)) throw new Error(`npm's cache lacks a dependency of joinery (the test installs offline): run 'npm ci' in this repository, which fills it, then run the test again\n${install.stderr}`);
  expectSuccess(install, 'npm ci --offline');
  const joinery = join(repo, 'node_modules/.bin/joinery');
  const tsc = join(repo, 'node_modules/.bin/tsc');
  expect(existsSync(joinery)).toBe(true);
  expectSuccess(run('git', ['init', '-q', '-b', 'main'], repo), 'git init');

  // 3. joinery init: extends the existing package.json, writes the rest, compiles once.
  const init = run(joinery, ['init', '--cluster-name', 'staging-eu', '--json'], repo);
  expectSuccess(init, 'joinery init');
  const report = JSON.parse(init.stdout) as { ok: boolean; files: { path: string; action: string; detail?: string }[]; compiled: { ok: boolean; files: number } };
  expect(report.ok).toBe(true);
  expect(report.files.map((f) => `${f.action} ${f.path}`).sort()).toEqual(
    ['created .github/workflows/joinery.yml', 'created .gitignore', 'created README.md', 'created policies/_cluster.ts', 'created policies/general-purpose.ts', 'created tsconfig.json', 'extended package.json'].sort(),
  );
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { type: string; scripts: Record<string, string>; devDependencies: Record<string, string> };
  expect(pkg.type).toBe('module');
  expect(pkg.scripts.plan).toBe('joinery plan');
  expect(pkg.devDependencies).toEqual(devDependencies); // what npm installed is kept
  expect(report.compiled.ok).toBe(true);
  const pool = readFileSync(join(repo, 'generated/nodepools/general-purpose.yaml'), 'utf8');
  expect(pool).toMatch(/^kind: NodePool$/m);
  expect(readFileSync(join(repo, 'generated/ec2nodeclasses/general-purpose.yaml'), 'utf8')).toMatch(/karpenter\.sh\/discovery: staging-eu/);
  expect(readFileSync(join(repo, '.github/workflows/joinery.yml'), 'utf8')).toMatch(/npx joinery compile --check[\s\S]*npx joinery plan/);

  // 4. The policy API from `joinery/policy` too; generated/ stays current; plain tsc agrees.
  const helper = join(repo, 'policies/_cluster.ts');
  writeFileSync(helper, readFileSync(helper, 'utf8').replace("from 'joinery'", "from 'joinery/policy'"));
  const check = run(joinery, ['compile', '--check'], repo);
  expectSuccess(check, 'joinery compile --check');
  expect(check.stdout).toMatch(/generated\/ is up to date \(1 EC2NodeClass, 1 NodePool from 1 policy/);
  expectSuccess(run(tsc, ['--noEmit', '-p', 'tsconfig.json'], repo), 'tsc --noEmit');

  // 5. A pull request: plan reviews a changed limit against the committed base.
  expectSuccess(run('git', ['add', '-A'], repo), 'git add');
  expectSuccess(run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'joinery init'], repo), 'git commit');
  const policy = join(repo, 'policies/general-purpose.ts');
  writeFileSync(policy, readFileSync(policy, 'utf8').replace('limits: { cpu: 1000,', 'limits: { cpu: 1500,'));
  expectSuccess(run(joinery, ['compile'], repo), 'joinery compile');
  const plan = run(joinery, ['plan'], repo);
  expectSuccess(plan, 'joinery plan');
  expect(plan.stdout).toMatch(/general-purpose/);
  expect(plan.stdout).toMatch(/1000[\s\S]*1500/);

  // 6. The types are real: plain tsc refuses a wrong value with the policy's file and line.
  writeFileSync(policy, readFileSync(policy, 'utf8').replace('limits: { cpu: 1500,', "limits: { cpu: 'lots',"));
  const wrong = run(tsc, ['--noEmit', '-p', 'tsconfig.json'], repo);
  expect(wrong.status).not.toBe(0);
  expect(wrong.stdout).toMatch(/policies\/general-purpose\.ts\(\d+,\d+\): error TS2322: Type '"lots"' is not assignable to type 'CpuQuantity/);
});
