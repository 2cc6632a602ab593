// The launches of one lifecycle pass: at most `concurrency` run at once, claims can join
// while the pass runs, and a claim is launched at most once per pass (a claim added again,
// by the pass's scan and its ADDED event, is ignored). `drained()` resolves when every
// claim added has been launched or has failed; the pass waits for it.

import type { NodeClaim } from '../../../core/api/karpenter.ts';

export class LaunchQueue {
  private readonly seen = new Set<string>();
  private readonly waiting: NodeClaim[] = [];
  private running = 0;
  private idle: (() => void) | undefined;
  private idlePromise: Promise<void> | undefined;

  constructor(
    private readonly concurrency: number,
    /** Launches one claim; never rejects (the driver catches and backs off per claim). */
    private readonly launchOne: (claim: NodeClaim) => Promise<void>,
  ) {}

  add(claim: NodeClaim): void {
    const name = claim.metadata.name!;
    if (this.seen.has(name)) return;
    this.seen.add(name);
    this.waiting.push(claim);
    this.pump();
  }

  /** Resolves when nothing is waiting or running. */
  drained(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    this.idlePromise ??= new Promise((resolve) => (this.idle = resolve));
    return this.idlePromise;
  }

  private pump(): void {
    while (this.running < Math.max(1, this.concurrency) && this.waiting.length > 0) {
      const claim = this.waiting.shift()!;
      this.running += 1;
      void this.launchOne(claim)
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) {
            this.idle?.();
            this.idle = undefined;
            this.idlePromise = undefined;
          }
        });
    }
  }
}
