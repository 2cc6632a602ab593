// joinery import as a user runs it: a project, Karpenter YAML, the command line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { fixtureProject, REPO_ROOT, runCli, type Fixture } from '../../compiler/helpers.ts';

jest.setTimeout(180_000);

const FIXTURES = join(REPO_ROOT, 'test/unit/compiler/import/fixtures');
let project: Fixture;
beforeEach(() => {
  project = fixtureProject({ 'policies/.keep': '' });
});
afterEach(() => project.remove());

describe('joinery import', () => {
  test('writes the policies, says what it converted, and prints the guardrails as the first review; a second run does not overwrite', () => {
    const api = join(REPO_ROOT, 'compiler/api/index.ts');
    const result = runCli(['import', join(FIXTURES, 'v1beta1.yaml'), join(FIXTURES, 'unusual.yaml'), '--api', api], project.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote 3 policies:\n {2}policies\/legacy\.ts: EC2NodeClass legacy \(EC2NodeClass\), NodePool legacy \(NodePool\)/);
    expect(result.stdout).toMatch(/converted:[\s\S]*consolidationPolicy WhenUnderutilized -> WhenEmptyOrUnderutilized/);
    expect(result.stdout).toMatch(/not expressible in the policy API[\s\S]*NodePool storage spec\.template\.spec\.futureField/);
    expect(result.stdout).toContain('round trip: compiling the imported policies reproduces every imported object.');
    expect(result.stdout).toMatch(/first review \(the guardrails on the imported policies\): 1 error\(s\)[\s\S]*policies\/storage\.ts error \[field-not-honoured\] EC2NodeClass\/storage spec\.placementGroupSelector/);
    expect(readFileSync(join(project.dir, 'policies/legacy.ts'), 'utf8')).toContain(`from '${api}'`);

    const again = runCli(['import', join(FIXTURES, 'v1beta1.yaml'), '--api', api], project.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/policies\/legacy\.ts already exists; nothing was written\. Pass --force/);
  });

  test('a file that is not Karpenter YAML: the file and the document index, exit 1, nothing written', () => {
    const result = runCli(['import', join(FIXTURES, 'bad/second-doc.yaml')], project.dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/joinery import: .*second-doc\.yaml \(document 1\): is a Deployment \(apps\/v1\), not a Karpenter NodePool or EC2NodeClass\n {4}fix: /);
    expect(existsSync(join(project.dir, 'policies/ok.ts'))).toBe(false);
  });

  test('--dry-run --json: the report with the files\' contents, nothing written', () => {
    const result = runCli(['import', join(FIXTURES, 'general.yaml'), '--dry-run', '--json'], project.dir);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { files: { path: string; content: string }[]; mismatches: unknown[] };
    expect(report.mismatches).toEqual([]);
    expect(report.files.map((f) => f.path)).toEqual(['policies/default.ts']);
    expect(report.files[0]!.content).toContain('new NodePool(policy, "on-demand-critical"');
    expect(existsSync(join(project.dir, 'policies/default.ts'))).toBe(false);
  });

  test('usage errors: nothing to import, files and --cluster together', () => {
    expect(runCli(['import'], project.dir).code).toBe(2);
    const both = runCli(['import', 'x.yaml', '--cluster'], project.dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give files or --cluster, not both/);
  });
});
