// What `joinery init` would write into a directory: new files, the shared files it extends
// (package.json, .gitignore, README.md), and the existing files that stop it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageNameFor, planScaffold, writeScaffold } from '../../../../cli/init/scaffold.ts';
import { README_MARKER } from '../../../../cli/init/templates.ts';

const VALUES = { packageName: 'capacity', clusterName: 'prod-eu', joineryRange: '^0.1.0', typescriptRange: '^5.9.3' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joinery-scaffold-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

test('an empty directory gets every file, created, and the starter names the cluster', () => {
  const plan = planScaffold(dir, VALUES);
  expect(plan.conflicts).toEqual([]);
  expect(plan.files.map((f) => `${f.action} ${f.path}`)).toEqual([
    'created package.json',
    'created tsconfig.json',
    'created policies/_cluster.ts',
    'created policies/general-purpose.ts',
    'created .github/workflows/joinery.yml',
    'created .gitignore',
    'created README.md',
  ]);
  writeScaffold(dir, plan.files);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  expect(pkg).toMatchObject({ name: 'capacity', private: true, type: 'module', devDependencies: { joinery: '^0.1.0', typescript: '^5.9.3' } });
  expect(readFileSync(join(dir, 'policies/_cluster.ts'), 'utf8')).toMatch(/CLUSTER_NAME = "prod-eu";[\s\S]*KarpenterNodeRole-prod-eu/);
  expect(readFileSync(join(dir, 'policies/general-purpose.ts'), 'utf8')).toMatch(/from 'joinery';/);
  expect(readFileSync(join(dir, '.github/workflows/joinery.yml'), 'utf8')).toMatch(/npx joinery compile --check[\s\S]*npx joinery plan --base HEAD\^1 --head HEAD/);
  expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# capacity\n\n<!-- joinery: capacity policies -->\n## Capacity policies \(joinery\)/);
});

test('an existing file init would create is a conflict naming it, and the plan writes nothing else', () => {
  write('tsconfig.json', '{}');
  write('policies/general-purpose.ts', '// mine');
  write('generated/nodepools/x.yaml', 'kind: NodePool');
  const plan = planScaffold(dir, VALUES);
  expect(plan.conflicts.map((c) => c.path)).toEqual(['tsconfig.json', 'policies/general-purpose.ts', 'generated/']);
  expect(plan.conflicts[0]!.reason).toMatch(/already exists; init writes no file over an existing one/);
  expect(plan.conflicts[2]!.reason).toMatch(/not empty/);
});

test('an existing package.json is extended: type module, the scripts it lacks, joinery and typescript when missing', () => {
  write('package.json', JSON.stringify({ name: 'infra', version: '1.0.0', scripts: { plan: 'make plan' }, devDependencies: { joinery: 'file:../joinery-0.1.0.tgz' } }));
  const plan = planScaffold(dir, VALUES);
  const file = plan.files.find((f) => f.path === 'package.json')!;
  expect(file.action).toBe('extended');
  expect(file.detail).toBe('added "type": "module"; scripts compile, check, typecheck; devDependencies typescript@^5.9.3');
  const pkg = JSON.parse(file.content);
  expect(pkg.scripts.plan).toBe('make plan'); // a script of the same name is kept
  expect(pkg.devDependencies).toEqual({ joinery: 'file:../joinery-0.1.0.tgz', typescript: '^5.9.3' });
  expect(pkg.name).toBe('infra');
});

test('a package.json of CommonJS, or not JSON, is a conflict that says how to fix it', () => {
  write('package.json', JSON.stringify({ name: 'infra', type: 'commonjs' }));
  expect(planScaffold(dir, VALUES).conflicts).toEqual([{ path: 'package.json', reason: expect.stringMatching(/"type" is "commonjs", but policies are ES modules: set "type": "module"/) }]);
  write('package.json', '{ "name": ');
  expect(planScaffold(dir, VALUES).conflicts[0]).toEqual({ path: 'package.json', reason: expect.stringMatching(/^is not valid JSON/) });
});

test('.gitignore and README.md are extended with what they lack, and left alone the second time', () => {
  write('.gitignore', '/node_modules\ndist');
  write('README.md', '# infra\n');
  const plan = planScaffold(dir, VALUES);
  const ignore = plan.files.find((f) => f.path === '.gitignore')!;
  expect(ignore).toMatchObject({ action: 'extended', detail: 'added .joinery/, report.html', content: '/node_modules\ndist\n.joinery/\nreport.html\n' });
  const readme = plan.files.find((f) => f.path === 'README.md')!;
  expect(readme.action).toBe('extended');
  expect(readme.content.startsWith(`# infra\n\n${README_MARKER}\n`)).toBe(true);
  writeScaffold(dir, plan.files.filter((f) => f.path === '.gitignore' || f.path === 'README.md'));
  expect(planScaffold(dir, VALUES).files.map((f) => f.path)).not.toEqual(expect.arrayContaining(['.gitignore']));
  expect(planScaffold(dir, VALUES).files.map((f) => f.path)).not.toContain('README.md');
});

test('the package name comes from the directory, as npm accepts it', () => {
  expect(packageNameFor('/work/Platform Capacity')).toBe('platform-capacity');
  expect(packageNameFor('/tmp/__')).toBe('capacity-policies');
});
