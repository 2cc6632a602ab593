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
      const types = await this.cloud.getInstanceTypes(nodeClass);
      e = { key, fetchedAt: now, types, filtered: undefined, filteredVersion: '' };
      this.entries.set(name, e);
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

  /** The last fetched catalog of a class without fetching (for pricing existing nodes). */
  cached(nodeClassName: string): readonly InstanceType[] | undefined {
    return this.entries.get(nodeClassName)?.types;
  }
}
