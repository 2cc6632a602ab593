// Gauge series kept per object and written only when they change. A controller that reset a
// gauge and set every series again on each pass (Karpenter's pod and node state gauges: one
// series per pod, per node and resource) spent most of a pass hashing label sets at 100,000
// pods; here each object's series are compared by a signature and left alone when unchanged,
// and an object's series are removed when the object is gone, so none is left behind. Two
// objects may hold the same series (a pod recreated under its name before the old one's
// delete was seen): a series is removed only when no object holds it any more.

import type { Gauge } from 'prom-client';

export type SeriesLabels = Readonly<Record<string, string>>;

export interface Series {
  readonly labels: SeriesLabels;
  readonly value: number;
}

interface Held {
  readonly version: string | undefined;
  readonly signature: string;
  readonly series: readonly Series[];
  readonly labelKeys: readonly string[];
}

function labelKey(labels: SeriesLabels): string {
  let s = '';
  for (const k in labels) s += `${labels[k]}\u0000`;
  return s;
}

export class GaugeSeries {
  private readonly held = new Map<string, Held>();
  /** How many objects hold each series (by its label values). */
  private readonly holders = new Map<string, number>();
  private seen = new Set<string>();

  /** `gauge`'s label names must come in one fixed order in every series put. */
  constructor(private readonly gauge: Gauge) {}

  /** Starts a pass: objects not `put` again before `endPass` lose their series. */
  beginPass(): void {
    this.seen = new Set();
  }

  /**
   * The series of the object `key` on this pass, built by `build` unless the object is at
   * the `version` it was last put at (e.g. its resourceVersion and those it reads labels
   * from): then nothing is built, compared or written.
   */
  put(key: string, version: string | undefined, build: () => readonly Series[]): void {
    this.seen.add(key);
    const before = this.held.get(key);
    if (version !== undefined && before?.version === version) return;
    const series = build();
    const labelKeys = series.map((s) => labelKey(s.labels));
    let signature = '';
    for (let i = 0; i < series.length; i++) signature += `${labelKeys[i]}${series[i]!.value}\u0001`;
    if (before?.signature === signature) {
      this.held.set(key, { ...before, version });
      return;
    }
    if (before) this.release(before);
    for (let i = 0; i < series.length; i++) {
      this.holders.set(labelKeys[i]!, (this.holders.get(labelKeys[i]!) ?? 0) + 1);
      this.gauge.set(series[i]!.labels, series[i]!.value);
    }
    this.held.set(key, { version, signature, series, labelKeys });
  }

  /** Removes the series of every object not put on this pass. */
  endPass(): void {
    for (const [key, h] of this.held) {
      if (this.seen.has(key)) continue;
      this.release(h);
      this.held.delete(key);
    }
  }

  private release(h: Held): void {
    for (let i = 0; i < h.series.length; i++) {
      const k = h.labelKeys[i]!;
      const n = (this.holders.get(k) ?? 1) - 1;
      if (n > 0) {
        this.holders.set(k, n);
        continue;
      }
      this.holders.delete(k);
      this.gauge.remove(h.series[i]!.labels);
    }
  }
}
