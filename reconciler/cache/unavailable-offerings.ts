// Offerings that recently failed with insufficient capacity, avoided for a while
// (3 minutes by default, as Karpenter's AWS provider does). A cache, not state: losing it
// on restart only means one more failed launch.

import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { Clock } from '../ports/clock.ts';
import { offeringKeyString, type OfferingKey } from '../ports/cloud.ts';

const DEFAULT_UNAVAILABLE_TTL_MS = 3 * 60_000;

export class UnavailableOfferings {
  private readonly until = new Map<string, number>();
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    /** How long a short offering is avoided (read by messages that say for how long). */
    readonly ttlMs = DEFAULT_UNAVAILABLE_TTL_MS,
  ) {}

  mark(offerings: readonly OfferingKey[]): void {
    const until = this.clock.now() + this.ttlMs;
    for (const o of offerings) this.until.set(offeringKeyString(o), until);
    this.generation += 1;
  }

  isUnavailable(o: OfferingKey): boolean {
    const until = this.until.get(offeringKeyString(o));
    if (until === undefined) return false;
    if (this.clock.now() >= until) {
      this.until.delete(offeringKeyString(o));
      return false;
    }
    return true;
  }

  /** Changes whenever an offering is marked, so callers can cache filtered catalogs. */
  get version(): number {
    return this.generation;
  }

  /** When the earliest mark expires (to re-solve then), or undefined when none is active. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    const now = this.clock.now();
    for (const [k, t] of this.until) {
      if (t <= now) this.until.delete(k);
      else if (min === undefined || t < min) min = t;
    }
    return min;
  }

  /** The catalog with recently short offerings marked unavailable. */
  apply(types: readonly InstanceType[]): InstanceType[] {
    if (this.nextExpiry() === undefined) return [...types];
    return types.map((t) => {
      let changed = false;
      const offerings = t.offerings.map((o) => {
        if (o.available && this.isUnavailable({ instanceType: t.name, zone: o.zone, capacityType: o.capacityType })) {
          changed = true;
          return { ...o, available: false };
        }
        return o;
      });
      return changed ? { ...t, offerings } : t;
    });
  }
}
