// A virtual Clock for the simulator and tests: time stands still while work is in
// progress and jumps straight to the next timer when everything is idle, so a simulated
// day runs in seconds. "Idle" means the microtask queue has drained: the simulator's
// adapters are in-memory, so every awaited call settles without real I/O.

import type { Clock, TimerHandle } from '../../ports/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary min-heap of timers ordered by (at, seq), so equal times fire in creation order. */
class TimerHeap {
  private readonly items: Timer[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Timer | undefined {
    return this.items[0];
  }
  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  private less(x: Timer, y: Timer): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new TimerHeap();

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        handle.cancel();
        reject(signal?.reason);
      };
      const handle = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Lets every pending promise chain run to completion without advancing time. */
  async settle(): Promise<void> {
    await settle();
    await settle();
  }

  /**
   * Advances virtual time to `endMs`, firing every timer due on the way in order and
   * letting the work each one starts settle before the next. `onAdvance` is called
   * whenever time moves (for progress reporting and sampling).
   */
  async runUntil(endMs: number, onAdvance?: (nowMs: number) => void): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.timers.peek();
      if (!next || next.at > endMs) break;
      this.timers.pop();
      if (next.cancelled) continue;
      if (next.at > this.t) {
        this.t = next.at;
        onAdvance?.(this.t);
      }
      next.fn();
    }
    if (endMs > this.t) {
      this.t = endMs;
      onAdvance?.(this.t);
    }
    await this.settle();
  }

  /** Advances by `ms` (see runUntil). */
  advance(ms: number, onAdvance?: (nowMs: number) => void): Promise<void> {
    return this.runUntil(this.t + ms, onAdvance);
  }

  /** Timers still scheduled (cancelled ones excluded lazily). */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
