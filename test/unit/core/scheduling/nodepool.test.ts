import { buildInstanceTypes, nodePoolFromManifest, NodePoolError, type NodePoolManifest } from '../../../../core/index.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const types = buildInstanceTypes(loadShippedCatalog());
const manifest = (spec: Partial<NodePoolManifest['spec']> & { requirements?: NodePoolManifest['spec']['template']['spec']['requirements']; labels?: Record<string, string> } = {}): NodePoolManifest => ({
  metadata: { name: 'general' },
  spec: {
    weight: spec.weight,
    limits: spec.limits,
    template: {
      metadata: spec.labels ? { labels: spec.labels } : undefined,
      spec: { requirements: spec.requirements ?? [], taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] },
    },
  },
});

describe('nodePoolFromManifest', () => {
  it('keeps only the types and offerings its requirements allow', () => {
    const pool = nodePoolFromManifest(
      manifest({
        requirements: [
          { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c'] },
          { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['6'] },
          { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
          { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a', 'us-east-1b'] },
        ],
      }),
      types,
    );
    expect(pool.instanceTypes.length).toBeGreaterThan(0);
    for (const t of pool.instanceTypes) {
      expect(t.labels['karpenter.k8s.aws/instance-category']).toBe('c');
      expect(Number(t.labels['karpenter.k8s.aws/instance-generation'])).toBeGreaterThan(6);
      expect(t.labels['kubernetes.io/arch']).toBe('arm64');
      for (const o of t.offerings) {
        expect(o.capacityType).toBe('spot');
        expect(['us-east-1a', 'us-east-1b']).toContain(o.zone);
      }
    }
    expect(pool.taints).toEqual([{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
  });

  it('folds template labels and its own nodepool label into labels and requirements', () => {
    const pool = nodePoolFromManifest(manifest({ labels: { team: 'payments' } }), types);
    expect(pool.labels).toEqual({ team: 'payments', 'karpenter.sh/nodepool': 'general' });
    expect(pool.requirements).toContainEqual({ key: 'team', operator: 'In', values: ['payments'] });
  });

  it('parses limits to canonical units and defaults the weight to 0', () => {
    const pool = nodePoolFromManifest(manifest({ limits: { cpu: '1000', memory: '1000Gi', nodes: 10 } }), types);
    expect(pool.limits).toEqual({ cpu: 1_000_000, memory: 1000 * 2 ** 30, nodes: 10 });
    expect(pool.weight).toBe(0);
  });

  it('names the NodePool and field on bad input', () => {
    expect(() => nodePoolFromManifest(manifest({ requirements: [{ key: 'k', operator: 'Gt', values: ['x'] }] }), types)).toThrow(NodePoolError);
    expect(() => nodePoolFromManifest(manifest({ requirements: [{ key: 'k', operator: 'Gt', values: ['x'] }] }), types)).toThrow(/NodePool general: spec\.template\.spec\.requirements/);
    expect(() => nodePoolFromManifest(manifest({ weight: 101 }), types)).toThrow(/spec\.weight: must be an integer from 0 to 100/);
    expect(() => nodePoolFromManifest(manifest({ limits: { cpu: 'lots' } }), types)).toThrow(/spec\.limits\.cpu/);
    expect(() =>
      nodePoolFromManifest(manifest({ labels: { team: 'a' }, requirements: [{ key: 'team', operator: 'In', values: ['b'] }] }), types),
    ).toThrow(/contradict/);
  });
});
