// Hostile policies cannot hang or crash `joinery compile`: a policy that loops, never
// settles, or calls process.exit is an error naming its file, exit code 1, and generated/
// left byte for byte as it was. Each case runs the CLI with a short time limit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fixtureProject, goodPolicy, REPO_ROOT, snapshotTree, type Fixture } from '../helpers.ts';

jest.setTimeout(120_000);

function compile(dir: string, args: readonly string[] = []): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/joinery.js'), 'compile', '--skip-typecheck', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, JOINERY_POLICY_TIME_LIMIT: '3' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

let project: Fixture;
let before: Record<string, string>;
beforeAll(() => {
  project = fixtureProject({ 'policies/web.ts': goodPolicy('web') });
  expect(compile(project.dir).code).toBe(0);
  before = snapshotTree(join(project.dir, 'generated'));
});
afterAll(() => project.remove());
afterEach(() => {
  expect(snapshotTree(join(project.dir, 'generated'))).toEqual(before);
  project.write('policies/web.ts', goodPolicy('web'));
});

const hostile = (body: string): string => goodPolicy('web').replace('export default definePolicy', `${body}\nexport default definePolicy`);

describe('hostile policies', () => {
  test('an endless loop is stopped at the time limit, naming the file', () => {
    project.write('policies/web.ts', hostile('for (;;) {}'));
    const result = compile(project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/policies\/web\.ts:1:1 error \[policy-timeout\] policy policies\/web\.ts did not finish within 3 s/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.ms).toBeLessThan(30_000);
  });

  test('an endless loop inside build() is stopped too', () => {
    project.write('policies/web.ts', goodPolicy('web').replace('definePolicy((policy) => {', 'definePolicy((policy) => {\n  while (true) {}'));
    const result = compile(project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[policy-timeout\] policy policies\/web\.ts did not finish within 3 s/);
  });

  test('a top-level await that never settles is an error, not a silent exit 13', () => {
    project.write('policies/web.ts', hostile('await new Promise(() => {});'));
    const result = compile(project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[policy-exited\] policy policies\/web\.ts exited \(code \d+\) before returning its result/);
  });

  test('process.exit(0) in a policy cannot make compile --check pass on a stale generated/', () => {
    project.write('policies/web.ts', hostile('(globalThis as any).process.exit(0);').replace('limits: { cpu: 100 }', 'limits: { cpu: 200 }'));
    const check = compile(project.dir, ['--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/\[policy-exited\] policy policies\/web\.ts exited \(code 0\) before returning its result/);
    const written = compile(project.dir);
    expect(written.code).toBe(1);
  });

  test('a policy runs only in the limited worker, never in the compiler\'s own thread', () => {
    // A policy that would misbehave only outside a worker thread never gets the chance.
    project.write('policies/web.ts', hostile("import { isMainThread } from 'node:worker_threads';\nif (isMainThread) { for (;;) {} }"));
    const check = compile(project.dir, ['--check']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.ms).toBeLessThan(30_000);
  });

  test('a policy that exhausts memory is an error naming the file', () => {
    project.write('policies/web.ts', hostile('const hog: number[][] = []; for (;;) hog.push(new Array(1e6).fill(1));'));
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/joinery.js'), 'compile', '--skip-typecheck'], {
      cwd: project.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, JOINERY_POLICY_TIME_LIMIT: '20', JOINERY_POLICY_MEMORY_LIMIT: '64' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/policy policies\/web\.ts ran out of memory \(limit 64 MB\)/);
  });
});

describe('hostile values in the policy API are field-named errors, never a stack trace', () => {
  const cases: [string, (source: string) => string, RegExp][] = [
    ['Infinity', (src) => src.replace('limits: { cpu: 100 }', 'limits: { cpu: Infinity }'), /NodePool\/web limits\.cpu: is Infinity, not a finite number/],
    ['NaN', (src) => src.replace('limits: { cpu: 100 }', 'limits: { cpu: 100 },\n    weight: NaN'), /NodePool\/web weight: is NaN, not a finite number/],
    [
      'an 800,000-value requirement',
      (src) => src.replace('limits: { cpu: 100 }', "limits: { cpu: 100 },\n    requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: Array.from({ length: 800_000 }, (_, i) => `t${i}`) }]"),
      /NodePool\/web requirements\[0\]\.values: has 800000 entries; at most 1000 are allowed/,
    ],
    ['a __proto__ key', (src) => src.replace('limits: { cpu: 100 }', "limits: { cpu: 100 },\n    labels: JSON.parse('{\"__proto__\": \"x\"}')"), /NodePool\/web labels\.__proto__: "__proto__" is not allowed as a key/],
    ['a constructor key', (src) => src.replace("{ tags: { 'karpenter.sh/discovery': 'test' } }],\n    securityGroups", "{ tags: { ['constructor']: 'test' } as any }],\n    securityGroups"), /EC2NodeClass\/web subnets\[0\]\.tags\.constructor: "constructor" is not allowed as a key/],
  ];
  test.each(cases)('%s', (_name, change, message) => {
    project.write('policies/web.ts', change(goodPolicy('web')));
    const result = compile(project.dir);
    expect(result.stderr).toMatch(/policies\/web\.ts:\d+:\d+ error \[invalid-value\]/);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.code).toBe(1);
  });
});
