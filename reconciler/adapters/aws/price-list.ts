// The AWS Price List API behind core's PriceListApi port, through @aws-sdk/client-pricing
// (the client Karpenter's Go equivalent is). The package is loaded when first used, so the
// reconciler and `joinery plan` run without it when no one asks for Price List prices;
// asked for without it, the error says what to install.
import type { GetProductsInput, GetProductsOutput, PriceListApi } from '../../../core/catalog/price-list.ts';
import { priceListEndpointRegion } from '../../../core/catalog/price-list.ts';

/** The part of @aws-sdk/client-pricing used here. */
interface PricingSdk {
  PricingClient: new (config: { region: string; endpoint?: string; maxAttempts?: number }) => { send(command: unknown): Promise<GetProductsOutput> };
  GetProductsCommand: new (input: GetProductsInput) => unknown;
}

export const PRICING_SDK_PACKAGE = '@aws-sdk/client-pricing';

export class PriceListUnavailableError extends Error {}

/** Loads the SDK (a variable specifier: the package is optional until a dependency declares it). */
async function loadSdk(): Promise<PricingSdk> {
  const specifier: string = PRICING_SDK_PACKAGE;
  try {
    return (await import(specifier)) as PricingSdk;
  } catch (err) {
    throw new PriceListUnavailableError(
      `the AWS Price List API client ${PRICING_SDK_PACKAGE} is not installed (${(err as Error).message.split('\n')[0]}); add it to the dependencies (npm i ${PRICING_SDK_PACKAGE}), or go without Price List prices`,
    );
  }
}

/**
 * The Price List API for a cluster in `region`, asked at the endpoint Karpenter picks for it
 * (core/catalog/price-list.ts). Credentials come from the SDK's default chain.
 */
export async function sdkPriceListApi(region: string, options: { endpoint?: string } = {}): Promise<PriceListApi> {
  const sdk = await loadSdk();
  const client = new sdk.PricingClient({ region: priceListEndpointRegion(region), ...(options.endpoint ? { endpoint: options.endpoint } : {}), maxAttempts: 3 });
  return { getProducts: (input) => client.send(new sdk.GetProductsCommand(input)) };
}
