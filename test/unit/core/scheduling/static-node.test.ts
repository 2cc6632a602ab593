import { buildInstanceTypes, nodePoolFromManifest, type NodePoolManifest } from '../../../../core/index.ts';
import { staticNewNode } from '../../../../core/scheduling/static-node.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const types = buildInstanceTypes(loadShippedCatalog());
const pool = (requirements: NodePoolManifest['spec']['template']['spec']['requirements']) =>
  nodePoolFromManifest({ metadata: { name: 'fixed' }, spec: { replicas: 2, template: { spec: { requirements } } } as NodePoolManifest['spec'] }, types);

describe('staticNewNode', () => {
  test('offers every admitted type with an available offering, cheapest first, for no pod, pinned to the pool', () => {
    const p = pool([
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5', 'c5'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    ]);
    const n = staticNewNode(p, 'static-0')!;
    expect(n.nodePool).toBe('fixed');
    expect(n.pods).toEqual([]);
    expect(n.requests).toEqual({});
    const names = n.instanceTypeOptions.map((o) => o.name);
    expect(names.length).toBe(p.instanceTypes.length);
    expect(names.every((t) => /^(m5|c5)\./.test(t))).toBe(true);
    const prices = n.instanceTypeOptions.map((o) => o.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(n.price).toBe(prices[0]);
    for (const o of n.instanceTypeOptions) expect(o.offerings.every((x) => x.capacityType === 'on-demand' && x.available)).toBe(true);
    expect(n.requirements).toContainEqual({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...names].sort() });
    expect(n.labels).toMatchObject({ 'karpenter.sh/nodepool': 'fixed', 'karpenter.sh/capacity-type': 'on-demand' });
  });

  test('at most maxOptions types, extended in price order until minValues families are offered', () => {
    const p = pool([
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5', 'c5', 'r5'], minValues: 3 },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    ]);
    const n = staticNewNode(p, 'static-0', 2)!;
    const families = new Set(n.instanceTypeOptions.map((o) => o.name.split('.')[0]));
    expect(families).toEqual(new Set(['m5', 'c5', 'r5']));
    expect(n.instanceTypeOptions.length).toBeGreaterThanOrEqual(3);
    expect(n.instanceTypeOptions.length).toBeLessThan(p.instanceTypes.length);
  });

  test('none when nothing is offered (no type admitted)', () => {
    expect(staticNewNode(pool([{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['no-such.type'] }]), 'x')).toBeUndefined();
  });
});
