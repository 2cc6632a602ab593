// `joinery commit` on real git repositories made in the test (never this repository).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fixtureProject, goodPolicy, runCli, type Fixture } from '../../compiler/helpers.ts';

jest.setTimeout(180_000);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

let project: Fixture;
beforeEach(() => {
  project = fixtureProject({ 'policies/web.ts': goodPolicy('web'), 'policies/batch.ts': goodPolicy('batch'), 'README.md': '# capacity\n' });
  git(project.dir, 'init', '--quiet', '--initial-branch=main');
  git(project.dir, 'config', 'user.email', 'test@example.com');
  git(project.dir, 'config', 'user.name', 'Joinery Test');
  git(project.dir, 'add', '.');
  git(project.dir, 'commit', '--quiet', '-m', 'policies');
  expect(runCli(['compile', '--skip-typecheck'], project.dir).code).toBe(0);
});
afterEach(() => project.remove());

describe('joinery commit', () => {
  test('commits generated/ alone, with a subject naming the policies and a body listing the objects', () => {
    project.write('README.md', '# capacity (edited, not staged)\n');
    const result = runCli(['commit', '--no-verify'], project.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(git(project.dir, 'log', '-1', '--format=%s')).toBe('joinery: compile policies/batch.ts, policies/web.ts');
    const body = git(project.dir, 'log', '-1', '--format=%b');
    expect(body).toContain('added NodePool web (policies/web.ts)');
    expect(body).toContain('added EC2NodeClass batch (policies/batch.ts)');
    const files = git(project.dir, 'show', '--name-only', '--format=', 'HEAD').split('\n');
    expect(files.every((f) => f.startsWith('generated/'))).toBe(true);
    expect(files).toContain('generated/nodepools/web.yaml');
    // The unstaged edit stays in the working tree, uncommitted.
    expect(git(project.dir, 'status', '--porcelain')).toBe('M README.md');
  });

  test('a later commit names only the policy whose output changed; deletions are named from HEAD', () => {
    expect(runCli(['commit', '--no-verify'], project.dir).code).toBe(0);
    project.write('policies/web.ts', goodPolicy('web').replace('limits: { cpu: 100 }', 'limits: { cpu: 300 }'));
    rmSync(join(project.dir, 'policies/batch.ts'));
    expect(runCli(['compile', '--skip-typecheck'], project.dir).code).toBe(0);
    expect(runCli(['commit', '--no-verify'], project.dir).code).toBe(0);
    expect(git(project.dir, 'log', '-1', '--format=%s')).toBe('joinery: compile policies/batch.ts, policies/web.ts');
    const body = git(project.dir, 'log', '-1', '--format=%b');
    expect(body).toContain('modified NodePool web (policies/web.ts)');
    expect(body).toContain('deleted NodePool batch (policies/batch.ts)');
    expect(body).not.toContain('EC2NodeClass web');
  });

  test('refuses, with the files and a fix, when other changes are staged; nothing is committed', () => {
    const head = git(project.dir, 'rev-parse', 'HEAD');
    project.write('README.md', '# staged change\n');
    git(project.dir, 'add', 'README.md');
    const result = runCli(['commit', '--no-verify'], project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused: other changes are staged: README\.md/);
    expect(result.stderr).toMatch(/git restore --staged README\.md/);
    expect(git(project.dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  test('refuses when generated/ is not what the policies compile to', () => {
    project.write('policies/web.ts', goodPolicy('web').replace('limits: { cpu: 100 }', 'limits: { cpu: 300 }'));
    const head = git(project.dir, 'rev-parse', 'HEAD');
    const result = runCli(['commit'], project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/generated\/ is not what the policies compile to; run 'joinery compile' first/);
    expect(git(project.dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  test('--branch commits on a new branch and --push publishes it to the remote', () => {
    const remote = mkdtempSync(join(tmpdir(), 'joinery-remote-'));
    try {
      git(remote, 'init', '--quiet', '--bare');
      git(project.dir, 'remote', 'add', 'origin', `file://${remote}`);
      const result = runCli(['commit', '--no-verify', '--branch', 'capacity/initial', '--push', '-m', 'capacity: initial pools'], project.dir);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/on capacity\/initial \(pushed to origin\): capacity: initial pools/);
      expect(git(project.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('capacity/initial');
      expect(git(remote, 'rev-parse', 'capacity/initial')).toBe(git(project.dir, 'rev-parse', 'HEAD'));
      expect(git(project.dir, 'rev-parse', 'main')).not.toBe(git(project.dir, 'rev-parse', 'HEAD'));
    } finally {
      rmSync(remote, { recursive: true, force: true });
    }
  });

  test('with nothing new in generated/, says so and exits 0', () => {
    expect(runCli(['commit', '--no-verify'], project.dir).code).toBe(0);
    const again = runCli(['commit', '--no-verify'], project.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to commit on main: generated\/ matches HEAD/);
  });

  test('--all commits the policy change and the generated output it compiles to together; --json prints the outcome', () => {
    expect(runCli(['commit', '--no-verify'], project.dir).code).toBe(0);
    project.write('policies/web.ts', goodPolicy('web').replace('limits: { cpu: 100 }', 'limits: { cpu: 300 }'));
    git(project.dir, 'add', 'policies/web.ts'); // a staged policy change is part of the commit, not refused
    expect(runCli(['compile', '--skip-typecheck'], project.dir).code).toBe(0);
    project.write('README.md', '# not part of it\n');
    const result = runCli(['commit', '--all', '--json'], project.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout) as { status: string; subject: string; changes: { path: string }[] };
    expect(outcome.status).toBe('committed');
    expect(outcome.subject).toBe('joinery: compile policies/web.ts');
    const files = git(project.dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort();
    expect(files).toEqual(['generated/nodepools/web.yaml', 'policies/web.ts']);
    expect(git(project.dir, 'log', '-1', '--format=%b')).toContain('modified policy policies/web.ts');
    expect(git(project.dir, 'status', '--porcelain', '--untracked-files=no')).toBe('M README.md');
  });

  test('without --all, a staged policy change is refused as before', () => {
    project.write('policies/web.ts', goodPolicy('web').replace('limits: { cpu: 100 }', 'limits: { cpu: 300 }'));
    git(project.dir, 'add', 'policies/web.ts');
    const result = runCli(['commit', '--no-verify'], project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/other changes are staged: policies\/web\.ts/);
  });
});
