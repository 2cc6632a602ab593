// The work of one lifecycle pass, keyed by NodeClaim name (controller-runtime's workqueue
// in miniature): at most `concurrency` items run at once, items can join while the pass
// runs, and one key never runs twice at once. A key added while it waits is taken once
// (with the latest item); added while it runs, it runs again afterwards, unless the queue
// runs each key at most once (`once`: a launch is tried once per pass; its retry is the
// backoff's). `drained()` resolves when nothing waits or runs; the pass waits for it.

export class WorkQueue<T> {
  private readonly seen = new Set<string>();
  private readonly waiting = new Map<string, T>();
  private readonly running = new Set<string>();
  /** Keys added again while running, with their latest item: they run again. */
  private readonly again = new Map<string, T>();
  private idle: (() => void) | undefined;
  private idlePromise: Promise<void> | undefined;

  constructor(
    private readonly concurrency: number,
    /** Runs one item; never rejects (the driver catches and backs off per claim). */
    private readonly runOne: (item: T) => Promise<void>,
    private readonly options: { readonly once: boolean },
  ) {}

  add(key: string, item: T): void {
    if (this.options.once) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    if (this.running.has(key)) {
      if (!this.options.once) this.again.set(key, item);
      return;
    }
    this.waiting.set(key, item);
    this.pump();
  }

  isIdle(): boolean {
    return this.running.size === 0 && this.waiting.size === 0;
  }

  /** Resolves when nothing is waiting or running. */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    this.idlePromise ??= new Promise((resolve) => (this.idle = resolve));
    return this.idlePromise;
  }

  private pump(): void {
    for (const [key, item] of this.waiting) {
      if (this.running.size >= Math.max(1, this.concurrency)) return;
      if (this.running.has(key)) continue;
      this.waiting.delete(key);
      this.running.add(key);
      void this.runOne(item)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(key);
          const next = this.again.get(key);
          if (next !== undefined) {
            this.again.delete(key);
            this.waiting.set(key, next);
          }
          this.pump();
          if (this.isIdle()) {
            this.idle?.();
            this.idle = undefined;
            this.idlePromise = undefined;
          }
        });
    }
  }
}
