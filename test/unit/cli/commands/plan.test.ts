// `joinery plan --workload` given a hostile snapshot, as a user runs it (a child process on
// a project directory): a usage error (exit 2) naming the file and the field, before any
// compile, with no stack trace and generated/ left byte for byte. The workload parser's
// bounds are covered in test/unit/reconciler/scenario/hostile-scenarios.test.ts.
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fixtureProject, goodPolicy, runCli, snapshotTree, type Fixture } from '../../compiler/helpers.ts';

jest.setTimeout(180_000);

const pod = (name: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] },
  status: { phase: 'Pending' },
});

let project: Fixture;
beforeAll(() => {
  project = fixtureProject({ 'policies/web.ts': goodPolicy('web') });
  expect(runCli(['compile', '--skip-typecheck'], project.dir).code).toBe(0);
});
afterAll(() => project.remove());

describe('joinery plan --workload refuses a hostile snapshot', () => {
  test.each([
    ['-2', '"-2" is negative; a request is 0 or more'],
    ['1e400', '"1e400" is not a finite quantity'],
  ])('a pod requesting cpu %s: exit 2, the file and field named, generated/ untouched', (cpu, message) => {
    const generated = snapshotTree(join(project.dir, 'generated'));
    project.write('snapshots/pods.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('ok', '1'), pod('bad', cpu)] }));
    const result = runCli(['plan', '--skip-typecheck', '--workload', 'snapshots/pods.json'], project.dir);
    expect(result.stderr).toMatch(/^joinery plan: .*snapshots\/pods\.json/m);
    expect(result.stderr).toContain(`resources.requests.cpu: ${message}`);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(result.code).toBe(2);
    expect(snapshotTree(join(project.dir, 'generated'))).toEqual(generated);
  });
});
