// Synthesis: the YAML emitter round-trips in YAML 1.1 and 1.2 readers, generated/ orders
// the CRDs first for Argo CD (sync waves) and Flux (dependsOn), and `cdk8s synth` produces
// the same objects as `joinery compile`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { synthWithCdk8s } from '../../../../compiler/cdk8s-app.ts';
import { toYaml } from '../../../../compiler/synth/yaml.ts';
import { fixtureProject, goodPolicy, REPO_ROOT, runCli } from '../helpers.ts';

jest.setTimeout(180_000);

describe('the YAML emitter', () => {
  const tricky = {
    list: ['x', ['y', 'z'], [], {}, { k: 'v', l: ['1', 2, true, null] }],
    'key: with colon': 'yes',
    norway: 'no',
    on: 'on',
    leading: ' space',
    trailing: 'space ',
    text: 'line one\nline two\n',
    kept: 'a\n\n',
    stripped: 'a\n\nb',
    indented: '  first\nsecond',
    empty: '',
    number: '10',
    percent: '10%',
    dash: '- item',
    date: '2024-01-01',
    hex: '0x1F',
    octal: '0o17',
    infinity: '.inf',
    tab: 'a\tb',
    crlf: 'a\r\nb',
    control: '\u0001',
    unicode: 'Zürich',
    path: '/dev/xvda',
  };

  test('round-trips in YAML 1.2 and in YAML 1.1 (kubectl) readers', () => {
    const text = toYaml(tricky);
    expect(parse(text)).toEqual(tricky);
    expect(parse(text, { version: '1.1' })).toEqual(tricky);
  });

  test('sorts keys at every level and writes multi-line text as block literals', () => {
    const text = toYaml({ b: { d: 1, c: 2 }, a: 'first\nsecond\n' });
    expect(text).toBe('a: |\n  first\n  second\nb:\n  c: 2\n  d: 1\n');
  });

  test("round-trips the Karpenter CRDs", () => {
    for (const name of readdirSync(join(REPO_ROOT, 'data/karpenter-crds'))) {
      const crd = parse(readFileSync(join(REPO_ROOT, 'data/karpenter-crds', name), 'utf8'));
      expect(parse(toYaml(crd))).toEqual(crd);
    }
  });
});

describe('generated/ layout', () => {
  let project: ReturnType<typeof fixtureProject>;
  beforeAll(() => {
    project = fixtureProject({ 'policies/web.ts': goodPolicy('web') });
    expect(runCli(['compile', '--skip-typecheck'], project.dir).code).toBe(0);
  });
  afterAll(() => project.remove());

  const read = (path: string) => parse(readFileSync(join(project.dir, 'generated', path), 'utf8'));

  test('Argo CD: CRDs in an earlier sync wave than the EC2NodeClasses, which precede the NodePools', () => {
    const wave = (path: string): number => Number(read(path).metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave('crds/karpenter.sh_nodepools.yaml')).toBeLessThan(wave('ec2nodeclasses/web.yaml'));
    expect(wave('ec2nodeclasses/web.yaml')).toBeLessThan(wave('nodepools/web.yaml'));
    expect(read('nodepools/web.yaml').metadata.annotations['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
    expect(read('crds/karpenter.sh_nodepools.yaml').metadata.annotations['argocd.argoproj.io/sync-options']).toContain('Prune=false');
    expect(read('kustomization.yaml').resources).toEqual(['crds', 'ec2nodeclasses', 'nodepools', 'health']);
    expect(read('nodepools/kustomization.yaml').resources).toEqual(['web.yaml']);
  });

  test('Flux: one Kustomization per section; the NodePools depend on the CRDs and the EC2NodeClasses', () => {
    const crds = read('flux/joinery-crds.yaml');
    expect(crds).toMatchObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', spec: { path: './generated/crds', wait: true, prune: true } });
    expect(read('flux/joinery-nodepools.yaml').spec.dependsOn).toEqual([{ name: 'joinery-crds' }, { name: 'joinery-ec2nodeclasses' }]);
    expect(read('flux/kustomization.yaml').resources).toEqual(expect.arrayContaining(['joinery-crds.yaml', 'joinery-ec2nodeclasses.yaml', 'joinery-nodepools.yaml']));
  });

  test('cdk8s synth produces the same objects as joinery compile', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'joinery-cdk8s-'));
    try {
      const result = await synthWithCdk8s(project.dir, outdir);
      expect(result.ok).toBe(true);
      const objects = (dir: string, suffix: RegExp): string[] =>
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && suffix.test(e.name) && e.name !== 'kustomization.yaml')
          .flatMap((e) => parseAllDocuments(readFileSync(join(e.parentPath, e.name), 'utf8')).map((d) => JSON.stringify(d.toJS(), Object.keys(flatKeys(d.toJS())).sort())))
          .sort();
      const fromCdk8s = objects(outdir, /\.k8s\.yaml$/);
      const fromCompile = objects(join(project.dir, 'generated'), /\.yaml$/);
      expect(fromCdk8s.length).toBeGreaterThan(5);
      expect(fromCdk8s).toEqual(fromCompile);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/** Every key at every depth (for a key-order-independent JSON.stringify). */
function flatKeys(value: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (Array.isArray(value)) value.forEach((v) => flatKeys(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out[k] = true;
      flatKeys(v, out);
    }
  }
  return out;
}
