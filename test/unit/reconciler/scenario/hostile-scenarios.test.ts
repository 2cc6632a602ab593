// Hostile scenario and snapshot files cannot exhaust memory or hang `joinery simulate` or
// `joinery plan --workload`: each bound is an error naming the file and the field, found
// while parsing (so each case takes milliseconds).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorkload, WorkloadError } from '../../../../compiler/plan/workload.ts';
import { parseScenario, SCENARIO_LIMITS, ScenarioError } from '../../../../reconciler/scenario/scenario.ts';
import { loadSnapshot } from '../../../../reconciler/scenario/snapshot.ts';

const deployment = (replicas: string, cpu = '500m') => `workloads:\n  - kind: Deployment\n    name: web\n    requests: { cpu: "${cpu}" }\n    replicas: [{ at: "00:00", replicas: ${replicas} }]`;

describe('hostile scenarios', () => {
  test.each([
    [deployment('1e9'), 'my.yaml: workloads[0].replicas[0].replicas: is 1000000000; at most 10,000 is allowed'],
    [deployment('.inf'), 'my.yaml: workloads[0].replicas[0].replicas: expected a number >= 0, got null'],
    ['workloads:\n  - kind: Job\n    name: etl\n    at: "01:00"\n    completions: 100000000\n    duration: 1m\n    requests: { cpu: "1" }', 'my.yaml: workloads[0].completions: is 100000000; at most 10,000 is allowed'],
    ['fleet:\n  - { nodePool: web, instanceType: m6i.large, count: 1000000 }', 'my.yaml: fleet[0].count: is 1000000; at most 5,000 is allowed'],
    ['fleet:\n  - { nodePool: web, instanceType: m6i.large, count: 3000 }\n  - { nodePool: web, instanceType: m6i.large, count: 3000 }', 'my.yaml: fleet: has 6,000 nodes in all; at most 5,000 are allowed'],
    ['duration: 100000h', 'my.yaml: duration: "100000h" is longer than the limit of 744h (31 days)'],
    ['duration: 0s', 'my.yaml: duration: must be longer than 0s'],
    ['sampleEvery: 0s', 'my.yaml: sampleEvery: "0s" is shorter than the minimum of 10s'],
    ['sampleEvery: 1ms', 'my.yaml: sampleEvery: "1ms"'],
    ['duration: 744h\nsampleEvery: 10s', 'my.yaml: sampleEvery: "10s" takes 267,840 samples over the duration; at most 50,000 are allowed'],
    [deployment('1', '-2'), 'my.yaml: workloads[0].requests.cpu: "-2" is negative; a request is 0 or more'],
    [deployment('1', '1e400'), 'my.yaml: workloads[0].requests.cpu: "1e400" is not a finite quantity'],
  ])('%#: %s', (yaml, expected) => {
    const started = Date.now();
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(expected);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('the limits themselves are accepted', () => {
    expect(() => parseScenario(`duration: 744h\nsampleEvery: 1m\n${deployment(String(SCENARIO_LIMITS.maxReplicas))}`, 'my.yaml')).not.toThrow();
  });
});

const pod = (name: string, cpu: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] }, status: { phase: 'Pending' } });

describe('hostile snapshots', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joinery-hostile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['-2', '"-2" is negative'],
    ['1e400', '"1e400" is not finite'],
  ])('simulate refuses a pod requesting cpu %s', async (cpu, expected) => {
    const file = join(dir, `snap-${cpu}.json`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('ok', '1'), pod('bad', cpu)] }));
    await expect(loadSnapshot(file)).rejects.toThrow(ScenarioError);
    await expect(loadSnapshot(file)).rejects.toThrow(`${file}: items[1].spec.containers[0].resources.requests.cpu: ${expected} (pod bad)`);
  });

  test('simulate refuses a snapshot with more running pods than the limit', async () => {
    const file = join(dir, 'big.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: Array.from({ length: SCENARIO_LIMITS.maxSnapshotPods + 1 }, (_, i) => pod(`p${i}`, '1')) }));
    await expect(loadSnapshot(file)).rejects.toThrow(`${file}: items: holds more than 50,000 running pods`);
  });

  test.each([
    ['-2', '"-2" is negative; a request is 0 or more'],
    ['1e400', '"1e400" is not a finite quantity'],
  ])('plan --workload refuses a pod requesting cpu %s', (cpu, expected) => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('bad', cpu)] });
    expect(() => parseWorkload('pods.json', text)).toThrow(WorkloadError);
    expect(() => parseWorkload('pods.json', text)).toThrow(`resources.requests.cpu: ${expected}`);
  });
});
