// Coalesces concurrent single-item EC2 lookups into one call, as Karpenter's AWS provider
// batches DescribeInstances: requests arriving within `windowMs` of each other (at most
// `maxItems`) share one request. A burst of launches then costs one idempotency lookup,
// not one per NodeClaim, against a rate-limited API.

import type { Clock } from '../../ports/clock.ts';

interface Waiter<R> {
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<K, R> {
  private pending = new Map<K, Waiter<R>[]>();
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly run: (keys: K[]) => Promise<Map<K, R>>,
    private readonly fallback: R,
    private readonly windowMs = 5,
    private readonly maxItems = 100,
  ) {}

  get(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiters = this.pending.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(key, waiters);
      if (this.pending.size >= this.maxItems) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        this.clock.setTimer(this.windowMs, () => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.run([...batch.keys()]).then(
      (results) => {
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(results.get(key) ?? this.fallback);
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
