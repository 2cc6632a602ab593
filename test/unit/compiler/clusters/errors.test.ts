// Bad cluster declarations and references are compile errors at the file and line that
// wrote them: a cluster named twice, an override or a policy selection naming a cluster
// that is not declared, a region joinery has no catalog for, a reconciler configured for
// another cluster. Nothing is written (ok is false).
import { jest } from '@jest/globals';
import { compilePolicies } from '../../../../compiler/compile.ts';
import type { Diagnostic } from '../../../../compiler/diagnostics.ts';
import { fixtureProject, goodPolicy, type Fixture } from '../helpers.ts';
import { GENERAL, RECONCILER } from './fixtures.ts';

jest.setTimeout(180_000);

const lineOf = (source: string, needle: string, occurrence = 0): number => {
  let at = -1;
  for (let i = 0; i <= occurrence; i += 1) at = source.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`no ${needle}`);
  return source.slice(0, at).split('\n').length;
};

const CLUSTERS = `import { defineClusters } from 'API';

export default defineClusters({
  argocd: { repoURL: 'https://github.com/acme/capacity.git' },
  clusters: [
    { name: 'dev', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33' },
    { name: 'prod-use1', region: 'us-east-1', account: '444455556666', kubernetesVersion: '1.32' },
    { name: 'dev', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33' },
    { name: 'china', account: '777788889999', kubernetesVersion: '1.33',
      region: 'cn-north-1' },
  ],
});
`;

const OVERRIDE = `import { definePolicy, EC2NodeClass, NodePool, Ami } from 'API';

export default definePolicy({ clusters: ['prod-use1', 'prod-euw1'] }, (policy) => {
  const nodeClass = new EC2NodeClass(policy, 'batch', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole',
    subnets: [{ tags: policy.cluster!.discoveryTags }],
    securityGroups: [{ tags: policy.cluster!.discoveryTags }],
  });
  new NodePool(policy, 'batch', {
    nodeClass,
    instances: { categories: ['c'], generation: { min: 6 } },
    limits: policy.perCluster({ cpu: 100 }, { 'prod-use1': { cpu: 200 }, 'prod-us-east-1': { cpu: 300 } }),
    expireAfter: '720h',
  });
});
`;

describe('compile: bad cluster input', () => {
  let project: Fixture;
  let diagnostics: Diagnostic[];
  let ok: boolean;
  beforeAll(async () => {
    project = fixtureProject({
      'policies/clusters.ts': CLUSTERS,
      'policies/batch.ts': OVERRIDE,
      'policies/general.ts': GENERAL,
      // The reconciler policy names a fixed region: wrong for cluster china.
      'policies/reconciler.ts': RECONCILER.replace('region: cluster.region', "region: 'us-east-1'"),
    });
    ({ diagnostics, ok } = await compilePolicies({ root: project.dir, typecheck: false }));
  });
  afterAll(() => project.remove());
  const errors = (code: string) => diagnostics.filter((d) => d.code === code && d.severity === 'error');

  test('nothing compiles', () => {
    expect(ok).toBe(false);
  });

  test('a cluster named twice: at the second entry, naming the first', () => {
    const [twice] = errors('cluster-declaration').filter((d) => /declared twice/.test(d.message));
    expect(twice).toMatchObject({ file: 'policies/clusters.ts', line: lineOf(CLUSTERS, "name: 'dev'", 1), object: { kind: 'Cluster', name: 'dev' } });
    expect(twice!.message).toContain(`the first is at policies/clusters.ts:${lineOf(CLUSTERS, "name: 'dev'")}`);
  });

  test('a region without a catalog: at its region line, naming the regions that have one', () => {
    const [region] = errors('cluster-declaration').filter((d) => d.field?.endsWith('.region'));
    expect(region).toMatchObject({ file: 'policies/clusters.ts', line: lineOf(CLUSTERS, "region: 'cn-north-1'"), object: { name: 'china' } });
    expect(region!.message).toContain('no instance catalog for region cn-north-1');
    expect(region!.fix).toContain('us-east-1');
  });

  test('an override for an unknown cluster, and a policy for an unknown cluster: at their lines', () => {
    const unknown = errors('unknown-cluster');
    const override = unknown.find((d) => d.message.includes('prod-us-east-1'));
    expect(override).toMatchObject({ file: 'policies/batch.ts', line: lineOf(OVERRIDE, 'policy.perCluster') });
    expect(override!.message).toMatch(/an override for cluster "prod-us-east-1", which is not declared \(declared: dev, prod-use1, china\)/);
    const selection = unknown.find((d) => d.message.includes('prod-euw1'));
    expect(selection).toMatchObject({ file: 'policies/batch.ts', line: lineOf(OVERRIDE, 'clusters:') });
    // Known names are not reported.
    expect(unknown.filter((d) => /"(dev|prod-use1)"/.test(d.message))).toEqual([]);
    expect(unknown).toHaveLength(2);
  });

  test("a reconciler set up for another cluster's region is an error naming that cluster only", () => {
    const mismatch = errors('cluster-mismatch');
    expect(mismatch.map((d) => [d.file, d.field])).toEqual([['policies/reconciler.ts', 'region']]);
    expect(mismatch[0]!.message).toMatch(/^\(cluster china\) "us-east-1" is not cluster china's region \(cn-north-1\)/);
  });
});

describe('compile: the ApplicationSet', () => {
  test('without argocd.repoURL it takes the reconciler\'s git.url; with neither it is an error at defineClusters', async () => {
    const clusters = CLUSTERS.replace("  argocd: { repoURL: 'https://github.com/acme/capacity.git' },\n", '').replace(/\n    \{ name: 'dev', region[^\n]*\n    \{ name: 'china'[^\n]*\n[^\n]*\n/, '\n');
    const withReconciler = fixtureProject({ 'policies/clusters.ts': clusters, 'policies/general.ts': GENERAL, 'policies/reconciler.ts': RECONCILER });
    const without = fixtureProject({ 'policies/clusters.ts': clusters, 'policies/general.ts': GENERAL });
    try {
      const taken = await compilePolicies({ root: withReconciler.dir, typecheck: false });
      expect(taken.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(taken.files.find((f) => f.path === 'argocd/applicationset.yaml')?.content).toContain('repoURL: "https://github.com/acme/capacity.git"');
      const missing = await compilePolicies({ root: without.dir, typecheck: false });
      expect(missing.ok).toBe(false);
      expect(missing.diagnostics.filter((d) => d.severity === 'error')).toEqual([
        expect.objectContaining({ code: 'cluster-declaration', file: 'policies/clusters.ts', line: lineOf(clusters, 'defineClusters({'), field: 'argocd.repoURL' }),
      ]);
    } finally {
      withReconciler.remove();
      without.remove();
    }
  });
});

describe('compile: a single-cluster repository', () => {
  test('an override naming a cluster is an error there: no cluster is declared', async () => {
    const policy = goodPolicy('web').replace('limits: { cpu: 100 }', "limits: policy.perCluster({ cpu: 100 }, { prod: { cpu: 200 } })");
    const project = fixtureProject({ 'policies/web.ts': policy });
    try {
      const result = await compilePolicies({ root: project.dir, typecheck: false });
      expect(result.ok).toBe(false);
      expect(result.diagnostics.filter((d) => d.code === 'unknown-cluster')).toEqual([
        expect.objectContaining({ file: 'policies/web.ts', line: lineOf(policy, 'policy.perCluster'), message: 'an override for cluster "prod", but this repository declares no clusters' }),
      ]);
    } finally {
      project.remove();
    }
  });
});
