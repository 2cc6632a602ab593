// `joinery simulate` given hostile inputs, as a user runs it (a child process on a project
// directory): a hostile scenario, snapshot or policy is a user error (exit 1) with a message
// naming the file and the field, within seconds, with no stack trace, no report written and
// generated/ left byte for byte. The parsers' bounds themselves are covered field by field
// in test/unit/reconciler/scenario/hostile-scenarios.test.ts; the policy worker's in
// test/unit/compiler/load/hostile-policies.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fixtureProject, goodPolicy, REPO_ROOT, snapshotTree, type Fixture } from '../../compiler/helpers.ts';

jest.setTimeout(180_000);

function cli(dir: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/joinery.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, JOINERY_POLICY_TIME_LIMIT: '3' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

const pod = (name: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] },
  status: { phase: 'Pending' },
});
const deployment = (replicas: string, cpu = '500m') =>
  `workloads:\n  - kind: Deployment\n    name: web\n    requests: { cpu: "${cpu}" }\n    replicas: [{ at: "00:00", replicas: ${replicas} }]\n`;

let project: Fixture;
let generated: Record<string, string>;
beforeAll(() => {
  project = fixtureProject({
    'policies/web.ts': goodPolicy('web'),
    'snapshots/negative.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('ok', '1'), pod('bad', '-2')] }),
  });
  expect(cli(project.dir, ['compile', '--skip-typecheck']).code).toBe(0);
  generated = snapshotTree(join(project.dir, 'generated'));
});
afterAll(() => project.remove());
afterEach(() => {
  expect(snapshotTree(join(project.dir, 'generated'))).toEqual(generated);
  expect(existsSync(join(project.dir, 'report.html'))).toBe(false);
  project.write('policies/web.ts', goodPolicy('web'));
});

describe('joinery simulate refuses hostile scenarios and snapshots', () => {
  test.each([
    ['replicas: 1e9', deployment('1e9'), 'workloads[0].replicas[0].replicas: is 1000000000; at most 10,000 is allowed'],
    ['a fleet of 1,000,000', 'fleet:\n  - { nodePool: web, instanceType: m6i.large, count: 1000000 }\n', 'fleet[0].count: is 1000000; at most 5,000 is allowed'],
    ['duration: 100000h', 'duration: 100000h\n', 'duration: "100000h" is longer than the limit of 744h (31 days)'],
    ['sampleEvery: 0s', 'sampleEvery: 0s\n', 'sampleEvery: "0s" is shorter than the minimum of 10s'],
    ['a negative CPU request', deployment('1', '-2'), 'workloads[0].requests.cpu: "-2" is negative; a request is 0 or more'],
    ['an infinite CPU request', deployment('1', '1e400'), 'workloads[0].requests.cpu: "1e400" is not a finite quantity'],
  ])('%s: exit 1, the file and field named, in seconds', (_name, yaml, message) => {
    project.write('scenarios/hostile.yaml', yaml);
    const result = cli(project.dir, ['simulate', '--skip-typecheck', '-q', '-s', 'scenarios/hostile.yaml']);
    expect(result.stderr).toContain(`joinery simulate: ${join(project.dir, 'scenarios/hostile.yaml')}: ${message}`);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(60_000);
  });

  test('--consolidation-policy with an unknown policy: exit 1, the accepted values named, before compiling', () => {
    const result = cli(project.dir, ['simulate', '--skip-typecheck', '-q', '--consolidation-policy', 'WhenUnderutilized']);
    expect(result.stderr).toBe('joinery simulate: --consolidation-policy WhenUnderutilized: expected one of WhenEmptyOrUnderutilized, Balanced\n');
    expect(result.code).toBe(1);
  });

  test('a snapshot pod requesting cpu -2: exit 1, the pod and field named', () => {
    project.write('scenarios/hostile.yaml', 'duration: 30m\nworkloads:\n  - { kind: Snapshot, file: ../snapshots/negative.json }\n');
    const result = cli(project.dir, ['simulate', '--skip-typecheck', '-q', '-s', 'scenarios/hostile.yaml']);
    expect(result.stderr).toContain(`${join(project.dir, 'snapshots/negative.json')}: items[1].spec.containers[0].resources.requests.cpu: "-2" is negative`);
    expect(result.stderr).toContain('(pod bad)');
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.code).toBe(1);
  });

  test('a policy that never finishes is stopped at the time limit: simulate runs policies in the limited worker too', () => {
    project.write('scenarios/hostile.yaml', 'duration: 30m\n');
    project.write('policies/web.ts', goodPolicy('web').replace('export default definePolicy', 'for (;;) {}\nexport default definePolicy'));
    const result = cli(project.dir, ['simulate', '--skip-typecheck', '-q', '-s', 'scenarios/hostile.yaml']);
    expect(result.stderr).toMatch(/\[policy-timeout\] policy policies\/web\.ts did not finish within 3 s/);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.code).toBe(1);
  });
});
