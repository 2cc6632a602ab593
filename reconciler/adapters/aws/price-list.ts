// The AWS Price List API behind core's PriceListApi port, through @aws-sdk/client-pricing
// (the client Karpenter's Go equivalent is). The SDK is imported when first asked for, so
// commands that never ask for Price List prices (compile, plan without --price-list, a
// reconciler with --isolated-vpc) do not pay for loading it.
import type { PriceListApi } from '../../../core/catalog/price-list.ts';
import { priceListEndpointRegion } from '../../../core/catalog/price-list.ts';

/**
 * The Price List API for a cluster in `region`, asked at the endpoint Karpenter picks for it
 * (core/catalog/price-list.ts). Credentials come from the SDK's default chain.
 */
export async function sdkPriceListApi(region: string, options: { endpoint?: string } = {}): Promise<PriceListApi> {
  const sdk = await import('@aws-sdk/client-pricing');
  const client = new sdk.PricingClient({ region: priceListEndpointRegion(region), ...(options.endpoint ? { endpoint: options.endpoint } : {}), maxAttempts: 3 });
  return {
    getProducts: async (input) => {
      const out = await client.send(new sdk.GetProductsCommand(input));
      return { ...(out.PriceList ? { PriceList: out.PriceList.map(String) } : {}), ...(out.NextToken ? { NextToken: out.NextToken } : {}) };
    },
  };
}
