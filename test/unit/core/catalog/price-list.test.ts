// Reading the AWS Price List API as Karpenter does: the queries it sends, the prices it takes
// from GetProducts' product documents, paging, and refusing an answer with no price.
import { fetchOnDemandPrices, onDemandPricesOfPage, onDemandQueries, PriceListError, priceListEndpointRegion, type GetProductsInput, type PriceListApi } from '../../../../core/index.ts';

/** One product document as GetProducts returns it (FormatVersion aws_v1), shortened. */
function product(instanceType: string, usd: string, family = 'Compute Instance'): string {
  return JSON.stringify({
    product: { productFamily: family, attributes: { instanceType, regionCode: 'eu-west-1', operatingSystem: 'Linux', tenancy: 'Shared' }, sku: `SKU${instanceType}` },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [`SKU${instanceType}.JRTCKXETXF`]: {
          priceDimensions: { [`SKU${instanceType}.JRTCKXETXF.6YS6EN2CT7`]: { unit: 'Hrs', pricePerUnit: { USD: usd }, description: `$${usd} per On Demand Linux ${instanceType} Instance Hour` } },
          termAttributes: {},
        },
      },
    },
    version: '20261201000000',
  });
}

test('the queries are Karpenter\'s: Linux, no software, Used capacity, OnDemand; shared instances, then bare metal', () => {
  const [shared, metal] = onDemandQueries('eu-west-1');
  const fields = (q: GetProductsInput) => Object.fromEntries(q.Filters.map((f) => [f.Field, f.Value]));
  expect(fields(shared!)).toEqual({
    regionCode: 'eu-west-1',
    serviceCode: 'AmazonEC2',
    preInstalledSw: 'NA',
    operatingSystem: 'Linux',
    capacitystatus: 'Used',
    marketoption: 'OnDemand',
    tenancy: 'Shared',
    productFamily: 'Compute Instance',
  });
  expect(fields(metal!)).toMatchObject({ tenancy: 'Dedicated', productFamily: 'Compute Instance (bare metal)' });
  expect(shared!.ServiceCode).toBe('AmazonEC2');
});

test('the endpoint region follows the cluster region as Karpenter picks it', () => {
  expect(priceListEndpointRegion('eu-west-1')).toBe('eu-central-1');
  expect(priceListEndpointRegion('ap-southeast-2')).toBe('ap-south-1');
  expect(priceListEndpointRegion('us-west-2')).toBe('us-east-1');
  expect(priceListEndpointRegion('sa-east-1')).toBe('us-east-1');
});

test('a page: the USD price per hour of each type; documents without a type or a price are skipped', () => {
  const { prices, skipped } = onDemandPricesOfPage(
    [product('m5.large', '0.1070000000'), product('c5.large', '0.0000000000'), '{"product":{"attributes":{}}}', 'not json', product('r5.large', '0.1410000000')],
    'eu-west-1',
  );
  expect([...prices]).toEqual([
    ['m5.large', 0.107],
    ['r5.large', 0.141],
  ]);
  expect(skipped).toBe(3);
});

class RecordingPriceList implements PriceListApi {
  readonly calls: GetProductsInput[] = [];
  constructor(private readonly pages: Record<string, { PriceList: string[]; NextToken?: string }[]>) {}
  async getProducts(input: GetProductsInput) {
    this.calls.push(input);
    const family = input.Filters.find((f) => f.Field === 'productFamily')!.Value;
    const pages = this.pages[family] ?? [];
    const index = input.NextToken ? Number(input.NextToken) : 0;
    return pages[index] ?? { PriceList: [] };
  }
}

test('fetchOnDemandPrices pages through both queries and says where the prices came from', async () => {
  const api = new RecordingPriceList({
    'Compute Instance': [{ PriceList: [product('m5.large', '0.107')], NextToken: '1' }, { PriceList: [product('m5.xlarge', '0.214')] }],
    'Compute Instance (bare metal)': [{ PriceList: [product('m5.metal', '5.136', 'Compute Instance (bare metal)')] }],
  });
  const fetched = await fetchOnDemandPrices(api, 'eu-west-1', () => new Date('2026-12-06T18:00:00Z'));
  expect(Object.fromEntries(fetched.prices)).toEqual({ 'm5.large': 0.107, 'm5.xlarge': 0.214, 'm5.metal': 5.136 });
  expect(api.calls.map((c) => c.NextToken)).toEqual([undefined, '1', undefined]);
  expect(fetched.source).toBe('the AWS Price List API (GetProducts via eu-central-1, fetched 2026-12-06T18:00:00.000Z)');
});

test('an answer without any price for a query is an error (the caller keeps its prices)', async () => {
  const api = new RecordingPriceList({ 'Compute Instance': [{ PriceList: [product('m5.large', '0.107')] }] });
  await expect(fetchOnDemandPrices(api, 'eu-west-1')).rejects.toThrow(PriceListError);
  await expect(fetchOnDemandPrices(api, 'eu-west-1')).rejects.toThrow('no on-demand price for Compute Instance (bare metal) in eu-west-1');
});
