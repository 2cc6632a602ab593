// The plan's price model: spot prices from a describe-spot-price-history snapshot, the
// synthetic model where the snapshot has none, and bad files named.
import { defaultSpotPrice } from '../../../../core/catalog/instance-types.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { defaultPriceModel, parseSpotPrices, pricedCatalog } from '../../../../compiler/plan/spot-prices.ts';
import { WorkloadError } from '../../../../compiler/plan/workload.ts';

const entry = (InstanceType: string, AvailabilityZone: string, SpotPrice: string, Timestamp: string, ProductDescription = 'Linux/UNIX') => ({ InstanceType, AvailabilityZone, SpotPrice, Timestamp, ProductDescription });

describe('spot prices for the what-if', () => {
  it('keeps the latest Linux/UNIX price of each type and zone', () => {
    const snapshot = parseSpotPrices(JSON.stringify({ SpotPriceHistory: [
      entry('m7i.large', 'us-east-1a', '0.0400', '2026-12-01T08:00:00Z'),
      entry('m7i.large', 'us-east-1a', '0.0300', '2026-12-01T09:00:00Z'),
      entry('m7i.large', 'us-east-1a', '0.0100', '2026-12-01T10:00:00Z', 'Windows'),
    ] }), 'spot.json');
    expect([...snapshot.prices]).toEqual([['m7i.large/us-east-1a', 0.03]]);
    expect(snapshot.latest).toBe('2026-12-01T09:00:00Z');
  });

  it('prices the catalog from the snapshot and falls back to the synthetic model, counted, where it has no price', () => {
    const priced = pricedCatalog(parseSpotPrices(JSON.stringify({ SpotPriceHistory: [entry('m7i.large', 'us-east-1a', '0.0300', '2026-12-01T09:00:00Z')] }), 'spot.json'))!;
    const m7i = priced.instanceTypes.find((t) => t.name === 'm7i.large')!;
    expect(m7i.offerings.find((o) => o.zone === 'us-east-1a' && o.capacityType === 'spot')?.price).toBe(0.03);
    const raw = loadShippedCatalog().instanceTypes.find((t) => t.name === 'm7i.large')!;
    expect(m7i.offerings.find((o) => o.zone === 'us-east-1b' && o.capacityType === 'spot')?.price).toBe(defaultSpotPrice(raw, 'us-east-1b'));
    expect(priced.priceModel.spotSynthetic).toBe(true);
    expect(priced.priceModel.spot).toMatch(/^from spot\.json \(1 type-and-zone prices, latest 2026-12-01T09:00:00Z\); the \d+ spot offerings it has no price for are synthetic/);
    expect(defaultPriceModel().spot).toMatch(/^synthetic: not market prices/);
  });

  it.each([
    ['not JSON', 'nope', /spot\.json: is not JSON/],
    ['no history', '{"Prices": []}', /has no SpotPriceHistory list/],
    ['a price that is not a number', JSON.stringify({ SpotPriceHistory: [entry('m7i.large', 'us-east-1a', 'cheap', 'x')] }), /SpotPriceHistory\[0\] needs InstanceType, AvailabilityZone and a SpotPrice/],
  ])('%s: an error naming the file', (_, text, message) => {
    expect(() => parseSpotPrices(text, 'spot.json')).toThrow(WorkloadError);
    expect(() => parseSpotPrices(text, 'spot.json')).toThrow(message);
  });
});
