// The instance catalog of each EC2NodeClass, fetched through the CloudProvider and
// cached for a while (the AWS adapter's calls are slow and rate limited), with recently
// short offerings marked unavailable.

import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { canonicalJson } from '../../core/canonical.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { UnavailableOfferings } from './unavailable-offerings.ts';

const DEFAULT_CATALOG_TTL_MS = 5 * 60_000;

interface Entry {
  key: string;
  fetchedAt: number;
  types: readonly InstanceType[];
  filtered: readonly InstanceType[] | undefined;
  filteredVersion: string;
}

export class InstanceTypeCatalog {
  private readonly entries = new Map<string, Entry>();
  /** Fetches under way, per class: a second caller (a warm-up and a batch) shares the first's call. */
  private readonly fetching = new Map<string, { key: string; promise: Promise<readonly InstanceType[]> }>();

  constructor(
    private readonly clock: Clock,
    private readonly cloud: CloudProvider,
    private readonly unavailable: UnavailableOfferings,
    private readonly ttlMs = DEFAULT_CATALOG_TTL_MS,
  ) {}

  /** Instance types of the class with unavailable offerings marked. */
  async forNodeClass(nodeClass: EC2NodeClass): Promise<readonly InstanceType[]> {
    const name = nodeClass.metadata.name ?? '';
    const key = canonicalJson(nodeClass.spec ?? {});
    let e = this.entries.get(name);
    const now = this.clock.now();
    if (!e || e.key !== key || now - e.fetchedAt >= this.ttlMs) {
      let f = this.fetching.get(name);
      if (!f || f.key !== key) {
        const promise = this.cloud.getInstanceTypes(nodeClass);
        f = { key, promise };
        this.fetching.set(name, f);
        const done = () => {
          if (this.fetching.get(name) === f) this.fetching.delete(name);
        };
        promise.then(done, done);
      }
      const types = await f.promise;
      e = this.entries.get(name);
      if (!e || e.key !== key || e.types !== types) {
        e = { key, fetchedAt: now, types, filtered: undefined, filteredVersion: '' };
        this.entries.set(name, e);
      }
    }
    const nextExpiry = this.unavailable.nextExpiry();
    if (nextExpiry === undefined) return e.types;
    // Marks change the version; expiries change the next expiry.
    const version = `${this.unavailable.version}:${nextExpiry}`;
    if (!e.filtered || e.filteredVersion !== version) {
      e.filtered = this.unavailable.apply(e.types);
      e.filteredVersion = version;
    }
    return e.filtered;
  }

  /**
   * The launches a capacity reservation still takes now (the provider's live count, not the
   * catalog's, which may be minutes old); undefined when the provider does not know it.
   */
  reservationFree(id: string): number | undefined {
    return this.cloud.reservationFree?.(id);
  }

  /** The last fetched catalog of a class without fetching (for pricing existing nodes). */
  cached(nodeClassName: string): readonly InstanceType[] | undefined {
    return this.entries.get(nodeClassName)?.types;
  }
}
