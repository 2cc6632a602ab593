// The end-of-run summary of a simulation, as numbers (for tests and --json) and as the
// lines the CLI prints.

import type { SimulationResult } from './runner.ts';
import type { Incident } from './incidents.ts';

/** Spot interruptions and NotReady nodes over the run, and what they cost the pods. */
export interface IncidentSummary {
  readonly spotInterruptions: number;
  /** Interrupted nodes the reconciler cordoned, replaced and deleted on the warning. */
  readonly interruptionsHandled: number;
  /** Replacement NodeClaims launched on the warnings. */
  readonly replacementsLaunched: number;
  /** Instances EC2 reclaimed at the end of the notice (the others were terminated by the reconciler first). */
  readonly reclaimedByEc2: number;
  readonly nodesNotReady: number;
  readonly nodesRepaired: number;
  readonly podsRescheduled: number;
  readonly podsNotRescheduled: number;
  /** Pod-minutes the displaced pods spent not running, from stopping to their successor bound. */
  readonly lostPodMinutes: number;
  readonly list: readonly (Omit<Incident, 'handledBy'> & { readonly handledBy: string | undefined })[];
}

function incidentSummary(list: readonly Incident[]): IncidentSummary {
  const spot = list.filter((i) => i.kind === 'spot-interruption');
  const notReady = list.filter((i) => i.kind === 'not-ready');
  const sum = (f: (i: Incident) => number) => list.reduce((a, i) => a + f(i), 0);
  return {
    spotInterruptions: spot.length,
    interruptionsHandled: spot.filter((i) => i.handledAt !== undefined).length,
    replacementsLaunched: spot.reduce((a, i) => a + i.replacements.length, 0),
    reclaimedByEc2: spot.filter((i) => i.reclaimedAt !== undefined).length,
    nodesNotReady: notReady.length,
    nodesRepaired: notReady.filter((i) => i.handledAt !== undefined).length,
    podsRescheduled: sum((i) => i.podsRescheduled),
    podsNotRescheduled: sum((i) => i.podsNotRescheduled),
    lostPodMinutes: Math.round(sum((i) => i.lostPodMinutes) * 10) / 10,
    list: list.map((i) => ({ ...i, lostPodMinutes: Math.round(i.lostPodMinutes * 10) / 10 })),
  };
}

export interface SimulationSummary {
  readonly scenario: string;
  readonly virtualHours: number;
  readonly wallSeconds: number;
  readonly launchedByPool: Readonly<Record<string, number>>;
  readonly removedByReason: Readonly<Record<string, number>>;
  readonly podHoursPending: number;
  readonly stillPending: number;
  readonly timeToBind: { readonly p50s: number; readonly p95s: number; readonly maxs: number };
  readonly totalCost: number;
  readonly costByPool: Readonly<Record<string, number>>;
  /** Integral of the LP bound over the run, USD: the least any fleet could have cost. */
  readonly lowerBoundCost: number;
  /** Integral of the pool-aware bound (each pod only on the pools it may use), USD. */
  readonly poolAwareBoundCost: number;
  readonly hourly: readonly { readonly t: number; readonly nodes: number; readonly costPerHour: number; readonly lowerBound: number; readonly pending: number }[];
  readonly rollouts: SimulationResult['rollouts'];
  readonly commits: SimulationResult['commits'];
  readonly decisionsByAction: Readonly<Record<string, number>>;
  /** Nodes launched (instances that came up), all pools together. */
  readonly launches: number;
  /**
   * Pods moved by voluntary disruption (consolidation, drift, expiration, emptiness), as
   * each disruption decision counted them when it was taken, by method.
   */
  readonly evictionsByMethod: Readonly<Record<string, number>>;
  /** The same, all methods together, per hour of the run (index 0: the first hour). */
  readonly evictionsByHour: readonly number[];
  readonly skipsByReason: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly stillDraining: SimulationResult['stillDraining'];
  readonly incidents: IncidentSummary;
}

