// The controller manager: one event loop over a Clock. Each controller reconciles at
// most once at a time; events arriving meanwhile mark it dirty so it runs again after.
// Errors are logged and retried with exponential backoff; they never stop the loop.

import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Cluster } from '../ports/cluster.ts';
import type { IntentSource } from '../ports/intent.ts';
import type { Logger } from '../observability/log.ts';
import type { ReconcilerMetrics } from '../observability/metrics.ts';
import { backoffMs } from './backoff.ts';
import type { Controller } from './controller.ts';

interface Slot {
  readonly controller: Controller;
  running: boolean;
  dirty: boolean;
  timer: TimerHandle | undefined;
  timerAt: number;
  failures: number;
  idle: Promise<void>;
  markIdle: () => void;
}

export interface ManagerDeps {
  readonly clock: Clock;
  readonly cluster: Cluster;
  readonly intent: IntentSource;
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
}

export class ControllerManager {
  private readonly slots: Slot[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = true;

  constructor(private readonly deps: ManagerDeps) {}

  register(...controllers: Controller[]): this {
    for (const controller of controllers) {
      this.slots.push({
        controller,
        running: false,
        dirty: false,
        timer: undefined,
        timerAt: Infinity,
        failures: 0,
        idle: Promise.resolve(),
        markIdle: () => {},
      });
    }
    return this;
  }

  /** Waits for the caches, subscribes to changes and runs every controller once. */
  async start(): Promise<void> {
    await this.deps.cluster.waitForSync();
    this.stopped = false;
    this.unsubscribe.push(
      this.deps.cluster.watch((event) => {
        for (const slot of this.slots) {
          const c = slot.controller;
          c.onEvent?.(event, (ms) => this.wake(slot, ms ?? 0));
          if (c.watches?.includes(event.kind)) this.wake(slot, 0);
        }
      }),
      this.deps.intent.subscribe((event) => {
        for (const slot of this.slots) slot.controller.onIntent?.(event, (ms) => this.wake(slot, ms ?? 0));
      }),
    );
    for (const slot of this.slots) this.wake(slot, 0);
  }

  /** Stops waking controllers and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    for (const slot of this.slots) {
      slot.timer?.cancel();
      slot.timer = undefined;
    }
    await Promise.all(this.slots.map((s) => s.idle));
  }

  private wake(slot: Slot, delayMs: number): void {
    if (this.stopped) return;
    if (slot.running && delayMs <= 0) {
      slot.dirty = true;
      return;
    }
    const at = this.deps.clock.now() + Math.max(0, delayMs);
    if (slot.timer && slot.timerAt <= at) return;
    slot.timer?.cancel();
    slot.timerAt = at;
    slot.timer = this.deps.clock.setTimer(Math.max(0, delayMs), () => {
      slot.timer = undefined;
      slot.timerAt = Infinity;
      void this.run(slot);
    });
  }

  private async run(slot: Slot): Promise<void> {
    if (this.stopped) return;
    if (slot.running) {
      slot.dirty = true;
      return;
    }
    slot.running = true;
    slot.dirty = false;
    slot.idle = new Promise((resolve) => (slot.markIdle = resolve));
    const name = slot.controller.name;
    const started = performance.now();
    let requeueAfterMs: number | undefined;
    try {
      const result = await slot.controller.reconcile();
      requeueAfterMs = result?.requeueAfterMs;
      slot.failures = 0;
    } catch (err) {
      slot.failures += 1;
      this.deps.metrics.reconcileErrors.inc({ controller: name });
      requeueAfterMs = backoffMs(slot.failures);
      this.deps.logger.error('reconcile failed; retrying with backoff', {
        controller: name,
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack?.split('\n').slice(0, 4).join(' | ') : undefined,
        retryInMs: requeueAfterMs,
      });
    } finally {
      this.deps.metrics.reconcileSeconds.observe({ controller: name }, (performance.now() - started) / 1000);
      slot.running = false;
      slot.markIdle();
    }
    if (slot.dirty) this.wake(slot, 0);
    if (requeueAfterMs !== undefined) this.wake(slot, requeueAfterMs);
  }
}
