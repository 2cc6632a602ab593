// On-demand prices of a region from the AWS Price List API, as Karpenter's pricing provider
// reads them (aws/karpenter-provider-aws pkg/providers/pricing/pricing.go): GetProducts for
// AmazonEC2 in the region, Linux, no pre-installed software, capacity status Used, market
// option OnDemand; once for shared-tenancy "Compute Instance" products and once for
// "Compute Instance (bare metal)" (listed with Dedicated tenancy); each product's USD price
// per hour from its OnDemand terms. The I/O is the caller's `PriceListApi` (the SDK's
// PricingClient in production, reconciler/adapters/aws/price-list.ts); parsing is here.
import type { RegionalPrices } from './regions.ts';

/** GetProducts' request, as @aws-sdk/client-pricing's GetProductsCommandInput names it. */
export interface GetProductsInput {
  ServiceCode: string;
  Filters: { Type: 'TERM_MATCH'; Field: string; Value: string }[];
  FormatVersion?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** GetProducts' answer: each PriceList entry is one product's JSON document. */
export interface GetProductsOutput {
  PriceList?: string[];
  NextToken?: string;
}

/** The port: one GetProducts call. */
export interface PriceListApi {
  getProducts(input: GetProductsInput): Promise<GetProductsOutput>;
}

/**
 * The Price List API endpoint region for a cluster's region: it answers only in a few
 * regions; as Karpenter picks it (ap-* -> ap-south-1, eu-* -> eu-central-1, cn-* ->
 * cn-northwest-1, else us-east-1).
 */
export function priceListEndpointRegion(region: string): string {
  if (region.startsWith('ap-')) return 'ap-south-1';
  if (region.startsWith('eu-')) return 'eu-central-1';
  if (region.startsWith('cn-')) return 'cn-northwest-1';
  return 'us-east-1';
}

/** The two queries Karpenter sends for a region (shared tenancy, then bare metal). */
export function onDemandQueries(region: string): GetProductsInput[] {
  const common = (extra: [string, string][]): GetProductsInput => ({
    ServiceCode: 'AmazonEC2',
    FormatVersion: 'aws_v1',
    MaxResults: 100,
    Filters: (
      [
        ['regionCode', region],
        ['serviceCode', 'AmazonEC2'],
        ['preInstalledSw', 'NA'],
        ['operatingSystem', 'Linux'],
        ['capacitystatus', 'Used'],
        ['marketoption', 'OnDemand'],
        ...extra,
      ] as [string, string][]
    ).map(([Field, Value]) => ({ Type: 'TERM_MATCH' as const, Field, Value })),
  });
  return [
    common([
      ['tenancy', 'Shared'],
      ['productFamily', 'Compute Instance'],
    ]),
    common([
      ['tenancy', 'Dedicated'],
      ['productFamily', 'Compute Instance (bare metal)'],
    ]),
  ];
}

interface PriceItem {
  product?: { attributes?: { instanceType?: unknown } };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { pricePerUnit?: Record<string, unknown> }> }> };
}

/**
 * Prices of one GetProducts page: instance type -> price per hour, in USD (CNY in the China
 * regions, as Karpenter reads them). Entries that are not JSON, name no instance type or
 * carry no positive price are skipped and counted.
 */
export function onDemandPricesOfPage(priceList: readonly string[], region: string): { prices: Map<string, number>; skipped: number } {
  const currency = region.startsWith('cn-') ? 'CNY' : 'USD';
  const prices = new Map<string, number>();
  let skipped = 0;
  for (const text of priceList) {
    let item: PriceItem;
    try {
      item = JSON.parse(text) as PriceItem;
    } catch {
      skipped += 1;
      continue;
    }
    const type = item?.product?.attributes?.instanceType;
    if (typeof type !== 'string' || type === '') {
      skipped += 1;
      continue;
    }
    let found: number | undefined;
    for (const term of Object.values(item.terms?.OnDemand ?? {})) {
      for (const dimension of Object.values(term?.priceDimensions ?? {})) {
        const price = Number(dimension?.pricePerUnit?.[currency]);
        if (Number.isFinite(price) && price > 0) found = price;
      }
    }
    if (found === undefined) skipped += 1;
    else prices.set(type, found);
  }
  return { prices, skipped };
}

export class PriceListError extends Error {}

/**
 * Every on-demand price of `region`, paging through both queries. Throws (PriceListError or
 * the API's error) when a call fails or either query finds nothing: Karpenter keeps its
 * previous prices then, and so should the caller.
 */
export async function fetchOnDemandPrices(api: PriceListApi, region: string, now: () => Date = () => new Date()): Promise<RegionalPrices> {
  const prices = new Map<string, number>();
  for (const query of onDemandQueries(region)) {
    let found = 0;
    let token: string | undefined;
    do {
      const page = await api.getProducts({ ...query, ...(token ? { NextToken: token } : {}) });
      const parsed = onDemandPricesOfPage(page.PriceList ?? [], region);
      for (const [type, price] of parsed.prices) prices.set(type, price);
      found += parsed.prices.size;
      token = page.NextToken || undefined;
    } while (token);
    const family = query.Filters.find((f) => f.Field === 'productFamily')?.Value;
    if (found === 0) throw new PriceListError(`the AWS Price List API returned no on-demand price for ${family} in ${region}`);
  }
  return { prices, source: `the AWS Price List API (GetProducts via ${priceListEndpointRegion(region)}, fetched ${now().toISOString()})` };
}
