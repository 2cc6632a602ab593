// The live timeline of `joinery simulate`: one line per decision (virtual time, action,
// pool, what and why) and, on a terminal, a progress bar for the virtual day kept on the
// last line. Off a terminal, a progress line every few virtual hours instead.

import { virtualClock } from './clock.ts';
import type { DecisionRecord } from '../observability/decisions.ts';
import type { FleetSample } from './recorder.ts';

export interface TimelineOptions {
  readonly start: number;
  readonly end: number;
  readonly write: (text: string) => void;
  readonly tty: boolean;
  readonly quiet: boolean;
  readonly showSkips: boolean;
}

const BAR_WIDTH = 30;
const NON_TTY_PROGRESS_MS = 3 * 3_600_000;

/** Outcomes that are not decisions of their own (their decision was printed already). */
const QUIET_ACTIONS = new Set(['registered', 'initialized']);

export class TimelinePrinter {
  private lastSample: FleetSample | undefined;
  private barShown = false;
  private lastBarDraw = 0;
  private lastNonTty: number;
  private endPrinted = false;

  constructor(private readonly o: TimelineOptions) {
    this.lastNonTty = o.start;
  }

  private clock(t: number): string {
    return virtualClock(t, this.o.start);
  }

  decision(d: DecisionRecord): void {
    if (this.o.quiet || QUIET_ACTIONS.has(d.action)) return;
    if (d.action === 'skip' && !this.o.showSkips) return;
    const line = `${this.clock(d.time)}  ${d.action.padEnd(16)} ${(d.nodePool ?? '').padEnd(16)} ${d.message}`;
    this.clearBar();
    this.o.write(`${line}\n`);
    this.drawBar(d.time, true);
  }

  /** Something the scenario did (an operator action). */
  note(t: number, message: string): void {
    if (this.o.quiet) return;
    this.clearBar();
    this.o.write(`${this.clock(t)}  ${'scenario'.padEnd(16)} ${''.padEnd(16)} ${message}\n`);
    this.drawBar(t, true);
  }

  progress(now: number, sample: FleetSample | undefined): void {
    if (sample) this.lastSample = sample;
    if (this.o.quiet) return;
    if (!this.o.tty) {
      if (now - this.lastNonTty >= NON_TTY_PROGRESS_MS || (now >= this.o.end && !this.endPrinted)) {
        this.lastNonTty = now;
        if (now >= this.o.end) this.endPrinted = true;
        this.o.write(`${this.clock(now)}  -- ${this.status()}\n`);
      }
      return;
    }
    this.drawBar(now, false);
  }

  finish(): void {
    this.clearBar();
  }

  private status(): string {
    const s = this.lastSample;
    if (!s) return '';
    return `nodes ${s.totalNodes}  $${s.totalCost.toFixed(2)}/h (LP bound $${s.lowerBound.toFixed(2)}/h)  pods ${s.pods}  pending ${s.pending}`;
  }

  private drawBar(now: number, force: boolean): void {
    if (!this.o.tty || this.o.quiet) return;
    const wall = performance.now();
    if (!force && wall - this.lastBarDraw < 50) return;
    this.lastBarDraw = wall;
    const f = Math.min(1, Math.max(0, (now - this.o.start) / (this.o.end - this.o.start)));
    const filled = Math.round(f * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${this.clock(now).slice(0, 5)}  ${this.status()}`;
    this.o.write(`\r\x1b[K${bar}`);
    this.barShown = true;
  }

  private clearBar(): void {
    if (this.barShown) {
      this.o.write('\r\x1b[K');
      this.barShown = false;
    }
  }
}
