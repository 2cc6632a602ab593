// The words of the semantic diff, on compiled objects built here (the git tests in
// plan.test.ts cover the same through real compiles; these cover the cases one by one).
import type { NodePool } from '../../../../core/api/karpenter.ts';
import { diffEC2NodeClass, diffIntents, diffNodePool } from '../../../../compiler/plan/semantic-diff.ts';
import { model, nodeClass, pool } from './intent-fixtures.ts';

const words = (before: NodePool, after: NodePool): string[] => diffNodePool(before, after).map((c) => c.summary);

describe('the semantic diff says each change in words', () => {
  test('requirements: values added and removed, ranges, new and dropped keys', () => {
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.requirements[0]!.values = ['c', 'r'])))).toEqual(['m removed from instance categories; r added to instance categories (now c and r)']);
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.requirements[2]!.values = ['64'])))).toEqual(['vCPUs: 2 to 16 -> 2 to 64']);
    expect(words(pool('p'), pool('p', (s) => s.template.spec.requirements.push({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] })))).toEqual(['architectures restricted to arm64']);
    expect(words(pool('p'), pool('p', (s) => s.template.spec.requirements.splice(4, 1)))).toEqual(['instance sizes no longer restricted (was not metal)']);
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.requirements[4]!.values = ['metal', '48xlarge'])))).toEqual(['48xlarge now excluded from instance sizes']);
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.requirements[0]!.minValues = 2)))).toEqual(['instance categories: c and m -> c and m (at least 2 distinct)']);
  });

  test('limits compare as quantities, not text', () => {
    expect(words(pool('p'), pool('p', (s) => (s.limits = { cpu: '1000', memory: '4000Gi' })))).toEqual([]);
    expect(words(pool('p'), pool('p', (s) => (s.limits = { cpu: 1000, memory: '4Ti' })))).toEqual(['limits.memory 4000Gi -> 4Ti']);
    expect(words(pool('p'), pool('p', (s) => (s.limits = { memory: '4000Gi', nodes: 20 })))).toEqual([
      'limits.cpu removed (was 1000): no longer bounded by cpu',
      'limits.nodes set to 20',
    ]);
  });

  test('taints, labels, expiry, budgets and acknowledgements', () => {
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.taints = [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }])))).toEqual(['taint nvidia.com/gpu=true:NoSchedule added']);
    expect(words(pool('p'), pool('p', (s) => (s.template.metadata = { labels: { team: 'data' } })))).toEqual(['labels.team web -> data']);
    expect(words(pool('p'), pool('p', (s) => (s.template.spec.expireAfter = 'Never')))).toEqual(['expireAfter 720h -> Never']);
    expect(words(pool('p'), pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '10%')))).toEqual(['disruption.budgets[0].nodes 1 -> 10%']);
    const acknowledged = pool('p');
    acknowledged.metadata.annotations = { 'guardrails.joinery.dev/no-limits': 'capacity is capped by the account quota' };
    expect(words(pool('p'), acknowledged)).toEqual(['guardrail no-limits acknowledged: "capacity is capped by the account quota"']);
  });

  test('EC2NodeClass: the AMI alias in words, any other field by its path', () => {
    const b = nodeClass();
    const a = nodeClass((s) => {
      s.amiSelectorTerms = [{ alias: 'al2023@v20250601' }];
      s.metadataOptions = { httpTokens: 'optional', httpPutResponseHopLimit: 1 };
      s.tags = { team: 'platform' };
    });
    expect(diffEC2NodeClass(b, a).map((c) => c.summary)).toEqual([
      'AMI al2023@v20250505 -> al2023@v20250601',
      'metadataOptions.httpTokens required -> optional',
      'tags set to {"team":"platform"}',
    ]);
  });

  test('objects are matched by name: added, removed, unchanged ones left out', () => {
    const diff = diffIntents(model([pool('a'), pool('b')]), model([pool('b'), pool('c')]));
    expect(diff.map((d) => `${d.name} ${d.change}`)).toEqual(['a removed', 'c added']);
    expect(diff[1]!.source).toBe('policies/x.ts:3');
  });
});

test('a static pool: replicas said as a count change', () => {
  const fixed = (replicas: number): NodePool => ({ ...pool('fixed'), spec: { ...pool('fixed').spec, replicas, limits: { nodes: 4 } } });
  expect(diffNodePool(fixed(3), fixed(2)).map((c) => c.summary)).toEqual(['replicas 3 -> 2']);
});
