// The words of the semantic diff and the consequences, on compiled objects built here (the
// git tests cover the same through real compiles; these cover the cases one by one).
import type { EC2NodeClass, NodePool } from '../../../../core/api/karpenter.ts';
import { buildInstanceTypes } from '../../../../core/catalog/instance-types.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { consequencesOf, markNewFindings } from '../../../../compiler/plan/consequences.ts';
import { diffEC2NodeClass, diffIntents, diffNodePool } from '../../../../compiler/plan/semantic-diff.ts';
import type { Diagnostic } from '../../../../compiler/diagnostics.ts';
import type { IntentModel } from '../../../../compiler/intent.ts';

const catalog = buildInstanceTypes(loadShippedCatalog());

type PoolSpec = NodePool['spec'];

function pool(name: string, edit: (spec: PoolSpec) => void = () => {}): NodePool {
  const spec: PoolSpec = {
    template: {
      metadata: { labels: { team: 'web' } },
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        requirements: [
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm'] },
          { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gte', values: ['2'] },
          { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lte', values: ['16'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] },
          { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['metal'] },
        ],
        expireAfter: '720h',
      },
    },
    limits: { cpu: 1000, memory: '4000Gi' },
    disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [{ nodes: '1' }, { nodes: '0', schedule: '0 9 * * mon-fri', duration: '8h' }] },
  };
  edit(spec);
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name }, spec };
}

function nodeClass(edit: (spec: NonNullable<EC2NodeClass['spec']>) => void = () => {}): EC2NodeClass {
  const spec: NonNullable<EC2NodeClass['spec']> = {
    amiSelectorTerms: [{ alias: 'al2023@v20250505' }],
    role: 'KarpenterNodeRole',
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
    metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
  };
  edit(spec);
  return { apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'default' }, spec };
}

function model(pools: NodePool[], classes: EC2NodeClass[] = [nodeClass()]): IntentModel {
  return {
    nodePools: pools.map((p) => ({ kind: 'NodePool', name: p.metadata.name!, manifest: p, source: { file: 'policies/x.ts', line: 3 }, policyFile: 'policies/x.ts' })),
    ec2NodeClasses: classes.map((c) => ({ kind: 'EC2NodeClass', name: c.metadata.name!, manifest: c, source: { file: 'policies/x.ts', line: 2 }, policyFile: 'policies/x.ts' })),
  };
}

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

describe('consequences for running nodes', () => {
  const kinds = (base: IntentModel, head: IntentModel) => consequencesOf(base, head, [], catalog).map((c) => `${c.kind} ${c.name}: ${c.summary}`);

  test('a template change drifts the whole pool; a limit change drifts nothing', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.limits = { cpu: 5 }))]))).toEqual([]);
    const out = kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.taints = [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]))]));
    expect(out).toEqual([expect.stringMatching(/^drift p: NodePool p: template taints changed, so every existing node of the pool drifts/)]);
  });

  test('a narrower requirement drifts only what it no longer admits', () => {
    const out = kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.requirements[0]!.values = ['c']))]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^drift p: NodePool p: nodes on \d+ instance types \(famil(y|ies) .*m\d.*\) no longer meet its requirements/);
    expect(out[0]).not.toMatch(/capacity/);
    // Widening drifts nothing.
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.requirements[0]!.values = ['c', 'm', 'r']))]))).toEqual([]);
  });

  test('a node class change drifts the pools that use it, and only those', () => {
    const other = pool('other', (s) => (s.template.spec.nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'gpu' }));
    const out = consequencesOf(model([pool('p'), other]), model([pool('p'), other], [nodeClass((s) => (s.role = 'NewRole'))]), [], catalog);
    expect(out).toEqual([expect.objectContaining({ kind: 'drift', objectKind: 'EC2NodeClass', summary: 'EC2NodeClass default: role changed, so every node of NodePool p drifts and is replaced' })]);
    // Subnets are resolved live and not hashed: no drift.
    expect(consequencesOf(model([pool('p')]), model([pool('p')], [nodeClass((s) => (s.subnetSelectorTerms = [{ id: 'subnet-1' }]))]), [], catalog)).toEqual([]);
  });

  test('shortened expireAfter (unset means 720h), longer is fine', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.expireAfter = '24h'))]))).toEqual([
      expect.stringMatching(/^expire-after-shortened p: NodePool p: expireAfter 720h -> 24h: nodes older than 24h are replaced right away/),
    ]);
    expect(kinds(model([pool('p', (s) => delete s.template.spec.expireAfter)]), model([pool('p', (s) => (s.template.spec.expireAfter = '168h'))]))).toHaveLength(1);
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.expireAfter = 'Never'))]))).toEqual([]);
  });

  test('budgets: weakened, removed window, all removed; stricter ones are no consequence', () => {
    const weakened = kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '3'))]));
    expect(weakened).toEqual(['budget-weakened p: NodePool p: disruption budget weakened for every reason: 1 node -> 3 nodes (on a pool of 2 nodes: 1 -> 2 at once)']);
    const percent = kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '10%'))]));
    // 10% of 20 nodes is 2: weaker than 1 node on pools over 10 nodes.
    expect(percent).toEqual([expect.stringMatching(/1 node -> 10% of nodes \(on a pool of 20 nodes: 1 -> 2 at once\)/)]);
    const window = kinds(model([pool('p')]), model([pool('p', (s) => s.disruption!.budgets!.splice(1, 1))]));
    expect(window).toEqual([expect.stringMatching(/^budget-removed p: NodePool p: budget removed: 0 nodes during "0 9 \* \* mon-fri" for 8h/)]);
    const all = kinds(model([pool('p')]), model([pool('p', (s) => delete s.disruption!.budgets)]));
    expect(all).toEqual(
      expect.arrayContaining([expect.stringMatching(/all disruption budgets removed; Karpenter's default \(10% of nodes at once\) applies/), expect.stringMatching(/^budget-weakened/)]),
    );
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '0'))]))).toEqual([]);
  });

  test('consolidation made more aggressive is noted; a removed pool drains its nodes', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.consolidationPolicy = 'WhenEmptyOrUnderutilized'))]))).toEqual([
      expect.stringMatching(/^consolidation-more-aggressive p: .*WhenEmpty -> WhenEmptyOrUnderutilized/),
    ]);
    expect(kinds(model([pool('p'), pool('q')]), model([pool('p')]))).toEqual(['pool-removed q: NodePool q removed: its nodes are drained and terminated, and its pods must fit another pool']);
  });

  test('findings are new unless base has the same rule on the same object and field; line moves do not count', () => {
    const finding = (code: string, name: string, line: number): Diagnostic => ({ severity: 'error', code, message: 'm', fix: 'f', file: 'policies/x.ts', line, object: { kind: 'NodePool', name }, field: 'spec.limits' });
    const marked = markNewFindings([finding('no-limits', 'a', 3)], [finding('no-limits', 'a', 9), finding('no-limits', 'b', 12)]);
    expect(marked.map((f) => `${f.object!.name} ${f.new}`)).toEqual(['a false', 'b true']);
    // Base did not compile: nothing shows a finding was there before.
    expect(markNewFindings(undefined, [finding('no-limits', 'a', 3)])[0]!.new).toBe(true);
    const out = consequencesOf(model([pool('a')]), model([pool('a')]), marked, catalog);
    expect(out).toEqual([expect.objectContaining({ kind: 'new-finding', severity: 'error', name: 'b' })]);
  });
});
