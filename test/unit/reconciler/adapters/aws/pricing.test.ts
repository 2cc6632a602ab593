// The reconciler's on-demand prices: the shipped table first (a stated proxy outside
// us-east-1), then the region's prices from the Price List API, refreshed every 12 hours;
// a failed refresh keeps the last prices and is retried in minutes, not at once.
import type { GetProductsInput, PriceListApi } from '../../../../../core/index.ts';
import { VirtualClock } from '../../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { loadOnDemandPrices, OnDemandPrices, ON_DEMAND_REFRESH_MS } from '../../../../../reconciler/adapters/aws/pricing.ts';

function doc(instanceType: string, usd: number): string {
  return JSON.stringify({ product: { attributes: { instanceType } }, terms: { OnDemand: { t: { priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: String(usd) } } } } } } });
}

class PriceListAnswers implements PriceListApi {
  calls = 0;
  failing = false;
  constructor(public usdOfM5Large: number) {}
  async getProducts(input: GetProductsInput) {
    this.calls += 1;
    if (this.failing) throw new Error('AccessDeniedException: not authorized to perform pricing:GetProducts');
    const metal = input.Filters.some((f) => f.Value === 'Compute Instance (bare metal)');
    return { PriceList: metal ? [doc('m5.metal', 5.136)] : [doc('m5.large', this.usdOfM5Large)] };
  }
}

const shipped = loadOnDemandPrices();

test('without a Price List API: the shipped us-east-1 prices, stated as a proxy in eu-west-1', async () => {
  const prices = new OnDemandPrices('eu-west-1', shipped, new VirtualClock(0));
  expect((await prices.table()).get('m5.large')).toBe(shipped.prices.get('m5.large'));
  expect(prices.describe()).toMatch(/^derived, not eu-west-1's prices/);
  expect(new OnDemandPrices('us-east-1', shipped, new VirtualClock(0)).describe()).toMatch(/^the shipped us-east-1 on-demand list prices/);
});

test("with one: the region's prices replace the shipped ones, and are asked again after 12 hours", async () => {
  const clock = new VirtualClock(Date.parse('2026-12-06T00:00:00Z'));
  const api = new PriceListAnswers(0.107);
  const prices = new OnDemandPrices('eu-west-1', shipped, clock, api);
  const first = await prices.table();
  expect(first.get('m5.large')).toBe(0.107);
  expect(first.get('m5.metal')).toBe(5.136);
  // A type the API did not price keeps the shipped price.
  expect(first.get('c5.large')).toBe(shipped.prices.get('c5.large'));
  expect(prices.describe()).toMatch(/^eu-west-1's on-demand prices \(Linux, shared tenancy\) from the AWS Price List API/);
  const version = prices.version;
  api.usdOfM5Large = 0.11;
  await clock.advance(ON_DEMAND_REFRESH_MS - 60_000);
  expect((await prices.table()).get('m5.large')).toBe(0.107);
  expect(api.calls).toBe(2);
  await clock.advance(60_000);
  expect((await prices.table()).get('m5.large')).toBe(0.11);
  expect(api.calls).toBe(4);
  expect(prices.version).toBe(version + 1);
});

test('a failed refresh keeps the last prices, warns with the fix, and retries after 5 minutes', async () => {
  const clock = new VirtualClock(0);
  const api = new PriceListAnswers(0.107);
  api.failing = true;
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const logger = { warn: (message: string, fields: Record<string, unknown>) => warnings.push({ message, fields }), info: () => undefined } as never;
  const prices = new OnDemandPrices('eu-west-1', shipped, clock, api, logger);
  expect((await prices.table()).get('m5.large')).toBe(shipped.prices.get('m5.large'));
  expect(warnings[0]?.message).toBe('on-demand price refresh from the AWS Price List API failed; using the last prices');
  expect(String(warnings[0]?.fields.fix)).toContain('pricing:GetProducts');
  await prices.table();
  expect(api.calls).toBe(1);
  api.failing = false;
  await clock.advance(5 * 60_000);
  expect((await prices.table()).get('m5.large')).toBe(0.107);
});
