// The decision log: every decision the reconciler takes (launch, consolidate, expire,
// replace, skip ...) is one structured log line with its reason, and one increment of
// joinery_decisions_total. Listeners see the same records; the one listener today is the
// scenario runner (the simulator's report and its live timeline).

import type { Logger } from './log.ts';
import type { ReconcilerMetrics } from './metrics.ts';

type DecisionAction =
  | 'launch'
  | 'launch-failed'
  | 'launched'
  | 'min-values-relaxed'
  | 'registered'
  | 'initialized'
  | 'registration-timeout'
  | 'unschedulable'
  | 'limit-reached'
  | 'delete'
  | 'replace'
  | 'skip'
  | 'drain-blocked'
  | 'awaiting-volume-detachment'
  | 'released'
  | 'terminate'
  | 'terminated'
  | 'garbage-collect'
  | 'rollback'
  | 'intent-accepted'
  | 'intent-rejected'
  | 'record'
  | 'repair'
  | 'repair-blocked';

export interface Decision {
  readonly controller: string;
  readonly action: DecisionAction;
  /** A short, stable, low-cardinality code: 'pending-pods', 'underutilized', 'drifted', 'budget' ... */
  readonly reason: string;
  /** One human sentence: what and why, with the numbers that matter. */
  readonly message: string;
  readonly nodePool?: string;
  readonly nodeClaims?: readonly string[];
  readonly nodes?: readonly string[];
  /** Anything else worth a field (instance types, prices, pod counts ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface DecisionRecord extends Decision {
  readonly time: number;
}

export type DecisionListener = (record: DecisionRecord) => void;

export class DecisionLog {
  private readonly listeners = new Set<DecisionListener>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: ReconcilerMetrics,
    private readonly now: () => number,
  ) {}

  record(d: Decision): void {
    const record: DecisionRecord = { ...d, time: this.now() };
    this.metrics.decisions.inc({ controller: d.controller, decision: d.action, reason: d.reason });
    const level = d.action === 'launch-failed' || d.action === 'registration-timeout' || d.action === 'intent-rejected' ? 'warn' : 'info';
    this.logger[level](d.message, {
      decision: d.action,
      reason: d.reason,
      controller: d.controller,
      ...(d.nodePool !== undefined ? { nodePool: d.nodePool } : {}),
      ...(d.nodeClaims !== undefined ? { nodeClaims: d.nodeClaims } : {}),
      ...(d.nodes !== undefined ? { nodes: d.nodes } : {}),
      ...d.details,
    });
    for (const l of this.listeners) l(record);
  }

  subscribe(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
