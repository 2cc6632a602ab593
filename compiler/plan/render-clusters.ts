// The per-cluster part of the plan comment: a summary line, then one section per cluster
// with its consequences, changes and envelopes, rendered by the single-cluster renderer on
// the cluster's own part of the report (headings one level down).
import type { ClusterPlan, PlanReport } from './types.ts';

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function changeWords(c: ClusterPlan): string {
  if (c.change === 'added') return `added (${plural(c.diff.filter((d) => d.kind === 'NodePool').length, 'NodePool')})`;
  if (c.change === 'removed') return 'removed';
  if (c.change === 'unchanged') return 'unchanged';
  const risky = c.consequences.filter((x) => x.kind !== 'new-finding' && x.severity === 'warning').length;
  return `${plural(c.diff.length, 'object')} changed${risky > 0 ? `, ⚠️ ${plural(risky, 'consequence')}` : ''}`;
}

/** `3 clusters: dev 2 objects changed · staging unchanged · prod-use1 added (2 NodePools)` */
export function clustersSummary(clusters: readonly ClusterPlan[]): string {
  return `${plural(clusters.length, 'cluster')}: ${clusters.map((c) => `${c.cluster} ${changeWords(c)}`).join(' · ')}`;
}

export function clusterSections(report: PlanReport, render: (report: PlanReport) => string): string[] {
  const out: string[] = [];
  for (const c of report.clusters ?? []) {
    // An unchanged cluster is only named in the summary line.
    if (c.change === 'unchanged') continue;
    out.push(`#### Cluster \`${c.cluster}\` (${c.region}): ${changeWords(c)}`, '');
    if (c.change === 'removed') {
      out.push(`generated/${c.cluster}/ is no longer compiled: that cluster's reconciler rejects the commit (no directory) and keeps its last intent; its nodes stay until the cluster is taken down or its pools are removed first.`, '');
      continue;
    }
    const own: PlanReport = { ...report, diff: c.diff, envelopes: c.envelopes, consequences: c.consequences, findings: [], whatIf: undefined, clusters: undefined, base: c.change === 'added' ? { ...report.base, compiled: false } : report.base };
    const lines = render(own).split('\n');
    // Skip the marker, title, refs, summary and any does-not-compile notes: keep the sections.
    const first = lines.findIndex((l) => l.startsWith('#### '));
    if (first < 0) continue;
    out.push(...lines.slice(first).map((l) => (l.startsWith('#### ') ? `#${l}` : l)), '');
  }
  return out;
}
