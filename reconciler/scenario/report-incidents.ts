// The report's section on nodes taken away: spot interruptions (EC2's warning, the
// reconciler's answer, the reclaim) and NotReady nodes (repaired after their toleration),
// on a timeline strip aligned with the fleet charts, then one row each with the pods
// rescheduled, the minutes of capacity lost, and what `joinery explain node` said.

import type { SimulationResult } from './runner.ts';
import type { SimulationSummary } from './summary.ts';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clock(t: number, start: number): string {
  const s = Math.round((t - start) / 1000);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Rows for the summary table. */
export function incidentSummaryRows(s: SimulationSummary): [string, string][] {
  const i = s.incidents;
  const rows: [string, string][] = [];
  const spot = i.list.filter((x) => x.kind === 'spot-interruption');
  const bad = i.list.filter((x) => x.kind === 'not-ready');
  const pods = (l: typeof i.list) => `${l.reduce((a, x) => a + x.podsRescheduled, 0)} pod(s) rescheduled, ${l.reduce((a, x) => a + x.lostPodMinutes, 0).toFixed(1)} pod-minutes of lost capacity`;
  if (spot.length > 0) {
    rows.push(['Spot interruptions', `${spot.length} warning(s), ${i.interruptionsHandled} handled (cordoned, ${i.replacementsLaunched} replacement(s) launched, drained), ${i.reclaimedByEc2} reclaimed by EC2 after the notice; ${pods(spot)}`]);
  }
  if (bad.length > 0) rows.push(['Node repair', `${bad.length} node(s) NotReady, ${i.nodesRepaired} repaired; ${pods(bad)}`]);
  return rows;
}

/** The timeline strip and the table; empty when nothing was taken away. */
export function incidentsSection(r: SimulationResult, s: SimulationSummary): string {
  const list = s.incidents.list;
  if (list.length === 0 || r.samples.length < 2) return '';
  const start = r.scenario.startMs;
  // The same horizontal geometry as the fleet charts above, so the marks line up with them.
  const W = 900;
  const L = 50;
  const H = 70;
  const t0 = r.samples[0]!.t;
  const t1 = r.samples[r.samples.length - 1]!.t;
  const x = (t: number) => L + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * (W - L - 10);
  const parts: string[] = [];
  parts.push(`<line x1="${L}" x2="${W - 10}" y1="22" y2="22" stroke="#ddd"/><line x1="${L}" x2="${W - 10}" y1="48" y2="48" stroke="#ddd"/>`);
  parts.push(`<text x="${L - 6}" y="26" text-anchor="end">spot</text><text x="${L - 6}" y="52" text-anchor="end">repair</text>`);
  const hours = Math.round((t1 - t0) / 3_600_000);
  for (let h = 0; h <= hours; h += hours > 12 ? 3 : 1) {
    const t = t0 + h * 3_600_000;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${H - 4}" text-anchor="middle">${clock(t, start).slice(0, 5)}</text>`);
  }
  for (const i of list) {
    const title = esc(`${clock(i.t, start)} ${i.kind === 'spot-interruption' ? 'spot interruption warning' : `NotReady (${i.condition ?? ''})`}: ${i.nodeClaim} (${i.offering}); ${i.podsRescheduled} pod(s) rescheduled, ${i.lostPodMinutes.toFixed(1)} pod-min lost`);
    if (i.kind === 'spot-interruption') {
      const cx = x(i.t);
      parts.push(`<path d="M${cx.toFixed(1)},14 l5,9 h-10 z" fill="${i.handledAt !== undefined ? '#f28e2b' : '#b00'}"><title>${title}</title></path>`);
    } else {
      const end = i.handledAt ?? i.goneAt ?? t1;
      parts.push(`<rect x="${x(i.t).toFixed(1)}" y="42" width="${Math.max(2, x(end) - x(i.t)).toFixed(1)}" height="12" fill="#e15759"><title>${title}${i.handledAt !== undefined ? esc(`; repaired at ${clock(i.handledAt, start)}`) : ''}</title></rect>`);
    }
  }
  const rows = list
    .map((i) => {
      const what = i.kind === 'spot-interruption' ? 'spot interruption' : `NotReady: ${i.condition ?? ''}`;
      const handled = i.handledAt !== undefined ? `${clock(i.handledAt, start)}: ${i.handledBy ?? ''}` : 'not handled';
      const after = [
        i.replacements.length > 0 ? `replacement(s) ${i.replacements.join(', ')}` : undefined,
        i.reclaimedAt !== undefined ? `reclaimed by EC2 at ${clock(i.reclaimedAt, start)}` : undefined,
        i.goneAt !== undefined ? `instance gone at ${clock(i.goneAt, start)}` : undefined,
      ].filter(Boolean);
      return `<tr><td>${clock(i.t, start)}</td><td>${esc(what)}</td><td>${esc(i.nodeClaim)}<br><small>${esc(i.node ?? '')} ${esc(i.offering)}</small></td><td>${esc(handled)}${after.length > 0 ? `<br><small>${esc(after.join('; '))}</small>` : ''}</td><td>${i.podsRescheduled}/${i.podsOnNode}${i.podsNotRescheduled > 0 ? ` (${i.podsNotRescheduled} not)` : ''}</td><td>${i.lostPodMinutes.toFixed(1)}</td><td><small>${esc(i.explanation ?? '')}</small></td></tr>`;
    })
    .join('\n');
  return `<h3>Spot interruptions and node repair <small>(${list.length}; pod-minutes lost: from a pod stopping, or its node going NotReady, to its successor bound)</small></h3>
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${parts.join('')}</svg>
<table class="log"><thead><tr><th>time</th><th>what</th><th>node</th><th>what the reconciler did</th><th>pods rescheduled</th><th>pod-min lost</th><th>joinery explain node, right after</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}
