// Invalid values a policy can hold despite its types (a negative limit, `1.5h`, a cron
// schedule with hour 25) fail the compile with the policy file and line, the field and a fix.
import type { Construct } from 'constructs';
import { Ami, EC2NodeClass, NodePool, type NodePoolProps } from '../../../../compiler/api/index.ts';
import { cronScheduleProblem } from '../../../../core/disruption/cron.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

function nodeClass(scope: Construct): EC2NodeClass {
  return new EC2NodeClass(scope, 'default', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-test',
    subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  });
}

const SOUND: Omit<NodePoolProps, 'nodeClass'> = { instances: { categories: ['m'] }, limits: { cpu: 100 }, expireAfter: '720h' };

/** Compiles one pool and returns its invalid-value diagnostics, checking they point at the pool's line. */
function invalidValues(props: Omit<NodePoolProps, 'nodeClass'>) {
  let line = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      const nodes = nodeClass(p);
      line = nextLine();
      new NodePool(p, 'pool', { nodeClass: nodes, ...props });
    },
  });
  const issues = findings(result.diagnostics, 'invalid-value');
  for (const issue of issues) expect(issue).toMatchObject({ severity: 'error', file: 'test/unit/compiler/api/values.test.ts', line, object: { kind: 'NodePool', name: 'pool' } });
  expect(result.ok).toBe(issues.length === 0);
  return issues;
}

describe('invalid values', () => {
  test('a negative limit', () => {
    const [issue] = invalidValues({ ...SOUND, limits: { cpu: -5 } });
    expect(issue).toMatchObject({ field: 'limits.cpu', message: 'is negative (-5)' });
    expect(issue!.fix).toMatch(/positive value/);
  });

  test('a limit that is not a quantity, and a fractional node count', () => {
    const issues = invalidValues({ ...SOUND, limits: { memory: '4 TB' as never, nodes: 2.5 } });
    expect(issues.map((i) => i.field).sort()).toEqual(['limits.memory', 'limits.nodes']);
  });

  test('an unparsable duration', () => {
    const [issue] = invalidValues({ ...SOUND, expireAfter: '1.5h' });
    expect(issue).toMatchObject({ field: 'expireAfter', message: '"1.5h" is not a duration Karpenter accepts' });
    expect(issue!.fix).toMatch(/'1h30m'.*'Never'/);
  });

  test('terminationGracePeriod cannot be Never', () => {
    const [issue] = invalidValues({ ...SOUND, terminationGracePeriod: 'Never' as never });
    expect(issue?.field).toBe('terminationGracePeriod');
  });

  test('an invalid cron schedule, and a schedule without a duration', () => {
    const issues = invalidValues({ ...SOUND, disruption: { budgets: [{ nodes: 0, schedule: '0 25 * * *', duration: '8h' }, { nodes: '10%', schedule: '@daily' }] } });
    expect(issues).toEqual([
      expect.objectContaining({ field: 'disruption.budgets[0].schedule', message: expect.stringContaining('hour 25 is out of range 0-23') }),
      expect.objectContaining({ field: 'disruption.budgets[1]', message: 'schedule and duration go together' }),
    ]);
  });

  test('a budget over 100%, a budget duration in seconds, and an out-of-range weight', () => {
    const issues = invalidValues({ ...SOUND, weight: 0, disruption: { budgets: [{ nodes: '150%' }, { nodes: 1, schedule: '@daily', duration: '90s' }] } });
    expect(issues.map((i) => i.field)).toEqual(['disruption.budgets[0].nodes', 'disruption.budgets[1].duration', 'weight']);
  });

  test('an inverted or negative range', () => {
    const issues = invalidValues({ ...SOUND, instances: { categories: ['m'], cpu: { min: 16, max: 4 }, memory: { min: 'lots' as never } } });
    expect(issues.map((i) => i.field)).toEqual(['instances.cpu', 'instances.memory.min']);
  });

  test('minValues larger than the values listed', () => {
    const [issue] = invalidValues({ ...SOUND, instances: { families: ['m7i', 'm6i'], minValues: { families: 3 } } });
    expect(issue).toMatchObject({ field: 'instances.minValues.families', message: 'instances.minValues.families is 3 but only 2 families are listed' });
  });

  test('a node label in a domain Karpenter reserves', () => {
    const [issue] = invalidValues({ ...SOUND, labels: { 'karpenter.sh/nodepool': 'x' } });
    expect(issue).toMatchObject({ field: 'labels["karpenter.sh/nodepool"]' });
  });

  test('EC2NodeClass: both role and instanceProfile, an empty subnet selection, a restricted tag', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        line = nextLine();
        new EC2NodeClass(p, 'bad', {
          ami: Ami.alias('al2023', 'v20250715'),
          role: 'r',
          instanceProfile: 'p',
          subnets: [],
          securityGroups: [{ id: 'sg-0123456789abcdef0' }],
          tags: { 'kubernetes.io/cluster/prod': 'owned' },
        } as never);
      },
    });
    const issues = findings(result.diagnostics, 'invalid-value');
    // Each at the line of its prop, written in the call.
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['role', line + 2],
      ['subnets', line + 4],
      ['tags["kubernetes.io/cluster/prod"]', line + 6],
    ]);
    for (const issue of issues) expect(issue).toMatchObject({ file: 'test/unit/compiler/api/values.test.ts', object: { kind: 'EC2NodeClass', name: 'bad' } });
  });

  test('a value the API passes through is caught by the CRD schema, with the manifest field', () => {
    const result = compileInMemory({
      'policies/test.ts': (p) => new NodePool(p, 'pool', { nodeClass: nodeClass(p), ...SOUND, taints: [{ key: 'bad key!', effect: 'NoSchedule' }] }),
    });
    const [schema] = findings(result.diagnostics, 'schema');
    expect(schema).toMatchObject({ field: 'spec.template.spec.taints[0].key', object: { kind: 'NodePool', name: 'pool' }, file: 'test/unit/compiler/api/values.test.ts' });
    expect(schema!.fix).toMatch(/label or taint key/);
    expect(result.ok).toBe(false);
  });
});

describe('cron schedules', () => {
  test.each(['0 9 * * mon-fri', '*/15 * * * *', '0 0 1 jan,jul ?', '@daily', '30 22 * * 0', '0 9-17/2 * * 1-5'])('%s is valid', (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
  });

  test.each([
    ['0 25 * * *', 'hour 25 is out of range 0-23'],
    ['0 9 * *', 'this one has 4'],
    ['0 9 * * fri-mon', 'runs backwards'],
    ['@every 1h', 'not a supported descriptor'],
    ['CRON_TZ=UTC 0 9 * * *', 'time zones are not supported'],
    ['0 9 * * funday', '"funday" is not a valid day of week'],
    ['*/0 * * * *', 'must be a positive integer'],
  ])('%s is rejected: %s', (schedule, problem) => {
    expect(cronScheduleProblem(schedule)).toContain(problem);
  });
});
