// The catalog of a region other than us-east-1, composed from the shipped files: its own
// zones and offerings, us-east-1's specs, and on-demand prices under a model it states.
import { buildInstanceTypes, LIST_PRICE_REGION, regionalCatalog, type RawRegionFile } from '../../../../core/index.ts';
import { loadRegionCatalog, loadShippedCatalog } from '../../../../data/catalog.ts';

describe('regionalCatalog on the shipped files', () => {
  test('eu-west-1: only eu-west-1 zones, types offered there, us-east-1 prices as a stated proxy', () => {
    const { raw, priceModel } = loadRegionCatalog('eu-west-1');
    expect(raw.meta?.region).toBe('eu-west-1');
    const zones = new Set(raw.instanceTypes.flatMap((t) => t.zones));
    expect([...zones].sort()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    // m5.large is sold in eu-west-1; priced at its us-east-1 list price (0.096 there).
    const m5 = raw.instanceTypes.find((t) => t.name === 'm5.large')!;
    const use1 = loadShippedCatalog().instanceTypes.find((t) => t.name === 'm5.large')!;
    expect(m5.onDemandPricePerHour).toBe(use1.onDemandPricePerHour);
    expect(m5.vcpu).toBe(2);
    expect(priceModel.kind).toBe('us-east-1-proxy');
    expect(priceModel.description).toMatch(/^derived, not eu-west-1's prices: each type at its us-east-1 on-demand list price/);
    expect(priceModel.description).toContain('--price-list');
  });

  test('a type offered in the region but not in us-east-1 has specs and no price: counted, and left out of the scheduler catalog', () => {
    const { raw, priceModel } = loadRegionCatalog('us-west-2');
    const use1 = new Set(loadShippedCatalog().instanceTypes.map((t) => t.name));
    const regional = raw.instanceTypes.filter((t) => !use1.has(t.name));
    expect(regional.length).toBeGreaterThan(0);
    for (const t of regional) {
      expect(t.vcpu).toBeGreaterThan(0);
      expect(t.onDemandPricePerHour).toBeNull();
    }
    expect(priceModel.unpriced).toBe(regional.length);
    expect(priceModel.description).toContain(`${regional.length} types offered in us-west-2 have no price under it and are left out`);
    const built = new Set(buildInstanceTypes(raw).map((t) => t.name));
    expect(regional.some((t) => built.has(t.name))).toBe(false);
    expect(built.size).toBe(raw.instanceTypes.length - regional.length);
    // Every built type carries the region label of us-west-2, not us-east-1.
    expect(buildInstanceTypes(raw)[0]!.labels['topology.kubernetes.io/region']).toBe('us-west-2');
  });

  test('us-east-1 is the shipped list itself, priced by its list prices', () => {
    const { raw, priceModel } = loadRegionCatalog(LIST_PRICE_REGION);
    expect(raw.instanceTypes.length).toBe(loadShippedCatalog().instanceTypes.length);
    expect(priceModel).toMatchObject({ kind: 'list', unpriced: 0 });
    expect(priceModel.description).toBe('the shipped us-east-1 on-demand list prices (Linux; data/README.md)');
  });

  test('prices from the Price List API replace the proxy; types they do not price are left out', () => {
    const file: RawRegionFile = {
      meta: { region: 'eu-west-9' },
      zones: ['eu-west-9a', 'eu-west-9b'],
      offerings: { 'm5.large': [0, 1], 'c5.large': [1], 'z9.huge': [0] },
      types: [],
    };
    const base = loadShippedCatalog();
    const priced = regionalCatalog(base, file, { prices: new Map([['m5.large', 0.107]]), source: 'a test price list' });
    expect(priced.raw.instanceTypes.map((t) => [t.name, t.zones, t.onDemandPricePerHour])).toEqual([
      ['c5.large', ['eu-west-9b'], null],
      ['m5.large', ['eu-west-9a', 'eu-west-9b'], 0.107],
    ]);
    expect(priced.priceModel).toMatchObject({ kind: 'price-list-api', unpriced: 1 });
    expect(priced.priceModel.description).toBe("eu-west-9's on-demand prices (Linux, shared tenancy) from a test price list; 1 types offered in eu-west-9 have no price under it and are left out");
  });
});
