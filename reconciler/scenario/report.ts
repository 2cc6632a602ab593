// report.html: one self-contained file (inline SVG and CSS, no external assets) with the
// fleet over the day by NodePool and capacity type (nodes, and $/h against the LP lower
// bound), pending pods, the summary, the commits, and the full decision log in time order
// (times to the second, as the live timeline prints them).

import type { SimulationResult } from './runner.ts';
import type { SimulationSummary } from './summary.ts';
import type { FleetSample } from './recorder.ts';
import { incidentSummaryRows, incidentsSection } from './report-incidents.ts';
import { virtualClock } from './clock.ts';

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** HH:MM of an instant on a whole minute (the chart's hour labels). */
function hhmm(t: number, start: number): string {
  return virtualClock(t, start).slice(0, 5);
}

/**
 * Y-axis ticks on round values: a step of 1, 2, 2.5 or 5 x 10^n giving at most `count`
 * intervals, from 0 to the first tick at or above `max`.
 */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough - 1e-12 * pow)!;
  const n = Math.ceil(max / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function tickLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

interface ChartSpec {
  readonly title: string;
  readonly samples: readonly FleetSample[];
  readonly keys: readonly string[];
  readonly value: (s: FleetSample, key: string) => number;
  readonly line?: { readonly label: string; readonly value: (s: FleetSample) => number };
  readonly unit: string;
  readonly start: number;
}

/** A stacked area chart (one band per pool|capacity type), optionally with a reference line. */
function stackedChart(c: ChartSpec): string {
  const W = 900;
  const H = 260;
  const L = 50;
  const B = 30;
  const T = 10;
  const samples = c.samples;
  if (samples.length < 2) return '<p>not enough samples</p>';
  const t0 = samples[0]!.t;
  const t1 = samples[samples.length - 1]!.t;
  const totals = samples.map((s) => c.keys.reduce((a, k) => a + c.value(s, k), 0));
  const lineMax = c.line ? Math.max(...samples.map(c.line.value)) : 0;
  const ticks = niceTicks(Math.max(...totals, lineMax));
  const max = ticks[ticks.length - 1]!;
  const R = 30; // room for the last hour label, centred on the right edge of the plot
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v: number) => T + (1 - v / max) * (H - T - B);
  const parts: string[] = [];
  const base = samples.map(() => 0);
  c.keys.forEach((k, i) => {
    const top = samples.map((s, j) => base[j]! + c.value(s, k));
    const pts = [
      ...samples.map((s, j) => `${x(s.t).toFixed(1)},${y(top[j]!).toFixed(1)}`),
      ...samples.map((s, j) => `${x(s.t).toFixed(1)},${y(base[j]!).toFixed(1)}`).reverse(),
    ];
    parts.push(`<polygon points="${pts.join(' ')}" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.85"><title>${esc(k)}</title></polygon>`);
    top.forEach((v, j) => (base[j] = v));
  });
  if (c.line) {
    const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(c.line!.value(s)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="#222" stroke-width="1.5" stroke-dasharray="5,3"><title>${esc(c.line.label)}</title></polyline>`);
  }
  const axis: string[] = [];
  for (const v of ticks) {
    axis.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`);
  }
  // Hour labels on whole hours of the scenario, never past the last sample.
  const hours = Math.floor((t1 - c.start) / 3_600_000 + 1e-9);
  const step = hours > 12 ? 3 : 1;
  for (let h = Math.ceil((t0 - c.start) / 3_600_000 - 1e-9); h <= hours; h += step) {
    const t = c.start + h * 3_600_000;
    axis.push(`<text x="${x(t).toFixed(1)}" y="${H - 10}" text-anchor="middle">${hhmm(t, c.start)}</text>`);
  }
  const legend = c.keys
    .map((k, i) => `<span class="key"><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(k.replace('|', ' / '))}</span>`)
    .concat(c.line ? [`<span class="key"><i class="dash"></i>${esc(c.line.label)}</span>`] : [])
    .join('');
  return `<h3>${esc(c.title)} <small>(${esc(c.unit)})</small></h3><svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${axis.join('')}${parts.join('')}</svg><div class="legend">${legend}</div>`;
}

