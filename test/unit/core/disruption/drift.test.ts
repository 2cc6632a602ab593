import { nodeClassHash, nodePoolHash, requirementsDrifted } from '../../../../core/disruption/drift.ts';

const pool = (
  over: Partial<{
    labels: Record<string, string>;
    taints: { key: string; effect: string }[];
    expireAfter: string;
    terminationGracePeriod: string;
    requirements: { key: string; operator: string; values: string[] }[];
  }> = {},
) => ({
  spec: {
    template: {
      metadata: { labels: over.labels ?? { team: 'web' } },
      spec: {
        taints: over.taints ?? [],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        ...(over.expireAfter !== undefined ? { expireAfter: over.expireAfter } : {}),
        ...(over.terminationGracePeriod !== undefined ? { terminationGracePeriod: over.terminationGracePeriod } : {}),
        ...(over.requirements ? { requirements: over.requirements } : {}),
      },
    },
  },
});

describe('drift hashing', () => {
  test('a NodePool hash changes with template labels and taints, not with key order', () => {
    const a = nodePoolHash(pool());
    expect(nodePoolHash(pool({ labels: { team: 'web' } }))).toBe(a);
    expect(nodePoolHash(pool({ labels: { team: 'batch' } }))).not.toBe(a);
    expect(nodePoolHash(pool({ taints: [{ key: 'gpu', effect: 'NoSchedule' }] }))).not.toBe(a);
  });

  test('a NodePool hash changes with expireAfter and terminationGracePeriod (as Karpenter v1 hashes the whole template)', () => {
    const a = nodePoolHash(pool());
    expect(nodePoolHash(pool({ expireAfter: '24h' }))).not.toBe(a);
    expect(nodePoolHash(pool({ expireAfter: 'Never' }))).not.toBe(a);
    expect(nodePoolHash(pool({ terminationGracePeriod: '1h' }))).not.toBe(a);
    expect(nodePoolHash(pool({ terminationGracePeriod: '1h' }))).not.toBe(nodePoolHash(pool({ terminationGracePeriod: '2h' })));
  });

  test('durations hash by value, and an absent expireAfter is the CRD default 720h', () => {
    expect(nodePoolHash(pool({ expireAfter: '720h' }))).toBe(nodePoolHash(pool()));
    expect(nodePoolHash(pool({ expireAfter: '1h' }))).toBe(nodePoolHash(pool({ expireAfter: '60m' })));
    expect(nodePoolHash(pool({ terminationGracePeriod: '90m' }))).toBe(nodePoolHash(pool({ terminationGracePeriod: '1h30m' })));
  });

  test('requirements are not in the NodePool hash (they drift by label, see requirementsDrifted)', () => {
    expect(nodePoolHash(pool({ requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }] }))).toBe(nodePoolHash(pool()));
  });

  test('an EC2NodeClass hash ignores subnet and security-group selectors but not the AMI', () => {
    const base = { spec: { amiSelectorTerms: [{ alias: 'al2023@v20260101' }], subnetSelectorTerms: [{ tags: { a: '1' } }] } };
    const h = nodeClassHash(base);
    expect(nodeClassHash({ spec: { ...base.spec, subnetSelectorTerms: [{ tags: { a: '2' } }] } })).toBe(h);
    expect(nodeClassHash({ spec: { ...base.spec, amiSelectorTerms: [{ alias: 'al2023@v20260201' }] } })).not.toBe(h);
  });

  test('requirement drift: only nodes whose labels violate a requirement', () => {
    const labels = { 'karpenter.sh/capacity-type': 'spot', 'karpenter.k8s.aws/instance-generation': '5' };
    expect(requirementsDrifted(labels, [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] }])).toBeUndefined();
    expect(requirementsDrifted(labels, [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }])?.key).toBe(
      'karpenter.sh/capacity-type',
    );
    expect(requirementsDrifted(labels, [{ key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['5'] }])).toBeDefined();
  });
});
