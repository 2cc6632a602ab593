// `joinery plan` in a repository of clusters, on a real git repository: each cluster is
// compared with itself at base, so a change to one cluster's override shows in that cluster
// only, an added cluster is reported as added, and an untouched one as unchanged.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { PlanReport } from '../../../../compiler/plan/types.ts';
import { CLUSTERS, GENERAL } from '../clusters/fixtures.ts';
import { PolicyRepo } from './policy-repo.ts';

jest.setTimeout(180_000);

const api = (source: string): string => source.replaceAll("'API'", "'../compiler/api/index.ts'");

let repo: PolicyRepo;

beforeAll(() => {
  repo = new PolicyRepo();
  repo.writePolicy(api(GENERAL));
  writeFileSync(join(repo.dir, 'policies', 'clusters.ts'), api(CLUSTERS));
  repo.git('add', 'policies');
  repo.commit('clusters');
  repo.git('checkout', '--quiet', '-b', 'grow', 'main');
  repo.writePolicy(api(GENERAL).replace("{ 'prod-use1': { cpu: 2000 } }", "{ 'prod-use1': { cpu: 4000, memory: '1600Gi' } }"));
  writeFileSync(
    join(repo.dir, 'policies', 'clusters.ts'),
    api(CLUSTERS).replace("    { name: 'prod-use1'", "    { name: 'staging', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33' },\n    { name: 'prod-use1'"),
  );
  repo.git('add', 'policies');
  repo.commit('prod-use1 grows; staging');
  repo.git('checkout', '--quiet', 'main');
});

afterAll(() => repo?.remove());

test('plan reports per cluster: changed, unchanged, added', async () => {
  const json = await repo.plan(['--base', 'main', '--head', 'grow', '--json', '--skip-typecheck']);
  const report = JSON.parse(json.stdout) as PlanReport;
  expect(json.code).toBe(0);
  const byName = Object.fromEntries((report.clusters ?? []).map((c) => [c.cluster, c]));
  expect(Object.keys(byName)).toEqual(['dev', 'staging', 'prod-use1']);
  expect(byName.dev!.change).toBe('unchanged');
  expect(byName.staging!.change).toBe('added');
  expect(byName.staging!.diff.map((d) => `${d.kind} ${d.name} ${d.change}`)).toEqual(['NodePool general added', 'EC2NodeClass general added']);
  expect(byName['prod-use1']!.change).toBe('changed');
  expect(byName['prod-use1']!.diff).toEqual([expect.objectContaining({ kind: 'NodePool', name: 'general', change: 'changed', fields: expect.arrayContaining([expect.objectContaining({ summary: 'limits.cpu 2000 -> 4000' })]) })]);
  const envelope = byName['prod-use1']!.envelopes.find((e) => e.nodePool === 'general')!;
  expect(envelope.after!.maxHourlyCostAtLimits!).toBeGreaterThan(envelope.before!.maxHourlyCostAtLimits!);
  // Nothing is compared across clusters at the top level.
  expect(report.diff).toEqual([]);

  const markdown = (await repo.plan(['--base', 'main', '--head', 'grow', '--skip-typecheck'])).stdout;
  expect(markdown).toContain('3 clusters: dev unchanged · staging added (1 NodePool) · prod-use1 1 object changed');
  expect(markdown).toContain('#### Cluster `prod-use1` (us-east-1): 1 object changed');
  expect(markdown).toContain('- limits.cpu 2000 -> 4000');
  expect(markdown).toContain('#### Cluster `staging` (us-east-1): added (1 NodePool)');
  expect(markdown).not.toContain('#### Cluster `dev`');
});