/** Disruption methods that move pods by choice (not interruption, repair or a removed pool). */
const VOLUNTARY = new Set(['consolidation', 'drift', 'expiration', 'emptiness']);

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function summarize(r: SimulationResult): SimulationSummary {
  const launchedByPool: Record<string, number> = {};
  const removedByReason: Record<string, number> = {};
  const decisionsByAction: Record<string, number> = {};
  const skipsByReason: Record<string, number> = {};
  for (const d of r.decisions) {
    decisionsByAction[d.action] = (decisionsByAction[d.action] ?? 0) + 1;
    if (d.action === 'launched') launchedByPool[d.nodePool ?? '?'] = (launchedByPool[d.nodePool ?? '?'] ?? 0) + 1;
    if (d.action === 'terminated') removedByReason[d.reason] = (removedByReason[d.reason] ?? 0) + 1;
    if (d.action === 'skip') skipsByReason[d.reason] = (skipsByReason[d.reason] ?? 0) + 1;
  }
  const evictionsByMethod: Record<string, number> = {};
  const evictionsByHour: number[] = Array.from({ length: Math.max(1, Math.ceil(r.scenario.durationMs / 3_600_000)) }, () => 0);
  for (const d of r.decisions) {
    if (d.controller !== 'disruption' || (d.action !== 'delete' && d.action !== 'replace')) continue;
    const method = String(d.details?.method ?? '');
    if (!VOLUNTARY.has(method)) continue;
    const pods = Number(d.details?.pods ?? 0);
    evictionsByMethod[method] = (evictionsByMethod[method] ?? 0) + pods;
    const h = Math.min(evictionsByHour.length - 1, Math.max(0, Math.floor((d.time - r.scenario.startMs) / 3_600_000)));
    evictionsByHour[h]! += pods;
  }
  const ttb = [...r.timeToBindMs].sort((a, b) => a - b);
  let lowerBoundCost = 0;
  let poolAwareBoundCost = 0;
  for (let i = 1; i < r.samples.length; i++) {
    const a = r.samples[i - 1]!;
    const b = r.samples[i]!;
    lowerBoundCost += (a.lowerBound * (b.t - a.t)) / 3_600_000;
    poolAwareBoundCost += (a.poolAwareBound * (b.t - a.t)) / 3_600_000;
  }
  const start = r.scenario.startMs;
  // The first sample at or after each hour, labelled with the hour.
  const hourly: SimulationSummary['hourly'][number][] = [];
  for (let h = 0; h * 3_600_000 <= r.scenario.durationMs; h++) {
    const t = start + h * 3_600_000;
    const s = r.samples.find((x) => x.t >= t);
    if (s) hourly.push({ t, nodes: s.totalNodes, costPerHour: s.totalCost, lowerBound: s.lowerBound, pending: s.pending });
  }
  return {
    scenario: r.scenario.name,
    virtualHours: r.scenario.durationMs / 3_600_000,
    wallSeconds: r.wallMs / 1000,
    launchedByPool,
    removedByReason,
    podHoursPending: r.podHoursPending,
    stillPending: r.stillPending,
    timeToBind: { p50s: percentile(ttb, 0.5) / 1000, p95s: percentile(ttb, 0.95) / 1000, maxs: (ttb[ttb.length - 1] ?? 0) / 1000 },
    totalCost: r.totalCost,
    costByPool: r.costByPool,
    lowerBoundCost,
    poolAwareBoundCost,
    hourly,
    rollouts: r.rollouts,
    commits: r.commits,
    decisionsByAction,
    launches: Object.values(launchedByPool).reduce((a, b) => a + b, 0),
    evictionsByMethod,
    evictionsByHour,
    skipsByReason,
    errors: r.errors.length,
    stillDraining: r.stillDraining,
    incidents: incidentSummary(r.incidents),
  };
}

