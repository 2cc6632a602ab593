import type { NodeOverlay, NodeOverlaySpec } from '../../../../core/api/node-overlay.ts';
import { buildInstanceTypes, type InstanceType } from '../../../../core/catalog/instance-types.ts';
import { applyOverlays, applyPriceAdjustment, overlayProblems, parsePriceAdjustment, resolveOverlays } from '../../../../core/catalog/overlays.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const all = buildInstanceTypes(loadShippedCatalog());
const types = all.filter((t) => ['m5.large', 'm5.xlarge', 'c5.large', 'r5.large'].includes(t.name));
const byName = (ts: readonly InstanceType[], name: string): InstanceType => ts.find((t) => t.name === name)!;
const pool = { name: 'general', labels: { team: 'web' } };

function overlay(name: string, spec: Partial<NodeOverlaySpec>): NodeOverlay {
  return { apiVersion: 'karpenter.sh/v1alpha1', kind: 'NodeOverlay', metadata: { name }, spec: { requirements: [], ...spec } };
}

describe('priceAdjustment', () => {
  it('reads signed amounts and percentages as the CRD accepts them, and nothing else', () => {
    expect(parsePriceAdjustment('-10%')).toEqual({ kind: 'percent', percent: -10 });
    expect(parsePriceAdjustment('+15%')).toEqual({ kind: 'percent', percent: 15 });
    expect(parsePriceAdjustment('+0.05')).toEqual({ kind: 'delta', amount: 0.05 });
    expect(parsePriceAdjustment('-.5')).toEqual({ kind: 'delta', amount: -0.5 });
    expect(parsePriceAdjustment('-100%')).toEqual({ kind: 'percent', percent: -100 });
    for (const bad of ['10%', '0.05', '-150%', '-100.5%', '+5 %', 'ten', '', '5$', '--1']) expect(parsePriceAdjustment(bad)).toBeUndefined();
  });

  it('a percentage scales the price, an amount shifts it, never below 0', () => {
    expect(applyPriceAdjustment(0.2, { kind: 'percent', percent: -10 })).toBeCloseTo(0.18, 10);
    expect(applyPriceAdjustment(0.2, { kind: 'delta', amount: 0.05 })).toBeCloseTo(0.25, 10);
    expect(applyPriceAdjustment(0.2, { kind: 'delta', amount: -0.5 })).toBe(0);
  });

  it('a malformed adjustment, both price fields, or a restricted capacity is a problem naming the field and the fix', () => {
    expect(overlayProblems({ requirements: [], priceAdjustment: '10%' })).toEqual([
      expect.objectContaining({ field: 'spec.priceAdjustment', fix: expect.stringContaining('"-10%"') }),
    ]);
    expect(overlayProblems({ requirements: [], price: '1', priceAdjustment: '+1' }).map((p) => p.message)).toContain("cannot set both 'price' and 'priceAdjustment'");
    expect(overlayProblems({ requirements: [], capacity: { memory: '1Gi' } })[0]!.field).toBe('spec.capacity["memory"]');
    expect(overlayProblems({ requirements: [], capacity: { 'hugepages-2Mi': '100Mi' }, priceAdjustment: '-10%', weight: 5 })).toEqual([]);
  });
});

