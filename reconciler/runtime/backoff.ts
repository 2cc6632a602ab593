// Exponential backoff after failed reconciles: 1 s doubling to 5 min. The manager backs
// off a whole controller with it; a controller that reconciles objects one by one backs
// off each object with KeyedBackoff, so one object's failure does not hold the others
// back (controller-runtime's per-item rate limiter, which Karpenter's controllers use).

import type { Clock } from '../ports/clock.ts';

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** The delay before the next try after `failures` failures in a row (failures >= 1). */
export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (failures - 1));
}

export class KeyedBackoff {
  private readonly entries = new Map<string, { failures: number; until: number }>();

  constructor(private readonly clock: Clock) {}

  /** How long `key` must still wait before it is tried again; 0 when it may be tried now. */
  waitMs(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.until - this.clock.now()) : 0;
  }

  /** Records a failure; returns the delay before `key` is tried again. */
  failed(key: string): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const delay = backoffMs(failures);
    this.entries.set(key, { failures, until: this.clock.now() + delay });
    return delay;
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets keys that are gone (deleted objects), so the map does not grow without bound. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const k of this.entries.keys()) if (!keys.has(k)) this.entries.delete(k);
  }
}
