// Disruption budgets as Karpenter v1 defines them on a NodePool: each budget caps the
// nodes that may be voluntarily disrupted at once, as a count or a percentage of the
// pool, optionally only for some reasons and only inside a cron-scheduled window.
// Several budgets combine by taking the most restrictive active one.

import { isWindowActive, parseCron, type CronSchedule } from './cron.ts';
import { parseDuration } from './duration.ts';
import type { DisruptionReason } from '../contract/disruption.ts';

/** The shape of `spec.disruption.budgets[]` on a Karpenter v1 NodePool. */
export interface BudgetSpec {
  nodes?: string;
  reasons?: readonly string[];
  schedule?: string;
  duration?: string;
}

/** Karpenter's default when a NodePool lists no budgets. */
const DEFAULT_BUDGETS: readonly BudgetSpec[] = [{ nodes: '10%' }];

export interface ParsedBudget {
  readonly index: number;
  readonly nodes: { readonly count: number } | { readonly percent: number };
  readonly reasons: ReadonlySet<string> | undefined;
  readonly window: { readonly schedule: CronSchedule; readonly durationMs: number } | undefined;
  readonly source: BudgetSpec;
}

export class BudgetError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'BudgetError';
  }
}

/** Parses budgets; errors name the field (`spec.disruption.budgets[i].nodes`, ...). */
export function parseBudgets(specs: readonly BudgetSpec[] | undefined): ParsedBudget[] {
  const list = specs && specs.length > 0 ? specs : DEFAULT_BUDGETS;
  return list.map((b, index) => {
    const field = `spec.disruption.budgets[${index}]`;
    const nodesText = (b.nodes ?? '10%').trim();
    let nodes: ParsedBudget['nodes'];
    const pct = /^(\d+)%$/.exec(nodesText);
    if (pct) {
      const percent = Number(pct[1]);
      if (percent > 100) throw new BudgetError(`${field}.nodes`, `"${nodesText}" exceeds 100%`);
      nodes = { percent };
    } else if (/^\d+$/.test(nodesText)) {
      nodes = { count: Number(nodesText) };
    } else {
      throw new BudgetError(`${field}.nodes`, `"${nodesText}" must be a non-negative integer or a percentage like "10%"`);
    }
    if ((b.schedule === undefined) !== (b.duration === undefined)) {
      throw new BudgetError(field, 'schedule and duration must be set together');
    }
    let window: ParsedBudget['window'];
    if (b.schedule !== undefined && b.duration !== undefined) {
      let schedule: CronSchedule;
      try {
        schedule = parseCron(b.schedule);
      } catch (e) {
        throw new BudgetError(`${field}.schedule`, (e as Error).message);
      }
      let durationMs: number;
      try {
        durationMs = parseDuration(b.duration);
      } catch (e) {
        throw new BudgetError(`${field}.duration`, (e as Error).message);
      }
      window = { schedule, durationMs };
    }
    return {
      index,
      nodes,
      reasons: b.reasons && b.reasons.length > 0 ? new Set(b.reasons) : undefined,
      window,
      source: b,
    };
  });
}

/** Whether the budget is in force at `atMs`: always without a schedule, else inside its window. */
function budgetActive(b: ParsedBudget, atMs: number): boolean {
  return b.window === undefined || isWindowActive(b.window.schedule, b.window.durationMs, atMs);
}

/** The budget's node cap for a pool of `totalNodes`; percentages round up, as Karpenter's do. */
export function budgetCap(b: ParsedBudget, totalNodes: number): number {
  return 'count' in b.nodes ? b.nodes.count : Math.ceil((b.nodes.percent * totalNodes) / 100);
}

export interface AllowedDisruptions {
  /** How many more nodes may start disrupting now for this reason (never negative). */
  readonly allowed: number;
  /** The budget that set the limit, when one did. */
  readonly limitingBudget: ParsedBudget | undefined;
  /** The cap before subtracting nodes already disrupting. */
  readonly cap: number;
}

/**
 * Nodes that may start disrupting for `reason` at `atMs`, given the pool's node count and
 * the nodes already disrupting (deleting, marked for disruption or not ready) in it.
 */
export function allowedDisruptions(
  budgets: readonly ParsedBudget[],
  reason: DisruptionReason,
  totalNodes: number,
  disruptingNodes: number,
  atMs: number,
): AllowedDisruptions {
  let cap = Number.POSITIVE_INFINITY;
  let limitingBudget: ParsedBudget | undefined;
  for (const b of budgets) {
    if (b.reasons && !b.reasons.has(reason)) continue;
    if (!budgetActive(b, atMs)) continue;
    const c = budgetCap(b, totalNodes);
    if (c < cap) {
      cap = c;
      limitingBudget = b;
    }
  }
  if (!Number.isFinite(cap)) cap = totalNodes;
  return { allowed: Math.max(0, cap - disruptingNodes), limitingBudget, cap };
}

/**
 * The removal rate: the nodes of a NodePool removed from the intent (or being deleted)
 * leave at most this share of the pool at a time, rounded up (at least one while any is
 * left), as Karpenter's default budget; the pool's own budgets are gone with it. Read by
 * the reconciler's removal method and by `joinery plan`, which states it.
 */
export const REMOVAL_BUDGET = { nodes: '10%' } as const;