const money = (n: number) => `$${n.toFixed(2)}`;
const hhmm = (t: number, start: number) => {
  const m = Math.round((t - start) / 60_000);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

function entries(o: Readonly<Record<string, number>>): string {
  const e = Object.entries(o).sort((a, b) => b[1] - a[1]);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function formatSummary(s: SimulationSummary, start: number): string[] {
  const launched = Object.values(s.launchedByPool).reduce((a, b) => a + b, 0);
  const removed = Object.values(s.removedByReason).reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  lines.push(`Summary: ${s.scenario}, ${s.virtualHours}h simulated in ${s.wallSeconds.toFixed(1)} s`);
  for (const c of s.commits) {
    lines.push(`  ${hhmm(c.t, start)}  commit ${c.commit.slice(0, 12)} ${c.accepted ? 'accepted' : 'REJECTED'}: ${c.message}${c.problems ? ` (${c.problems[0]})` : ''}`);
  }
  lines.push(`  nodes launched   ${launched}: ${entries(s.launchedByPool)}`);
  lines.push(`  nodes removed    ${removed}: ${entries(s.removedByReason)}`);
  const moved = Object.values(s.evictionsByMethod).reduce((a, b) => a + b, 0);
  lines.push(`  pods moved       ${moved} by voluntary disruption: ${entries(s.evictionsByMethod)}; busiest hour ${Math.max(0, ...s.evictionsByHour)}`);
  lines.push(
    `  pods pending     ${s.podHoursPending.toFixed(2)} pod-hours in all; time to a node p50 ${s.timeToBind.p50s.toFixed(0)} s, p95 ${s.timeToBind.p95s.toFixed(0)} s, max ${s.timeToBind.maxs.toFixed(0)} s; ${s.stillPending} still pending at the end`,
  );
  if (s.stillDraining.length > 0) {
    const byReason = new Map<string, number>();
    for (const d of s.stillDraining) byReason.set(d.blockedBy, (byReason.get(d.blockedBy) ?? 0) + 1);
    lines.push(`  still draining   ${s.stillDraining.length}: ${[...byReason].map(([k, v]) => `${v} held by ${k}`).join('; ')}`);
  }
  lines.push(...formatIncidents(s.incidents, start));
  for (const r of s.rollouts) {
    lines.push(`  drift rollout    ${r.nodePool}: ${r.replaced} node(s) replaced, at most ${r.maxConcurrent} at once (budget allowed ${r.capAtMax}); ${r.violations === 0 ? 'never over budget' : `${r.violations} time(s) OVER BUDGET`}`);
  }
  const ratio = s.lowerBoundCost > 0 ? s.totalCost / s.lowerBoundCost : 0;
  lines.push(`  total cost       ${money(s.totalCost)} (${entries(Object.fromEntries(Object.entries(s.costByPool).map(([k, v]) => [k, Math.round(v * 100) / 100])))})`);
  lines.push(`  LP lower bound   ${money(s.lowerBoundCost)} for the same pods over the day; cost / bound ${ratio.toFixed(2)}`);
  const poolRatio = s.poolAwareBoundCost > 0 ? s.totalCost / s.poolAwareBoundCost : 0;
  lines.push(`  pool-aware bound ${money(s.poolAwareBoundCost)} (each pod only on the pools it may use); cost / pool-aware bound ${poolRatio.toFixed(2)}`);
  lines.push('  $/h over time:');
  lines.push('    time    nodes      $/h   LP bound   ratio   pending');
  for (const h of s.hourly.filter((_, i) => i % 2 === 0)) {
    const r = h.lowerBound > 0 ? (h.costPerHour / h.lowerBound).toFixed(2) : '   -';
    lines.push(`    ${hhmm(h.t, start)}  ${String(h.nodes).padStart(5)}  ${h.costPerHour.toFixed(2).padStart(7)}  ${h.lowerBound.toFixed(2).padStart(9)}  ${r.padStart(6)}  ${String(h.pending).padStart(8)}`);
  }
  lines.push(`  decisions        ${entries(s.decisionsByAction)}`);
  if (Object.keys(s.skipsByReason).length > 0) lines.push(`  not disrupted    ${entries(s.skipsByReason)} (candidate checks; see the report)`);
  if (s.errors > 0) lines.push(`  reconcile errors ${s.errors} (see the log)`);
  return lines;
}

function formatIncidents(s: IncidentSummary, start: number): string[] {
  const lines: string[] = [];
  const kinds: [Incident['kind'], string][] = [['spot-interruption', 'interruptions'], ['not-ready', 'node repair']];
  for (const [kind, label] of kinds) {
    const list = s.list.filter((i) => i.kind === kind);
    if (list.length === 0) continue;
    const pods = list.reduce((a, i) => a + i.podsRescheduled, 0);
    const missing = list.reduce((a, i) => a + i.podsNotRescheduled, 0);
    const lost = list.reduce((a, i) => a + i.lostPodMinutes, 0);
    const head =
      kind === 'spot-interruption'
        ? `${list.length} spot warning(s): ${s.interruptionsHandled} handled (cordoned, ${s.replacementsLaunched} replacement(s) launched, drained), ${s.reclaimedByEc2} reclaimed by EC2 after the notice`
        : `${list.length} node(s) NotReady: ${s.nodesRepaired} repaired`;
    lines.push(`  ${label.padEnd(16)} ${head}; ${pods} pod(s) rescheduled${missing > 0 ? `, ${missing} not` : ''}, ${lost.toFixed(1)} pod-minutes of lost capacity`);
    for (const i of list) {
      const handled = i.handledAt !== undefined ? `${kind === 'spot-interruption' ? 'handled' : 'repaired'} at ${hhmm(i.handledAt, start)}` : 'NOT handled';
      lines.push(`    ${hhmm(i.t, start)}  ${i.nodeClaim} (${i.offering}${i.condition ? `, ${i.condition}` : ''}): ${handled}, ${i.podsRescheduled}/${i.podsOnNode} pod(s) rescheduled, ${i.lostPodMinutes.toFixed(1)} pod-min lost`);
    }
  }
  return lines;
}
