import { isWellKnownLabel, nodePoolLabelKeyError, RequirementError, Requirements, ValueSet } from '../../../../core/index.ts';

const R = (reqs: Parameters<typeof Requirements.of>[0]) => Requirements.of(reqs);

describe('Requirements', () => {
  it('In, NotIn, Exists and DoesNotExist match labels as Kubernetes does', () => {
    const reqs = R([
      { key: 'zone', operator: 'In', values: ['a', 'b'] },
      { key: 'team', operator: 'NotIn', values: ['x'] },
      { key: 'arch', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ]);
    expect(reqs.matches({ zone: 'a', arch: 'amd64' })).toBe(true);
    expect(reqs.matches({ zone: 'a', arch: 'amd64', team: 'y' })).toBe(true);
    expect(reqs.matches({ zone: 'c', arch: 'amd64' })).toBe(false);
    expect(reqs.matches({ zone: 'a', arch: 'amd64', team: 'x' })).toBe(false);
    expect(reqs.matches({ zone: 'a' })).toBe(false);
    expect(reqs.matches({ zone: 'a', arch: 'amd64', legacy: 'true' })).toBe(false);
  });

  it('Gt, Lt, Gte and Lte compare integers and reject non-integers', () => {
    const reqs = R([
      { key: 'gen', operator: 'Gt', values: ['4'] },
      { key: 'gen', operator: 'Lte', values: ['7'] },
    ]);
    expect(reqs.matches({ gen: '5' })).toBe(true);
    expect(reqs.matches({ gen: '7' })).toBe(true);
    expect(reqs.matches({ gen: '4' })).toBe(false);
    expect(reqs.matches({ gen: '8' })).toBe(false);
    expect(reqs.matches({ gen: 'five' })).toBe(false);
    expect(R([{ key: 'gen', operator: 'Gt', values: ['4'] }, { key: 'gen', operator: 'Lt', values: ['5'] }]).emptyKey()).toBe('gen');
  });

  it('intersects sets on the same key', () => {
    const a = R([{ key: 'zone', operator: 'In', values: ['a', 'b', 'c'] }]);
    const b = R([{ key: 'zone', operator: 'NotIn', values: ['b'] }]);
    expect(a.intersect(b).get('zone').finiteValues()).toEqual(['a', 'c']);
    expect(a.intersect(R([{ key: 'zone', operator: 'In', values: ['d'] }])).emptyKey()).toBe('zone');
    // Both tolerate the label's absence: compatible (a node without the label).
    expect(R([{ key: 'x', operator: 'NotIn', values: ['1'] }]).compatible(R([{ key: 'x', operator: 'DoesNotExist' }]))).toBe(true);
    expect(R([{ key: 'x', operator: 'In', values: ['1'] }]).compatible(R([{ key: 'x', operator: 'DoesNotExist' }]))).toBe(false);
  });

  it('compatible(): well-known labels the node side does not constrain are fine; custom ones must be set', () => {
    const pool = R([{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }]);
    expect(pool.compatible(R([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a'] }]))).toBe(true);
    expect(pool.incompatibility(R([{ key: 'team', operator: 'In', values: ['a'] }]))).toMatch(/label "team" is required but no node would carry it/);
    expect(pool.compatible(R([{ key: 'team', operator: 'NotIn', values: ['a'] }]))).toBe(true);
    expect(pool.incompatibility(R([{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }]))).toMatch(/spot.*conflicts with.*on-demand/);
  });

  it('round-trips through Kubernetes node selector requirements', () => {
    const reqs = R([
      { key: 'a', operator: 'In', values: ['2', '1'] },
      { key: 'b', operator: 'NotIn', values: ['x'] },
      { key: 'c', operator: 'Exists' },
      { key: 'd', operator: 'DoesNotExist' },
      { key: 'e', operator: 'Gt', values: ['3'], minValues: 2 },
    ]);
    const again = Requirements.of(reqs.toArray());
    expect(again.signature()).toBe(reqs.signature());
    expect(reqs.toArray().find((r) => r.key === 'a')).toEqual({ key: 'a', operator: 'In', values: ['1', '2'] });
    expect(reqs.get('e').minValues).toBe(2);
  });

  it('names the field and the fix on bad input', () => {
    expect(() => Requirements.of([{ key: 'k', operator: 'In', values: [] }], 'spec.requirements')).toThrow(RequirementError);
    expect(() => Requirements.of([{ key: 'k', operator: 'In', values: [] }], 'spec.requirements')).toThrow(/spec\.requirements\[0\]\.values: operator In needs at least one value/);
    expect(() => Requirements.of([{ key: 'k', operator: 'Gt', values: ['x'] }], 'r')).toThrow(/r\[0\]\.values\[0\]: operator Gt needs an integer/);
    expect(() => Requirements.of([{ key: 'k', operator: 'Near', values: [] }], 'r')).toThrow(/unknown operator "Near"; use one of In, NotIn/);
  });

  it('ValueSet.single pins a label only for a one-value In', () => {
    expect(ValueSet.of(['a']).single()).toBe('a');
    expect(ValueSet.of(['a', 'b']).single()).toBeUndefined();
  });
});

describe('well-known labels', () => {
  it('knows the Kubernetes, Karpenter and AWS labels', () => {
    for (const k of ['node.kubernetes.io/instance-type', 'topology.kubernetes.io/zone', 'kubernetes.io/arch', 'karpenter.sh/capacity-type', 'karpenter.k8s.aws/instance-gpu-name']) {
      expect(isWellKnownLabel(k)).toBe(true);
    }
    expect(isWellKnownLabel('team')).toBe(false);
  });

  it('tells which keys a NodePool may not restrict, and why', () => {
    expect(nodePoolLabelKeyError('team')).toBeUndefined();
    expect(nodePoolLabelKeyError('example.com/tier')).toBeUndefined();
    expect(nodePoolLabelKeyError('karpenter.k8s.aws/instance-family')).toBeUndefined();
    expect(nodePoolLabelKeyError('node.kubernetes.io/lifecycle')).toBeUndefined();
    expect(nodePoolLabelKeyError('kubernetes.io/hostname')).toMatch(/set by Karpenter per node/);
    expect(nodePoolLabelKeyError('karpenter.sh/nodepool')).toMatch(/cannot be restricted/);
    expect(nodePoolLabelKeyError('karpenter.k8s.aws/instance-colour')).toMatch(/restricted domain "karpenter.k8s.aws".*instance-family/);
    expect(nodePoolLabelKeyError('karpenter.sh/custom')).toMatch(/restricted domain "karpenter.sh"/);
  });
});
