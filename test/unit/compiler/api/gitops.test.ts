// GitOps: leaving the Karpenter CRDs out of generated/ (Karpenter's chart manages them) and
// the Flux source, namespace and interval, from the policy; bad values name file, line, field.
import { Ami, EC2NodeClass, GitOps, NodePool, type GitOpsProps } from '../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

function compile(gitops?: GitOpsProps, twice = false) {
  return compileInMemory({
    'policies/p.ts': (p) => {
      const nc = new EC2NodeClass(p, 'default', { ami: Ami.alias('al2023', 'v20250715'), role: 'R', subnets: [{ tags: { a: 'b' } }], securityGroups: [{ tags: { a: 'b' } }] });
      new NodePool(p, 'general', { nodeClass: nc, instances: { families: ['m7i'] }, limits: { cpu: 100 } });
      if (gitops) new GitOps(p, 'gitops', gitops);
      if (twice) new GitOps(p, 'again', {});
    },
  });
}

type Flux = { metadata: { namespace: string }; spec: { sourceRef: Record<string, string>; dependsOn?: { name: string }[]; interval: string } };

describe('GitOps', () => {
  test('by default the CRDs are generated, applied first, and Flux syncs from flux-system', () => {
    const result = compile();
    expect(result.ok).toBe(true);
    expect(result.files.some((f) => f.path.startsWith('crds/'))).toBe(true);
    const flux = result.files.find((f) => f.path === 'flux/joinery-nodepools.yaml')!.object as Flux;
    expect(flux.spec.dependsOn).toEqual([{ name: 'joinery-crds' }, { name: 'joinery-ec2nodeclasses' }]);
    expect(flux.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'flux-system' });
  });

  test("crds: 'external' leaves the CRDs out; nothing depends on them; the rest is unchanged", () => {
    const base = compile();
    const result = compile({ crds: 'external' });
    expect(result.ok).toBe(true);
    const paths = result.files.map((f) => f.path);
    expect(paths.filter((p) => p.startsWith('crds/') || p === 'flux/joinery-crds.yaml')).toEqual([]);
    const root = result.files.find((f) => f.path === 'kustomization.yaml')!.content;
    expect(root).not.toMatch(/- crds/);
    const fluxRoot = result.files.find((f) => f.path === 'flux/kustomization.yaml')!.content;
    expect(fluxRoot).not.toContain('joinery-crds');
    for (const f of result.files.filter((x) => x.path.startsWith('flux/joinery-'))) {
      expect((f.object as Flux).spec.dependsOn ?? []).not.toContainEqual({ name: 'joinery-crds' });
    }
    expect((result.files.find((f) => f.path === 'flux/joinery-nodepools.yaml')!.object as Flux).spec.dependsOn).toEqual([{ name: 'joinery-ec2nodeclasses' }]);
    // The NodePools and EC2NodeClasses are byte for byte what they were.
    const objects = (r: typeof base) => r.files.filter((f) => /^(nodepools|ec2nodeclasses)\//.test(f.path)).map((f) => [f.path, f.content]);
    expect(objects(result)).toEqual(objects(base));
  });

  test('flux: sourceRef (kind, name, namespace), namespace and interval reach every Kustomization', () => {
    const result = compile({ flux: { sourceRef: { kind: 'OCIRepository', name: 'capacity', namespace: 'sources' }, namespace: 'gitops', interval: '5m' } });
    expect(result.ok).toBe(true);
    const kustomizations = result.files.filter((f) => f.path.startsWith('flux/joinery-'));
    expect(kustomizations.length).toBeGreaterThan(2);
    for (const f of kustomizations) {
      const flux = f.object as Flux;
      expect(flux.spec.sourceRef).toEqual({ kind: 'OCIRepository', name: 'capacity', namespace: 'sources' });
      expect(flux.metadata.namespace).toBe('gitops');
      expect(flux.spec.interval).toBe('5m');
    }
  });

  test('bad values and a second GitOps are errors naming the file, line and field', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/p.ts': (p) => {
        line = nextLine();
        new GitOps(p, 'gitops', { crds: 'helm' as never, flux: { sourceRef: { kind: 'HelmRepository' as never, name: 'Not_A_Name' }, namespace: 'UPPER', interval: 'soon' as never } });
        new GitOps(p, 'again', {});
      },
    });
    const issues = findings(result.diagnostics, 'invalid-value').map((d) => [d.field, d.line, d.file]);
    const file = 'test/unit/compiler/api/gitops.test.ts';
    expect(issues).toEqual(
      expect.arrayContaining([
        ['crds', line, file],
        ['flux.sourceRef.kind', line, file],
        ['flux.sourceRef.name', line, file],
        ['flux.namespace', line, file],
        ['flux.interval', line, file],
      ]),
    );
    expect(findings(result.diagnostics, 'duplicate-gitops')).toEqual([expect.objectContaining({ severity: 'error', line: line + 1, file })]);
    expect(result.ok).toBe(false);
  });
});
