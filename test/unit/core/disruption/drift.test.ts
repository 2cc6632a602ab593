import { nodeClassHash, nodePoolHash, requirementsDrifted } from '../../../../core/disruption/drift.ts';

const pool = (over: Partial<{ labels: Record<string, string>; taints: { key: string; effect: string }[] }> = {}) => ({
  spec: {
    template: {
      metadata: { labels: over.labels ?? { team: 'web' } },
      spec: { taints: over.taints ?? [], nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' } },
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