export function renderReport(r: SimulationResult, s: SimulationSummary): string {
  const start = r.scenario.startMs;
  const keys = [...new Set(r.samples.flatMap((x) => Object.keys(x.nodes)))].sort();
  const nodesChart = stackedChart({ title: 'Nodes by NodePool and capacity type', samples: r.samples, keys, value: (x, k) => x.nodes[k] ?? 0, unit: 'nodes', start });
  const costChart = stackedChart({
    title: 'Cost by NodePool and capacity type',
    samples: r.samples,
    keys,
    value: (x, k) => x.cost[k] ?? 0,
    line: { label: 'LP lower bound of the pods running and pending', value: (x) => x.lowerBound },
    unit: 'USD per hour',
    start,
  });
  const pendingChart = stackedChart({ title: 'Pending pods', samples: r.samples, keys: ['pending'], value: (x) => x.pending, unit: 'pods', start });
  const ratio = s.lowerBoundCost > 0 ? s.totalCost / s.lowerBoundCost : 0;
  // Listeners may record out of order (a controller records after another's later event): sort, stably.
  const ordered = r.decisions.map((d, i) => ({ d, i })).sort((a, b) => a.d.time - b.d.time || a.i - b.i).map((x) => x.d);
  const rows = ordered
    .map(
      (d) =>
        `<tr class="a-${esc(d.action)}"><td>${virtualClock(d.time, start)}</td><td>${esc(d.controller)}</td><td>${esc(d.action)}</td><td>${esc(d.reason)}</td><td>${esc(d.nodePool ?? '')}</td><td>${esc(d.message)}</td></tr>`,
    )
    .join('\n');
  const actions = [...new Set(r.decisions.map((d) => d.action))].sort();
  const events = [
    ...s.commits.map((c) => ({
      t: c.t,
      html: `<code>${c.commit.slice(0, 12)}</code> ${c.accepted ? 'accepted' : '<b>rejected</b>'}: ${esc(c.message)}${c.problems ? `<br><small>${esc(c.problems.join('; '))}</small>` : ''}`,
    })),
    ...r.operatorNotes.map((n) => ({ t: n.t, html: esc(n.message) })),
  ].sort((a, b) => a.t - b.t);
  const commits = events.map((e) => `<li><code>${virtualClock(e.t, start)}</code> ${e.html}</li>`).join('');
  const draining = s.stillDraining.length
    ? `<h3>Still draining at the end</h3><ul>${s.stillDraining.map((d) => `<li>${esc(d.nodeClaim)} (${esc(d.nodePool)}): held by ${esc(d.blockedBy)}</li>`).join('')}</ul>`
    : '';
  const summaryRows: [string, string][] = [
    ['Nodes launched', `${Object.values(s.launchedByPool).reduce((a, b) => a + b, 0)} (${Object.entries(s.launchedByPool).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
    ['Nodes removed', `${Object.values(s.removedByReason).reduce((a, b) => a + b, 0)} (${Object.entries(s.removedByReason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
    [
      'Pods moved by voluntary disruption',
      `${Object.values(s.evictionsByMethod).reduce((a, b) => a + b, 0)} (${Object.entries(s.evictionsByMethod).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}); per hour: ${s.evictionsByHour.join(' ')}`,
    ],
    ['Pod-hours pending', `${s.podHoursPending.toFixed(2)} (time to a node: p50 ${s.timeToBind.p50s.toFixed(0)} s, p95 ${s.timeToBind.p95s.toFixed(0)} s, max ${s.timeToBind.maxs.toFixed(0)} s)`],
    ['Total cost', `$${s.totalCost.toFixed(2)} (${Object.entries(s.costByPool).map(([k, v]) => `${k} $${v.toFixed(2)}`).join(', ')})`],
    ['LP lower bound', `$${s.lowerBoundCost.toFixed(2)}; cost / bound ${ratio.toFixed(2)}`],
    ...incidentSummaryRows(s),
    ['Pool-aware bound', `$${s.poolAwareBoundCost.toFixed(2)} (each pod only on the pools it may use); cost / bound ${s.poolAwareBoundCost > 0 ? (s.totalCost / s.poolAwareBoundCost).toFixed(2) : '-'}`],
    ...s.rollouts.map((x): [string, string] => [`Drift rollout (${x.nodePool})`, `${x.replaced} replaced, at most ${x.maxConcurrent} at once (budget ${x.capAtMax}), ${x.violations === 0 ? 'never over budget' : `${x.violations} times over budget`}`]),
    ['Simulated', `${s.virtualHours} h in ${s.wallSeconds.toFixed(1)} s of wall time`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>joinery simulate: ${esc(r.scenario.name)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h3{margin:24px 0 4px}small{color:#666;font-weight:normal}
svg text{font-size:11px;fill:#555}.legend{margin:4px 0 12px}.key{margin-right:14px;white-space:nowrap}
.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}.key i.dash{border-top:2px dashed #222;height:0;margin-bottom:4px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
table.log td:nth-child(-n+5){white-space:nowrap}.a-skip{color:#888}.a-launch-failed,.a-intent-rejected,.a-drain-blocked{color:#b00}
code{background:#f4f4f4;padding:0 3px}
</style></head><body>
<h1>${esc(r.scenario.name)}</h1>
<p>${esc(r.scenario.description)}</p>
<p><small>Scenario ${esc(r.scenario.file)}; start ${new Date(start).toISOString()}, ${s.virtualHours} h, seed ${r.scenario.seed}. The controllers are joinery's production reconciler; the cluster and EC2 are simulated (us-east-1 catalog; spot = on-demand x a seeded discount in [${r.scenario.ec2.spotMin}, ${r.scenario.ec2.spotMax}) per family and zone).</small></p>
<table>${summaryRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h3>Policy commits and operator actions</h3><ul>${commits}</ul>
${draining}
${nodesChart}
${costChart}
${incidentsSection(r, s)}
${pendingChart}
<h3>Decision log <small>(${r.decisions.length} decisions)</small></h3>
<p><label>Show <select id="f"><option value="">all</option>${actions.map((a) => `<option>${esc(a)}</option>`).join('')}</select></label></p>
<table class="log" id="log"><thead><tr><th>time</th><th>controller</th><th>decision</th><th>reason</th><th>NodePool</th><th>what and why</th></tr></thead><tbody>
${rows}
</tbody></table>
<script>
document.getElementById('f').addEventListener('change', function (e) {
  var v = e.target.value;
  document.querySelectorAll('#log tbody tr').forEach(function (tr) { tr.style.display = !v || tr.className === 'a-' + v ? '' : 'none'; });
});
</script>
</body></html>
`;
}
