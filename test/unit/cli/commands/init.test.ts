// `joinery init` as a user runs it (a child process). The installed path (init compiles
// generated/ with the repository's own joinery) is in test/unit/cli/npm-package.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../../compiler/helpers.ts';

jest.setTimeout(120_000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joinery-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('scaffolds a new directory, and says generated/ waits for npm install when joinery is not installed there', () => {
  const result = runCli(['init', 'capacity', '--cluster-name', 'prod-eu'], dir);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^joinery init: a policy repository in capacity\n  created  package.json\n/);
  expect(result.stdout).toMatch(/generated\/ is not compiled yet: joinery is not installed in capacity\. Run 'npm install' there, then 'npx joinery compile'\./);
  const root = join(dir, 'capacity');
  expect(readdirSync(root).sort()).toEqual(['.github', '.gitignore', 'README.md', 'package.json', 'policies', 'tsconfig.json']);
  expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.joinery).toMatch(/^\^\d+\.\d+\.\d+$/);
  expect(readFileSync(join(root, 'policies/_cluster.ts'), 'utf8')).toMatch(/"prod-eu"/);
});

test('refuses to overwrite: exit 1 naming each existing file, and nothing is written', () => {
  writeFileSync(join(dir, 'tsconfig.json'), '{"mine": true}\n');
  const result = runCli(['init'], dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'joinery init: nothing written in .:\n  tsconfig.json: already exists; init writes no file over an existing one: move it away, or init another directory\n',
  );
  expect(readdirSync(dir)).toEqual(['tsconfig.json']);
  expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toBe('{"mine": true}\n');
});

test('--json: the files and their actions, or the conflicts', () => {
  const first = runCli(['init', '--json'], dir);
  expect(first.code).toBe(0);
  const report = JSON.parse(first.stdout);
  expect(report).toMatchObject({ ok: true, dir, conflicts: [], compiled: { ok: false, skipped: expect.stringMatching(/joinery is not installed/) } });
  expect(report.files).toContainEqual({ path: 'policies/general-purpose.ts', action: 'created' });
  const second = runCli(['init', '--json'], dir);
  expect(second.code).toBe(1);
  expect(JSON.parse(second.stdout)).toMatchObject({ ok: false, files: [], conflicts: expect.arrayContaining([{ path: 'policies/_cluster.ts', reason: expect.stringMatching(/already exists/) }]) });
  expect(existsSync(join(dir, 'generated'))).toBe(false);
});

test('a malformed cluster name is a usage error', () => {
  const result = runCli(['init', '--cluster-name', 'prod eu'], dir);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/--cluster-name "prod eu": an EKS cluster name is 1-100 letters, digits, - and _/);
  expect(readdirSync(dir)).toEqual([]);
});
