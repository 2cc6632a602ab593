// Prices: on-demand from the shipped table (data/ec2-us-east-1.json, as Karpenter ships
// one generated from the price list), replaced, when a Price List API is given, by the
// region's prices from it every 12 hours (as Karpenter's pricing controller does); spot from
// DescribeSpotPriceHistory (the newest price per type and zone), refreshed after a TTL. A
// failed refresh keeps the last prices; a type with no spot price gets no spot offering.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeSpotPriceHistoryCommand, type EC2Client, type SpotPrice } from '@aws-sdk/client-ec2';
import type { RawCatalog } from '../../../core/catalog/raw-catalog.ts';
import { describePriceModel, type OnDemandPriceModelKind } from '../../../core/catalog/regions.ts';
import { fetchOnDemandPrices, type PriceListApi } from '../../../core/catalog/price-list.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../observability/log.ts';
import type { Ec2Calls } from './calls.ts';
import { errorMessage } from './errors.ts';

export const DEFAULT_PRICE_TABLE = fileURLToPath(new URL('../../../data/ec2-us-east-1.json', import.meta.url));

export interface OnDemandPriceTable {
  readonly region: string | undefined;
  readonly prices: ReadonlyMap<string, number>;
}

/** Reads on-demand prices (USD/h) from a catalog file in the shape of data/ec2-us-east-1.json. */
export function loadOnDemandPrices(path: string = DEFAULT_PRICE_TABLE): OnDemandPriceTable {
  let raw: RawCatalog;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as RawCatalog;
  } catch (err) {
    throw new Error(`on-demand price table ${path} cannot be read: ${errorMessage(err)}; point onDemandPriceTablePath at a file shaped like data/ec2-us-east-1.json`);
  }
  const prices = new Map<string, number>();
  for (const t of raw.instanceTypes ?? []) if (typeof t.onDemandPricePerHour === 'number') prices.set(t.name, t.onDemandPricePerHour);
  return { region: typeof raw.meta?.region === 'string' ? raw.meta.region : undefined, prices };
}

/** Karpenter refreshes on-demand prices every 12 hours. */
export const ON_DEMAND_REFRESH_MS = 12 * 3_600_000;
/** After a failed Price List refresh, the next try. */
const ON_DEMAND_RETRY_MS = 5 * 60_000;

/**
 * The on-demand prices the catalog uses: the shipped table at first (us-east-1's list
 * prices; in another region a stated proxy for its own, as Karpenter's static fallback),
 * then, with a Price List API, the region's own prices, refreshed every 12 hours. Types the
 * API does not price keep their previous price (Karpenter assigns new prices over old).
 */
export class OnDemandPrices {
  private current: Map<string, number>;
  private kind: OnDemandPriceModelKind;
  private source: string | undefined;
  private fetchedAt = -Infinity;
  private inflight: Promise<void> | undefined;
  /** Bumped when the prices change, so derived catalogs know when to rebuild. */
  version = 0;

  constructor(
    private readonly region: string,
    initial: OnDemandPriceTable,
    private readonly clock: Clock,
    private readonly api?: PriceListApi,
    private readonly logger?: Logger,
    private readonly ttlMs: number = ON_DEMAND_REFRESH_MS,
  ) {
    this.current = new Map(initial.prices);
    this.kind = (initial.region ?? region) === region ? 'list' : 'us-east-1-proxy';
  }

  /** The prices now, refreshing from the Price List API when stale (a failure keeps them). */
  async table(): Promise<ReadonlyMap<string, number>> {
    if (this.api && this.clock.now() - this.fetchedAt >= this.ttlMs) {
      this.inflight ??= this.refresh(this.api).finally(() => (this.inflight = undefined));
      await this.inflight;
    }
    return this.current;
  }

  /** The last prices, without refreshing. */
  cached(): ReadonlyMap<string, number> {
    return this.current;
  }

