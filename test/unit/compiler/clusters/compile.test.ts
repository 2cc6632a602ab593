// A repository that declares clusters compiles to generated/<cluster>/ per cluster (each the
// layout of a single-cluster repository), with an Argo CD ApplicationSet and one Flux entry
// Kustomization per cluster; policies apply to all clusters, to those whose labels match,
// with per-cluster overrides; the reconciler of each cluster reads its own tree.
import { jest } from '@jest/globals';
import { parse } from 'yaml';
import { compilePolicies } from '../../../../compiler/compile.ts';
import { fixtureProject, type Fixture } from '../helpers.ts';
import { CLUSTERS, GENERAL, PROD_ONLY, RECONCILER } from './fixtures.ts';

jest.setTimeout(180_000);

describe('compile: many clusters', () => {
  let project: Fixture;
  let result: Awaited<ReturnType<typeof compilePolicies>>;
  beforeAll(async () => {
    project = fixtureProject({ 'policies/clusters.ts': CLUSTERS, 'policies/general.ts': GENERAL, 'policies/prod-batch.ts': PROD_ONLY, 'policies/reconciler.ts': RECONCILER });
    // Type-checked, as `joinery compile` does: policy.cluster, perCluster and the options type-check.
    result = await compilePolicies({ root: project.dir });
  });
  afterAll(() => project.remove());
  const file = (path: string) => {
    const found = result.files.find((f) => f.path === path);
    if (!found) throw new Error(`no ${path} among ${result.files.map((f) => f.path).join(', ')}`);
    return parse(found.content.replace(/^#.*\n/gm, ''));
  };

  test('compiles without errors, one tree per cluster', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.clusters?.map((c) => [c.name, c.model.nodePools.map((p) => p.name)])).toEqual([
      ['dev', ['general']],
      ['prod-use1', ['batch', 'general']],
    ]);
    const paths = result.files.map((f) => f.path);
    for (const cluster of ['dev', 'prod-use1']) {
      for (const dir of ['crds', 'ec2nodeclasses', 'nodepools', 'reconciler', 'flux']) expect(paths).toContain(`${cluster}/${dir}/kustomization.yaml`);
      expect(paths).toContain(`${cluster}/kustomization.yaml`);
    }
    expect(paths).not.toContain('dev/nodepools/batch.yaml');
    expect(paths).toContain('prod-use1/nodepools/batch.yaml');
    expect(paths.filter((p) => !p.startsWith('dev/') && !p.startsWith('prod-use1/'))).toEqual(['argocd/applicationset.yaml', 'flux/dev.yaml', 'flux/prod-use1.yaml']);
  });

  test('a per-cluster override changes only its cluster, merged into the default', () => {
    expect(file('dev/nodepools/general.yaml').spec.limits).toEqual({ cpu: 100, memory: '400Gi' });
    expect(file('prod-use1/nodepools/general.yaml').spec.limits).toEqual({ cpu: 2000, memory: '400Gi' });
    expect(file('prod-use1/ec2nodeclasses/general.yaml').spec.subnetSelectorTerms).toEqual([{ tags: { 'acme.com/cluster': 'prod-use1' } }]);
    expect(file('dev/ec2nodeclasses/general.yaml').spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'dev' } }]);
  });

  test('the ApplicationSet syncs generated/<cluster> to each labelled Argo CD cluster', () => {
    const set = file('argocd/applicationset.yaml');
    expect(set.kind).toBe('ApplicationSet');
    expect(set.spec.generators).toEqual([{ clusters: { selector: { matchExpressions: [{ key: 'joinery.dev/cluster', operator: 'In', values: ['dev', 'prod-use1'] } ] } } }]);
    expect(set.spec.goTemplate).toBe(true);
    expect(set.spec.template.spec.source).toEqual({ repoURL: 'https://github.com/acme/capacity.git', targetRevision: 'release', path: 'generated/{{ index .metadata.labels "joinery.dev/cluster" }}' });
    expect(set.spec.template.spec.destination).toEqual({ server: '{{ .server }}' });
  });

  test("Flux: an entry Kustomization per cluster, and each cluster's chain under its own path", () => {
    expect(file('flux/prod-use1.yaml').spec).toMatchObject({ path: './generated/prod-use1/flux', sourceRef: { kind: 'GitRepository', name: 'flux-system' } });
    const pools = file('prod-use1/flux/joinery-nodepools.yaml');
    expect(pools.spec.path).toBe('./generated/prod-use1/nodepools');
    expect(pools.spec.dependsOn).toEqual([{ name: 'joinery-crds' }, { name: 'joinery-ec2nodeclasses' }]);
  });

  test("each cluster's reconciler reads its own tree, for its declared Kubernetes version", () => {
    const dev = file('dev/reconciler/configmap.yaml').data;
    const prod = file('prod-use1/reconciler/configmap.yaml').data;
    expect([dev.JOINERY_GIT_PATH, dev.JOINERY_KUBERNETES_VERSION, dev.JOINERY_CLUSTER_NAME]).toEqual(['generated/dev', '1.33', 'dev']);
    expect([prod.JOINERY_GIT_PATH, prod.JOINERY_KUBERNETES_VERSION, prod.JOINERY_CLUSTER_NAME]).toEqual(['generated/prod-use1', '1.32', 'prod-use1']);
  });
});
