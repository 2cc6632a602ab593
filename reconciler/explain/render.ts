// A NodeExplanation (and a PodExplanation) as text for a terminal: the verdict first, then what blocks it, then
// every check (the same checks the JSON form carries).

import { formatDuration } from '../../core/disruption/duration.ts';
import type { NodeExplanation, Verdict } from './explain-node.ts';
import type { PodExplanation, PodVerdict } from './explain-pod.ts';

const HEADLINE: Readonly<Record<Verdict, string>> = {
  disruptable: 'DISRUPTABLE now',
  waiting: 'disruptable, but WAITING for other nodes first',
  'not-disruptable': 'NOT disruptable now',
  disrupting: 'being DISRUPTED',
  terminating: 'TERMINATING',
  'not-ready': 'not ready: not a candidate yet',
  'not-managed': 'not managed by joinery',
};

export function renderExplanation(e: NodeExplanation): string {
  const lines: string[] = [];
  lines.push(`${e.node ? `node ${e.node}` : `NodeClaim ${e.name}`}: ${HEADLINE[e.verdict]}`);
  if (e.facts) {
    const f = e.facts;
    const offering = [f.instanceType, f.capacityType, f.zone ? `in ${f.zone}` : undefined].filter(Boolean).join(' ');
    const price = f.pricePerHour !== undefined ? `, $${f.pricePerHour.toFixed(4)}/h` : '';
    lines.push(`  NodeClaim ${f.nodeClaim} of NodePool ${f.nodePool}${offering ? `, ${offering}` : ''}${price}, age ${formatDuration(f.ageMs)}, ${f.pods} pod(s) besides DaemonSets`);
  }
  if (e.commit) lines.push(`  intent: ${e.commit.length > 20 && /^[0-9a-f]+/.test(e.commit) ? e.commit.slice(0, 12) : e.commit}`);
  lines.push('', `  ${e.summary}`);
  if (e.reasons.length > 1 || (e.reasons.length === 1 && e.reasons[0] !== e.summary)) {
    lines.push('', '  why:');
    for (const r of e.reasons) lines.push(`    - ${r}`);
  }
  pushChecks(lines, e.checks);
  if (e.nextCommand && e.verdict !== 'disruptable') {
    const n = e.nextCommand;
    lines.push('', `  next disruption pass: ${n.method} of ${n.nodeClaims.join(', ')} (${n.explanation})`);
  }
  return `${lines.join('\n')}\n`;
}

const POD_HEADLINE: Readonly<Record<PodVerdict, string>> = {
  scheduled: 'SCHEDULED',
  nominated: 'PENDING, a NodeClaim is coming up for it',
  'not-provisioned': 'PENDING, NOT PROVISIONED FOR',
  pending: 'PENDING',
};

export function renderPodExplanation(e: PodExplanation): string {
  const lines: string[] = [`pod ${e.pod}: ${POD_HEADLINE[e.verdict]}`, '', `  ${e.summary}`];
  pushChecks(lines, e.checks);
  if (e.events.length > 0) {
    lines.push('', '  provisioning events:');
    for (const ev of e.events.slice(-5)) lines.push(`    ${new Date(ev.timeMs).toISOString()}  ${ev.type.padEnd(7)}  ${ev.reason}: ${ev.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The checks an explanation ran, one aligned line each (none: nothing). */
function pushChecks(lines: string[], checks: readonly { readonly check: string; readonly status: string; readonly message: string }[]): void {
  if (checks.length === 0) return;
  lines.push('', '  checks:');
  const width = Math.max(...checks.map((c) => c.check.length));
  for (const c of checks) {
    const status = c.status === 'blocks' ? 'BLOCKS' : c.status === 'ok' ? 'ok' : '-';
    lines.push(`    ${c.check.padEnd(width)}  ${status.padEnd(6)}  ${c.message}`);
  }
}
