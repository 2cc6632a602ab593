// `joinery plan` for a cluster outside us-east-1: envelopes over the region's own catalog
// (its zones, its instance types), and the on-demand price model said before any $/h: in
// eu-west-1, offline, us-east-1's list prices as a stated proxy. A region with no catalog is
// said too, with the catalog used instead.
import { jest } from '@jest/globals';
import type { PlanReport } from '../../../../compiler/plan/types.ts';
import { PolicyRepo } from './policy-repo.ts';

jest.setTimeout(180_000);

function policy(region: string, cpuLimit: number): string {
  return `import { Ami, definePolicy, DiscoveryEC2NodeClass, GeneralPurposeNodePool, ReconcilerDeployment } from '../compiler/api/index.ts';

export default definePolicy((policy) => {
  new ReconcilerDeployment(policy, 'reconciler', {
    image: 'ghcr.io/acme/joinery:0.4.1',
    clusterName: 'plan-test',
    region: '${region}',
    clusterEndpoint: 'https://EXAMPLE.gr7.${region}.eks.amazonaws.com',
    aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery' },
    nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-plan-test',
    git: { url: 'https://github.com/acme/capacity.git' },
  });
  const nodes = new DiscoveryEC2NodeClass(policy, 'default', { clusterName: 'plan-test', role: 'KarpenterNodeRole-plan-test', ami: Ami.alias('al2023', 'v20250505') });
  new GeneralPurposeNodePool(policy, 'general-purpose', { nodeClass: nodes, limits: { cpu: ${cpuLimit}, memory: '4000Gi' } });
});
`;
}

let repo: PolicyRepo;

beforeAll(() => {
  repo = new PolicyRepo();
  repo.writePolicy(policy('eu-west-1', 1000));
  repo.git('add', 'policies');
  repo.commit('cluster in eu-west-1');
  repo.branch('limits', { raw: policy('eu-west-1', 2000) });
  repo.branch('mexico', { raw: policy('mx-central-1', 2000) });
});

afterAll(() => repo?.remove());

test('eu-west-1: the envelope is over eu-west-1 zones, and the plan says its prices are derived from us-east-1', async () => {
  const json = await repo.plan(['--base', 'main', '--head', 'limits', '--json', '--skip-typecheck']);
  const report = JSON.parse(json.stdout) as PlanReport;
  expect(report.catalog).toMatchObject({ region: 'eu-west-1', onDemandPrices: { kind: 'us-east-1-proxy' } });
  expect(report.catalog?.substitute).toBeUndefined();
  const after = report.envelopes.find((e) => e.nodePool === 'general-purpose')?.after;
  expect(after?.zones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);

  const { code, stdout } = await repo.plan(['--base', 'main', '--head', 'limits', '--skip-typecheck']);
  expect(code).toBe(0);
  expect(stdout).toContain("**On-demand prices for eu-west-1**: derived, not eu-west-1's prices: each type at its us-east-1 on-demand list price");
  expect(stdout).toContain('#### Capacity envelope (shipped eu-west-1 catalog, prices derived from us-east-1)');
  // The price model comes before the first $/h figure.
  expect(stdout.indexOf('On-demand prices for eu-west-1')).toBeLessThan(stdout.indexOf('$/h'));
});

test('a region with no catalog: the plan fails on the compile error and says which catalog it used instead', async () => {
  const { code, stdout } = await repo.plan(['--base', 'main', '--head', 'mexico', '--skip-typecheck']);
  expect(code).toBe(1);
  expect(stdout).toContain('**No catalog is shipped for mx-central-1**: envelopes and the what-if use the us-east-1 catalog');
  expect(stdout).toContain('no-catalog-for-region');
});