describe('applyOverlays', () => {
  it('prices only the matching offerings: -10% on on-demand m5, the rest untouched', () => {
    const o = overlay('od-discount', {
      priceAdjustment: '-10%',
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] },
      ],
    });
    const { types: out, pricedOfferings } = applyOverlays(types, [o], pool);
    for (const t of types) {
      const adjusted = byName(out, t.name);
      t.offerings.forEach((offering, i) => {
        const expected = t.name.startsWith('m5.') && offering.capacityType === 'on-demand' ? offering.price * 0.9 : offering.price;
        expect(adjusted.offerings[i]!.price).toBeCloseTo(expected, 10);
      });
    }
    const m5OnDemand = types.filter((t) => t.name.startsWith('m5.')).flatMap((t) => t.offerings).filter((x) => x.capacityType === 'on-demand').length;
    expect(pricedOfferings.get('od-discount')).toBe(m5OnDemand);
    expect(byName(out, 'c5.large')).toBe(byName(types, 'c5.large'));
  });

  it('matches the NodePool name and its template labels', () => {
    const o = overlay('web-only', { price: '0.01', requirements: [{ key: 'team', operator: 'In', values: ['web'] }] });
    expect(applyOverlays(types, [o], pool).types.every((t) => t.offerings.every((x) => x.price === 0.01))).toBe(true);
    expect(applyOverlays(types, [o], { name: 'other' }).types.every((t, i) => t === types[i])).toBe(true);
    const byPool = overlay('by-pool', { price: '0.02', requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['other'] }] });
    expect(applyOverlays(types, [byPool], { name: 'other' }).types[0]!.offerings[0]!.price).toBe(0.02);
    expect(applyOverlays(types, [byPool], pool).types[0]!.offerings[0]!.price).not.toBe(0.02);
  });

  it('the highest weight wins an offering; lower ones still price what it does not match', () => {
    const base = overlay('a-base', { priceAdjustment: '+1', requirements: [] });
    const m5 = overlay('z-m5', { weight: 10, price: '0.5', requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] }] });
    const { types: out } = applyOverlays(types, [base, m5], pool);
    expect(byName(out, 'm5.large').offerings.every((o) => o.price === 0.5)).toBe(true);
    const c5 = byName(types, 'c5.large');
    byName(out, 'c5.large').offerings.forEach((o, i) => expect(o.price).toBeCloseTo(c5.offerings[i]!.price + 1, 10));
  });

  it('adds extended capacity (hugepages) to capacity and allocatable of matching types, in bytes', () => {
    const hp = overlay('hugepages', { capacity: { 'hugepages-2Mi': '100Mi' }, requirements: [{ key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['r'] }] });
    const { types: out, extendedTypes } = applyOverlays(types, [hp], pool);
    expect(byName(out, 'r5.large').allocatable['hugepages-2Mi']).toBe(100 * 2 ** 20);
    expect(byName(out, 'r5.large').capacity['hugepages-2Mi']).toBe(100 * 2 ** 20);
    expect(byName(out, 'r5.large').allocatable.cpu).toBe(byName(types, 'r5.large').allocatable.cpu);
    expect(byName(out, 'm5.large').allocatable['hugepages-2Mi']).toBeUndefined();
    expect(extendedTypes.get('hugepages')).toBe(1);
  });
});

describe('resolveOverlays', () => {
  const targets = [{ pool, types }];

  it('same weight, different price for one offering: the later name conflicts and is not applied', () => {
    const a = overlay('a', { priceAdjustment: '-10%', requirements: [] });
    const b = overlay('b', { priceAdjustment: '-20%', requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c5'] }] });
    const r = resolveOverlays([b, a], targets);
    expect(r.active.map((o) => o.metadata.name)).toEqual(['a']);
    expect(r.outcomes.find((o) => o.name === 'b')).toMatchObject({ conflictsWith: 'a', conflictDetail: expect.stringContaining('c5.large') });
    // With a higher weight, b wins where it matches instead of conflicting.
    const r2 = resolveOverlays([{ ...b, spec: { ...b.spec, weight: 2 } }, a], targets);
    expect(r2.active.map((o) => o.metadata.name)).toEqual(['b', 'a']);
  });

  it('same weight, disjoint matches or equal values: no conflict', () => {
    const a = overlay('a', { price: '1', requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m5'] }] });
    const b = overlay('b', { price: '2', requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c5'] }] });
    const c = overlay('c', { price: '1', requirements: [] });
    expect(resolveOverlays([a, b], targets).active).toHaveLength(2);
    expect(resolveOverlays([a, c], targets).active).toHaveLength(2);
  });

  it('an invalid overlay is reported with its problems and not applied', () => {
    const bad = overlay('bad', { priceAdjustment: '-10' + '%%', requirements: [] });
    const r = resolveOverlays([bad], targets);
    expect(r.active).toEqual([]);
    expect(r.outcomes[0]!.problems[0]!.field).toBe('spec.priceAdjustment');
  });
});
