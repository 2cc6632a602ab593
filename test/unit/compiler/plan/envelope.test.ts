// The plan's capacity envelope with NodeOverlays: priced as the reconciler's solver sees the
// offerings (overlays applied), and saying which overlay changed which prices.
import type { EC2NodeClass, NodePool } from '../../../../core/api/karpenter.ts';
import type { NodeOverlay, NodeOverlaySpec } from '../../../../core/api/node-overlay.ts';
import { poolEnvelopes } from '../../../../compiler/plan/envelope.ts';
import { overlayLines, reservedLines } from '../../../../compiler/plan/render-markdown.ts';
import { catalog, pool } from './intent-fixtures.ts';

const m5Pool = (name: string): NodePool =>
  pool(name, (spec) => {
    spec.template.spec.requirements = [
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5.xlarge', 'c5.large'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    ];
    spec.limits = { cpu: 20 };
  });

function overlay(name: string, spec: Partial<NodeOverlaySpec>): NodeOverlay {
  return { apiVersion: 'karpenter.sh/v1alpha1', kind: 'NodeOverlay', metadata: { name }, spec: { requirements: [], ...spec } };
}

const M5 = [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m5'] }];
const onDemandOfferings = (types: string[]) => catalog.filter((t) => types.includes(t.name)).reduce((n, t) => n + t.offerings.filter((o) => o.capacityType === 'on-demand').length, 0);

describe('capacity envelope with NodeOverlays', () => {
  test('an overlay halving m5 in head: the most $/h at limits is priced with it, and the envelope names the overlay, the change and the types', () => {
    const half = overlay('m5-half', { requirements: M5, priceAdjustment: '-50%' });
    const [env] = poolEnvelopes([m5Pool('general')], [m5Pool('general')], catalog, undefined, { head: [half] });
    // 20 vCPU at the dearest $/vCPU: m5 at $0.048 (c5.large $0.0425); halved, c5.large's $0.0425 is the dearest.
    expect(env!.before!.maxHourlyCostAtLimits).toBeCloseTo(0.96, 2);
    expect(env!.before!.overlays).toBeUndefined();
    expect(env!.after!.maxHourlyCostAtLimits).toBeCloseTo(0.85, 2);
    expect(env!.after!.maxHourlyCostWithoutOverlays).toBeCloseTo(0.96, 2);
    expect(env!.after!.overlays).toEqual([
      { nodeOverlay: 'm5-half', change: 'priceAdjustment -50%', offerings: onDemandOfferings(['m5.large', 'm5.xlarge']), instanceTypes: ['m5.large', 'm5.xlarge'] },
    ]);
    expect(overlayLines('general', 'after', env!.after)).toEqual([
      `- NodePool \`general\` (after): NodeOverlay \`m5-half\` (priceAdjustment -50%) changes the price of ${onDemandOfferings(['m5.large', 'm5.xlarge'])} offerings of 2 instance types (m5.large and m5.xlarge); most $/h at limits $0.96/h without overlays, $0.85/h with them`,
    ]);
  });

  test('a price override scoped to another pool changes nothing here; in that pool it sets the price', () => {
    const fixed = overlay('other-only', { requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['other'] }], price: '0.01' });
    const envs = poolEnvelopes(undefined, [m5Pool('general'), m5Pool('other')], catalog, undefined, { head: [fixed] });
    const general = envs.find((e) => e.nodePool === 'general')!.after!;
    const other = envs.find((e) => e.nodePool === 'other')!.after!;
    expect(general.overlays).toBeUndefined();
    expect(general.maxHourlyCostAtLimits).toBeCloseTo(0.96, 2);
    expect(other.overlays?.map((o) => [o.nodeOverlay, o.change, o.instanceTypes])).toEqual([['other-only', 'price 0.01', ['c5.large', 'm5.large', 'm5.xlarge']]]);
    // 20 vCPU at $0.01 per 2-vCPU node: $0.10.
    expect(other.maxHourlyCostAtLimits).toBeCloseTo(0.1, 2);
    expect(overlayLines('general', 'after', general)).toEqual([]);
  });

  test('weights as the reconciler: a heavier overlay wins where both match; one in conflict at the same weight is not applied and not listed', () => {
    const light = overlay('a-light', { requirements: [], priceAdjustment: '-10%', weight: 1 });
    const heavy = overlay('b-heavy', { requirements: M5, priceAdjustment: '-50%', weight: 5 });
    const conflicting = overlay('c-conflict', { requirements: M5, priceAdjustment: '-90%', weight: 5 });
    const [env] = poolEnvelopes(undefined, [m5Pool('general')], catalog, undefined, { head: [light, heavy, conflicting] });
    expect(env!.after!.overlays?.map((o) => [o.nodeOverlay, o.instanceTypes])).toEqual([
      ['a-light', ['c5.large']],
      ['b-heavy', ['m5.large', 'm5.xlarge']],
    ]);
    // c5.large at $0.0765 ($0.03825/vCPU) is now the dearest per vCPU: 20 vCPU cost $0.765.
    expect(env!.after!.maxHourlyCostAtLimits).toBeCloseTo(0.77, 2);
  });
});

describe('capacity envelope with capacity reservations', () => {
  const reservingPool = (name: string, capacityTypes: string[]): NodePool =>
    pool(name, (spec) => {
      spec.template.spec.requirements = [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5.xlarge'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: capacityTypes },
      ];
    });
  const cls = (name: string, terms: NonNullable<EC2NodeClass['spec']>['capacityReservationSelectorTerms']): EC2NodeClass =>
    ({ apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name }, spec: { capacityReservationSelectorTerms: terms } }) as EC2NodeClass;

  test('a pool admitting reserved whose class selects reservations: reserved among its capacity types, and the reservations named', () => {
    const p = reservingPool('gpu', ['reserved', 'on-demand']);
    const className = p.spec.template.spec.nodeClassRef.name;
    const [env] = poolEnvelopes([p], [p], catalog, undefined, {}, { head: [cls(className, [{ id: 'cr-0123456789abcdef0' }, { tags: { team: 'ml' }, ownerID: '111122223333' }])] });
    expect(env!.before!.reserved).toBeUndefined();
    expect(env!.before!.capacityTypes).toEqual(['on-demand']);
    expect(env!.after!.capacityTypes).toEqual(['on-demand', 'reserved']);
    expect(env!.after!.reserved).toEqual({ nodeClass: className, terms: ['id cr-0123456789abcdef0', 'tags team=ml owner 111122223333'], admitted: true });
    expect(reservedLines('gpu', 'after', env!.after)).toEqual([
      `- NodePool \`gpu\` (after): launches into the capacity reservations EC2NodeClass \`${className}\` selects (\`id cr-0123456789abcdef0\` and \`tags team=ml owner 111122223333\`) first, priced as already paid for, while they have room; then its other capacity types`,
    ]);
  });

  test('a pool that does not admit reserved is told it launches none into its class\'s reservations', () => {
    const p = reservingPool('general', ['on-demand']);
    const [env] = poolEnvelopes(undefined, [p], catalog, undefined, {}, { head: [cls(p.spec.template.spec.nodeClassRef.name, [{ id: 'cr-1' }])] });
    expect(env!.after!.capacityTypes).toEqual(['on-demand']);
    expect(reservedLines('general', 'after', env!.after)[0]).toContain("does not admit `reserved`: it launches none into them");
  });
});
