// The NodeOverlay policy API: typed selection compiled to a NodeOverlay manifest in
// generated/nodeoverlays/, deterministic; a malformed priceAdjustment (or any value the
// reconciler would refuse) stops the compile at the policy line, naming the field and a fix.
import { Ami, EC2NodeClass, NodeOverlay, NodePool, type NodeOverlayProps, type PriceAdjustment } from '../../../../compiler/api/index.ts';
import type { Policy } from '../../../../compiler/api/policy.ts';
import { parseIntentManifestFiles } from '../../../../compiler/manifests/index.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const FILE = 'test/unit/compiler/api/node-overlay.test.ts';

function withPool(p: Policy): NodePool {
  const nodeClass = new EC2NodeClass(p, 'nodes', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-test',
    subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  });
  return new NodePool(p, 'web', { nodeClass, instances: { categories: ['m', 'c'] }, limits: { cpu: 100 }, expireAfter: '720h' });
}

function compileOverlay(props: (pool: NodePool) => NodeOverlayProps) {
  let line = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      const pool = withPool(p);
      line = nextLine();
      new NodeOverlay(p, 'discount', props(pool));
    },
  });
  return { result, line };
}

describe('NodeOverlay', () => {
  test('compiles to nodeoverlays/<name>.yaml in generated/, typed selection as requirements, valid for the reconciler and the same twice', () => {
    const props = (pool: NodePool): NodeOverlayProps => ({
      nodePools: [pool],
      capacityTypes: ['on-demand'],
      instances: { families: ['m7i', 'm6i'] },
      weight: 10,
      priceAdjustment: '-10%',
      capacity: { 'hugepages-2Mi': '1Gi' },
    });
    const { result } = compileOverlay(props);
    expect(result.ok).toBe(true);
    const file = result.files.find((f) => f.path === 'nodeoverlays/discount.yaml')!;
    expect(file).toBeDefined();
    expect(file.content).toContain('apiVersion: karpenter.sh/v1alpha1');
    const parsed = parseIntentManifestFiles([{ path: file.path, content: file.content }]);
    expect(parsed.errors).toEqual([]);
    const overlay = parsed.manifests.nodeOverlays[0]!.object;
    expect(overlay.spec).toEqual({
      weight: 10,
      priceAdjustment: '-10%',
      capacity: { 'hugepages-2Mi': '1Gi' },
      requirements: expect.arrayContaining([
        { key: 'karpenter.sh/nodepool', operator: 'In', values: ['web'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i', 'm7i'] },
      ]),
    });
    expect(compileOverlay(props).result.files.find((f) => f.path === file.path)!.content).toBe(file.content);
    expect(result.files.some((f) => f.path === 'nodeoverlays/kustomization.yaml')).toBe(true);
  });

  test('no overlay declared: no nodeoverlays/ section', () => {
    const result = compileInMemory({ 'policies/test.ts': (p) => void withPool(p) });
    expect(result.ok).toBe(true);
    expect(result.files.some((f) => f.path.startsWith('nodeoverlays/'))).toBe(false);
  });

  test.each(['10%', '-150%', '+ 5', 'cheaper'])('priceAdjustment %p is refused at the policy line with the field and a fix', (bad) => {
    const { result, line } = compileOverlay(() => ({ priceAdjustment: bad as PriceAdjustment }));
    expect(result.ok).toBe(false);
    const [issue, ...rest] = findings(result.diagnostics, 'invalid-value');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ severity: 'error', file: FILE, line, field: 'priceAdjustment', object: { kind: 'NodeOverlay', name: 'discount' } });
    expect(issue!.message).toContain(JSON.stringify(bad));
    expect(issue!.fix).toMatch(/"\+0\.05".*"-10%"/);
    expect(result.diagnostics.filter((d) => d.code === 'schema')).toEqual([]);
  });

  test('price with priceAdjustment, a standard resource in capacity, a bad weight: each refused by field', () => {
    const { result } = compileOverlay(() => ({ price: 0.2, priceAdjustment: '+0.05', capacity: { memory: '1Gi' }, weight: 0 }));
    expect(result.ok).toBe(false);
    expect(findings(result.diagnostics, 'invalid-value').map((d) => d.field).sort()).toEqual(['capacity["memory"]', 'priceAdjustment', 'weight']);
  });

  test('a price compiles as the CRD decimal', () => {
    const { result } = compileOverlay(() => ({ price: 0.1 + 0.2, instances: { types: ['m7i.large'] } }));
    expect(result.ok).toBe(true);
    expect(result.files.find((f) => f.path === 'nodeoverlays/discount.yaml')!.content).toMatch(/price: "0\.3"/);
  });
});
