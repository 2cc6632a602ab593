// The provisioning batching window, as Karpenter's: it opens at the first trigger and
// closes when no trigger has come for `idleMs`, or `maxMs` after it opened, whichever
// is sooner. Pure state over instants the caller passes in.

export interface BatchWindowOptions {
  readonly idleMs: number;
  readonly maxMs: number;
}
const DEFAULT_BATCH_WINDOW: BatchWindowOptions = { idleMs: 1_000, maxMs: 1_000 };

export class BatchWindow {
  private openedAt: number | undefined;
  private lastTriggerAt = 0;

  constructor(private readonly options: BatchWindowOptions = DEFAULT_BATCH_WINDOW) {}

  /** Records a trigger at `nowMs`; returns when the window will close. */
  trigger(nowMs: number): number {
    if (this.openedAt === undefined) this.openedAt = nowMs;
    this.lastTriggerAt = nowMs;
    return this.closesAt()!;
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** When the open window closes; undefined when none is open. */
  closesAt(): number | undefined {
    if (this.openedAt === undefined) return undefined;
    return Math.min(this.lastTriggerAt + this.options.idleMs, this.openedAt + this.options.maxMs);
  }

  /** True (and the window is reset) when an open window has closed by `nowMs`. */
  takeIfClosed(nowMs: number): boolean {
    const at = this.closesAt();
    if (at === undefined || nowMs < at) return false;
    this.openedAt = undefined;
    return true;
  }
}