  /** The price model in words (core/catalog/regions.ts). */
  describe(): string {
    return describePriceModel(this.kind, this.region, 0, this.source);
  }

  private async refresh(api: PriceListApi): Promise<void> {
    try {
      const fetched = await fetchOnDemandPrices(api, this.region, () => new Date(this.clock.now()));
      this.current = new Map([...this.current, ...fetched.prices]);
      this.kind = 'price-list-api';
      this.source = fetched.source;
      this.fetchedAt = this.clock.now();
      this.version += 1;
      this.logger?.info('updated on-demand prices from the AWS Price List API', { region: this.region, instanceTypes: fetched.prices.size });
    } catch (err) {
      this.fetchedAt = this.clock.now() - this.ttlMs + Math.min(this.ttlMs, ON_DEMAND_RETRY_MS);
      this.logger?.warn('on-demand price refresh from the AWS Price List API failed; using the last prices', {
        region: this.region,
        prices: this.describe(),
        error: errorMessage(err),
        fix: 'allow pricing:GetProducts to the reconciler role and egress to the Price List endpoint, or set --isolated-vpc to use the shipped prices without asking',
      });
    }
  }
}

/**
 * Where spot prices come from. `describe-spot-price-history` is the real market. An EC2
 * endpoint without a spot market (moto answers 0.00001 for every type) can use a fixed
 * fraction of the on-demand price instead, so spot and on-demand compare sensibly.
 */
export type SpotPricing = 'describe-spot-price-history' | { readonly fractionOfOnDemand: number };

export class SpotPrices {
  private prices = new Map<string, number>();
  private fetchedAt = -Infinity;
  /** Bumped on every successful refresh, so derived catalogs know when to rebuild. */
  version = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly logger?: Logger,
  ) {}

  /** Spot price of a type in a zone (USD/h), refreshing when stale. */
  async table(): Promise<ReadonlyMap<string, number>> {
    if (this.clock.now() - this.fetchedAt >= this.ttlMs) {
      this.inflight ??= this.refresh().finally(() => (this.inflight = undefined));
      await this.inflight;
    }
    return this.prices;
  }

  /** The last fetched prices without refreshing (for pricing instances already running). */
  cached(): ReadonlyMap<string, number> {
    return this.prices;
  }

  static key(instanceType: string, zone: string): string {
    return `${instanceType}/${zone}`;
  }

  private async refresh(): Promise<void> {
    try {
      const newest = new Map<string, SpotPrice>();
      let token: string | undefined;
      do {
        const page = await this.calls.run('DescribeSpotPriceHistory', () =>
          this.ec2.send(
            new DescribeSpotPriceHistoryCommand({
              StartTime: new Date(this.clock.now()),
              ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
              MaxResults: 1000,
              NextToken: token,
            }),
          ),
        );
        for (const p of page.SpotPriceHistory ?? []) {
          if (!p.InstanceType || !p.AvailabilityZone || !p.SpotPrice) continue;
          const k = SpotPrices.key(p.InstanceType, p.AvailabilityZone);
          const seen = newest.get(k);
          if (!seen || (p.Timestamp?.getTime() ?? 0) > (seen.Timestamp?.getTime() ?? 0)) newest.set(k, p);
        }
        token = page.NextToken || undefined;
      } while (token);
      const prices = new Map<string, number>();
      for (const [k, p] of newest) {
        const price = Number(p.SpotPrice);
        if (Number.isFinite(price) && price > 0) prices.set(k, price);
      }
      this.prices = prices;
      this.fetchedAt = this.clock.now();
      this.version += 1;
    } catch (err) {
      // Keep the last prices; try again at the next call rather than at once in a loop.
      this.fetchedAt = this.clock.now() - this.ttlMs + Math.min(this.ttlMs, 30_000);
      if (this.prices.size === 0) throw err;
      this.logger?.warn('spot price refresh failed; using the last prices', { error: errorMessage(err) });
    }
  }
}
