// The guardrails check a pool against the catalog of the cluster's region (the
// ReconcilerDeployment's region), and a region with no shipped catalog is a compile error
// at the policy's `region:` line.
import { jest } from '@jest/globals';
import { DiscoveryEC2NodeClass, NodePool, Ami, ReconcilerDeployment } from '../../../../compiler/api/index.ts';
import type { Policy } from '../../../../compiler/api/policy.ts';
import { compileInMemory, findings, fixtureProject, goodPolicy, runCli } from '../helpers.ts';

jest.setTimeout(120_000);

const RECONCILER = (region: string) => ({
  image: 'ghcr.io/acme/joinery:0.4.1',
  clusterName: 'prod',
  region,
  clusterEndpoint: 'https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com',
  aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery' },
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod',
  git: { url: 'https://github.com/acme/capacity.git' },
});

function pools(region: string | undefined, zones: string[]) {
  return (policy: Policy) => {
    if (region) new ReconcilerDeployment(policy, 'reconciler', RECONCILER(region));
    const nodes = new DiscoveryEC2NodeClass(policy, 'default', { clusterName: 'prod', role: 'KarpenterNodeRole-prod', ami: Ami.alias('al2023', 'v20250715') });
    new NodePool(policy, 'web', { nodeClass: nodes, zones, instances: { categories: ['m'], generation: { min: 6 } }, limits: { cpu: 100 }, expireAfter: '720h' });
  };
}

test('eu-west-1 zones pass in an eu-west-1 cluster and fail in a us-east-1 one (the catalogs are the regions\')', () => {
  const inEurope = compileInMemory({ 'policies/web.ts': pools('eu-west-1', ['eu-west-1a', 'eu-west-1b']) });
  expect(inEurope.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

  const inVirginia = compileInMemory({ 'policies/web.ts': pools('us-east-1', ['eu-west-1a', 'eu-west-1b']) });
  const errors = inVirginia.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  expect(errors.join('\n')).toContain('zones eu-west-1a, eu-west-1b are not in the us-east-1 catalog');
});

test('us-east-1 zones in an eu-west-1 cluster are named against the eu-west-1 catalog, with its zones as the fix', () => {
  const result = compileInMemory({ 'policies/web.ts': pools('eu-west-1', ['us-east-1a']) });
  const error = result.diagnostics.find((d) => d.severity === 'error' && d.message.includes('not in the eu-west-1 catalog'));
  expect(error?.message).toContain('zones us-east-1a are not in the eu-west-1 catalog');
  expect(error?.fix).toContain('use zones of eu-west-1 (eu-west-1a, eu-west-1b, eu-west-1c)');
});

test('without a ReconcilerDeployment the catalog is us-east-1\'s, as before', () => {
  const result = compileInMemory({ 'policies/web.ts': pools(undefined, ['us-east-1a']) });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});

test('a region with no shipped catalog: `joinery compile` fails naming the file and the region line', () => {
  const fixture = fixtureProject({
    'policies/web.ts': goodPolicy(),
    'policies/reconciler.ts': `import { definePolicy, ReconcilerDeployment } from 'API';

export default definePolicy((policy) => {
  new ReconcilerDeployment(policy, 'reconciler', {
    image: 'ghcr.io/acme/joinery:0.4.1',
    clusterName: 'prod',
    region: 'mx-central-1',
    clusterEndpoint: 'https://EXAMPLE.gr7.mx-central-1.eks.amazonaws.com',
    aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery' },
    nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod',
    git: { url: 'https://github.com/acme/capacity.git' },
  });
});
`,
  });
  try {
    const { code, stdout, stderr } = runCli(['compile', '--skip-typecheck'], fixture.dir);
    const out = stdout + stderr;
    expect(code).toBe(1);
    expect(out).toMatch(/policies\/reconciler\.ts:7:\d+ error \[no-catalog-for-region\] ReconcilerDeployment\/\S+ region: no EC2 catalog is shipped for region "mx-central-1"/);
    expect(out).toContain('add data/regions/mx-central-1.json.gz with data/gen/ec2_regions.py');
  } finally {
    fixture.remove();
  }
});

test('the in-memory compile reports the same error at the construct\'s call site (no catalog guardrail runs instead)', () => {
  const result = compileInMemory({ 'policies/web.ts': pools('mx-central-1', ['mx-central-1a']) });
  expect(findings(result.diagnostics, 'no-catalog-for-region')).toHaveLength(1);
  expect(findings(result.diagnostics, 'no-catalog-for-region')[0]).toMatchObject({ file: 'test/unit/compiler/guardrails/region-catalog.test.ts', field: 'region', severity: 'error' });
  expect(findings(result.diagnostics, 'zone-without-instance-types')).toEqual([]);
});
