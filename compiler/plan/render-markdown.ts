// The plan as a pull-request comment. The first line is a marker the CI workflow finds to
// update its one comment instead of adding another on every push.
import { canonicalJson } from '../../core/canonical.ts';
import { LABEL_CAPACITY_TYPE } from '../../core/contract/labels.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { CapacityEnvelope, NodeSize, PlanReport, PoolEnvelope, RefResult, SimulationOutcome } from './types.ts';
import { clusterSections, clustersSummary } from './render-clusters.ts';
import { dollarsPerHour, listWords, signedCount, signedDollars } from './words.ts';

const PLAN_COMMENT_MARKER = '<!-- joinery-plan -->';

const MAX_LISTED_PODS = 20;

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Table cells cannot hold pipes or newlines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function refWords(r: RefResult): string {
  if (r.ref.workingTree) return 'working tree';
  const sha = code(r.ref.commit!.slice(0, 12));
  return r.ref.label === r.ref.commit ? sha : `${sha} (${r.ref.label})`;
}

function where(d: Diagnostic): string {
  if (!d.file) return '';
  return ` (${code(`${d.file}${d.line !== undefined ? `:${d.line}` : ''}`)})`;
}

function diagnosticLine(d: Diagnostic): string {
  const subject = d.object ? ` ${d.object.kind} ${code(d.object.name)}` : '';
  const field = d.field ? ` ${code(d.field)}:` : ':';
  const tail = d.acknowledged !== undefined ? `  \n  acknowledged: ${d.acknowledged}` : d.fix ? `  \n  fix: ${d.fix}` : '';
  return `- **${d.acknowledged !== undefined ? `acknowledged ${d.severity}` : d.severity}** ${code(d.code)}${subject}${where(d)}${field} ${d.message}${tail}`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function size(s: NodeSize | undefined): string {
  if (!s) return '–';
  return `${s.instanceType} (${s.vcpu} vCPU, ${s.memoryGiB} GiB${s.gpus ? `, ${s.gpus} GPU` : ''})`;
}

function envelopeRow(pool: string, side: string, e: CapacityEnvelope | undefined): string {
  if (!e) return `| ${cell(pool)} | ${side} | – | – | – | – | – | – | – | – |`;
  if (e.error) return `| ${cell(pool)} | ${side} | ${cell(`cannot be read: ${e.error}`)} | | | | | | | |`;
  const gpus = e.gpu.instanceTypeCount > 0 ? `${e.gpu.instanceTypeCount} types, up to ${e.gpu.maxPerNode}/node (${listWords(e.gpu.names, 4)})` : 'none';
  const spend = e.maxHourlyCostAtLimits === null ? '**unbounded** (no limit caps it)' : `${dollarsPerHour(e.maxHourlyCostAtLimits)}${e.bindingLimits.length > 0 ? ` (${e.bindingLimits.join(', ')})` : ''}`;
  return `| ${cell(pool)} | ${side} | ${e.instanceTypeCount} | ${cell(listWords(e.families, 6))} | ${cell(listWords(e.zones, 6))} | ${cell(listWords(e.capacityTypes))} | ${cell(size(e.smallest))} | ${cell(size(e.largest))} | ${cell(gpus)} | ${cell(spend)} |`;
}

/** One line per NodeOverlay that prices a pool's offerings: which overlay, how, on which types, and the spend it moves. */
export function overlayLines(pool: string, side: string, e: CapacityEnvelope | undefined): string[] {
  if (!e?.overlays || e.overlays.length === 0) return [];
  const spend =
    e.maxHourlyCostWithoutOverlays !== undefined && e.maxHourlyCostWithoutOverlays !== e.maxHourlyCostAtLimits
      ? `; most $/h at limits ${dollarsPerHour(e.maxHourlyCostWithoutOverlays)} without overlays, ${dollarsPerHour(e.maxHourlyCostAtLimits)} with them`
      : '';
  return e.overlays.map(
    (o, i) =>
      `- NodePool ${code(pool)} (${side}): NodeOverlay ${code(o.nodeOverlay)} (${o.change}) changes the price of ${plural(o.offerings, 'offering')} of ${plural(o.instanceTypes.length, 'instance type')} (${listWords(o.instanceTypes, 6)})${i === 0 ? spend : ''}`,
  );
}

/** The reservations a pool's class selects, and whether the pool launches into them. */
export function reservedLines(pool: string, side: string, e: CapacityEnvelope | undefined): string[] {
  const r = e?.reserved;
  if (!r) return [];
  const terms = listWords(r.terms.map((t) => code(t)), 4);
  return r.admitted
    ? [`- NodePool ${code(pool)} (${side}): launches into the capacity reservations EC2NodeClass ${code(r.nodeClass)} selects (${terms}) first, priced as already paid for, while they have room; then its other capacity types`]
    : [`- NodePool ${code(pool)} (${side}): EC2NodeClass ${code(r.nodeClass)} selects capacity reservations (${terms}), but the pool's ${code(LABEL_CAPACITY_TYPE)} does not admit ${code('reserved')}: it launches none into them`];
}

function envelopeChanged(p: PoolEnvelope): boolean {
  return canonicalJson(p.before) !== canonicalJson(p.after);
}

function outcomeCell(o: SimulationOutcome, value: (o: SimulationOutcome) => string): string {
  return o.error ? 'n/a' : value(o);
}

export function renderMarkdown(report: PlanReport): string {
  const out: string[] = [PLAN_COMMENT_MARKER, '### joinery plan', ''];
  out.push(`**base** ${refWords(report.base)} → **head** ${refWords(report.head)}`, '');
  // A region priced other than by its own list prices says so before any $/h is read.
  const catalog = report.catalog;
  if (catalog?.substitute) {
    out.push(`> ⚠️ **No catalog is shipped for ${catalog.region}**: envelopes and the what-if use the ${catalog.substitute} catalog (its instance types, zones and prices), not ${catalog.region}'s.`, '');
  }
  if (catalog && catalog.onDemandPrices.kind !== 'list' && catalog.onDemandPrices.kind !== 'given') {
    out.push(`> ${catalog.onDemandPrices.kind === 'us-east-1-proxy' ? '⚠️ ' : ''}**On-demand prices for ${catalog.region}**: ${catalog.onDemandPrices.description}.`, '');
  }

  // Summary line.
  const newErrors = report.findings.filter((f) => f.new && f.severity === 'error' && f.acknowledged === undefined);
  const changed = (kind: string, change: string): number => report.diff.filter((d) => d.kind === kind && d.change === change).length;
  const summary: string[] = [];
  if (!report.head.compiled) summary.push('❌ head does not compile');
  if (newErrors.length > 0) summary.push(`❌ ${plural(newErrors.length, 'new error')}`);
  const risky = report.consequences.filter((c) => c.kind !== 'new-finding' && c.severity === 'warning').length;
  if (risky > 0) summary.push(`⚠️ ${plural(risky, 'consequence')} for running nodes`);
  if (report.clusters) summary.push(clustersSummary(report.clusters));
  for (const kind of report.clusters ? [] : ['NodePool', 'EC2NodeClass']) {
    const parts = (['changed', 'added', 'removed'] as const).map((c) => [c, changed(kind, c)] as const).filter(([, n]) => n > 0);
    if (parts.length > 0) summary.push(`${kind === 'NodePool' ? 'NodePools' : 'EC2NodeClasses'}: ${parts.map(([c, n]) => `${n} ${c}`).join(', ')}`);
  }
  if (!report.clusters && report.base.compiled && report.head.compiled && report.diff.length === 0) summary.push('no change to the compiled NodePools and EC2NodeClasses');
  const w = report.whatIf;
  if (w && !w.base.error && !w.head.error) {
    // Stranded pods lead; a lower $/h that comes from pods no longer placed is not a saving.
    const delta = w.head.hourlyCost - w.base.hourlyCost;
    const stranded = w.noLongerFit.length > 0 ? `⚠️ ${plural(w.noLongerFit.length, 'pod')} no longer ${w.noLongerFit.length === 1 ? 'fits' : 'fit'}, ` : '';
    const cost = w.noLongerFit.length > 0 && delta < 0 ? `not cheaper (${signedDollars(delta)} only because they are not placed)` : signedDollars(delta);
    summary.push(`what-if: ${stranded}${cost}${w.priceModel.spotSynthetic ? ' (synthetic spot prices)' : ''}`);
  }
  out.push(summary.join(' · '), '');

  // Refs that did not compile.
  for (const [side, r] of [['base', report.base], ['head', report.head]] as const) {
    if (r.compiled) continue;
    out.push(side === 'base'
      ? `> ⚠️ **base does not compile**, so there is nothing to compare head with: head is reported alone and every finding in it counts as new.`
      : `> ❌ **head does not compile**: nothing can be applied until these are fixed.`);
    for (const e of r.errors) out.push(`> ${diagnosticLine(e).replace(/\n/g, '\n> ')}`);
    out.push('');
  }

  // New findings.
  const fresh = report.findings.filter((f) => f.new && !(!report.head.compiled && report.head.errors.some((e) => e.code === f.code && e.file === f.file && e.line === f.line)));
  if (fresh.length > 0) {
    out.push('#### New guardrail findings in head', '');
    for (const f of [...fresh].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))) out.push(diagnosticLine(f));
    out.push('');
  }

  // A repository of clusters: each cluster's own sections.
  if (report.clusters) out.push(...clusterSections(report, renderMarkdown));

  // Consequences.
  const consequences = report.consequences.filter((c) => c.kind !== 'new-finding');
  if (consequences.length > 0) {
    out.push('#### Consequences for running nodes', '');
    for (const c of consequences) out.push(`- ${c.severity === 'warning' ? '⚠️ ' : ''}${c.summary}`);
    out.push('');
  }

  // Semantic diff.
  if (report.diff.length > 0) {
    out.push('#### Changes', '');
    for (const d of report.diff) {
      out.push(`**${d.kind} ${code(d.name)}** ${d.change}${d.source ? ` (${code(d.source)})` : ''}`);
      for (const f of d.fields) out.push(`- ${f.summary}`);
      out.push('');
    }
  }

  // Envelopes of the pools that changed.
  const touched = new Set(report.diff.filter((d) => d.kind === 'NodePool').map((d) => d.name));
  const envelopes = report.envelopes.filter((p) => touched.has(p.nodePool) || envelopeChanged(p) || !report.base.compiled);
  if (envelopes.length > 0) {
    const region = catalog ? (catalog.substitute ?? catalog.region) : 'us-east-1';
    const derived = catalog?.onDemandPrices.kind === 'us-east-1-proxy' ? ', prices derived from us-east-1' : catalog?.onDemandPrices.kind === 'price-list-api' ? ', Price List API prices' : '';
    out.push(`#### Capacity envelope (shipped ${region} catalog${derived})`, '');
    out.push('| NodePool | | instance types | families | zones | capacity types | smallest | largest | GPUs | most $/h at limits |');
    out.push('|---|---|---:|---|---|---|---|---|---|---|');
    for (const p of envelopes) {
      if (report.base.compiled) out.push(envelopeRow(p.nodePool, 'before', p.before));
      out.push(envelopeRow(report.base.compiled ? '' : p.nodePool, 'after', p.after));
    }
    const overlaid = envelopes.flatMap((p) => [...(report.base.compiled ? overlayLines(p.nodePool, 'before', p.before) : []), ...overlayLines(p.nodePool, 'after', p.after)]);
    if (overlaid.length > 0) out.push('', 'Prices with NodeOverlays applied, as the reconciler sees them:', ...overlaid);
    const reserved = envelopes.flatMap((p) => [...(report.base.compiled ? reservedLines(p.nodePool, 'before', p.before) : []), ...reservedLines(p.nodePool, 'after', p.after)]);
    if (reserved.length > 0) out.push('', 'Reserved capacity (what each reservation holds is counted live by the reconciler, in EC2NodeClass status.capacityReservations):', ...reserved);
    const unchanged = report.envelopes.length - envelopes.length;
    if (unchanged > 0) out.push('', `${plural(unchanged, 'other NodePool')} unchanged.`);
    out.push('');
  }

  // What-if.
  if (w) {
    out.push(`#### What-if: ${code(w.source)}`, '');
    // The pods that no longer fit come first, by the workload they belong to.
    if (w.noLongerFit.length > 0) {
      out.push(`**${plural(w.noLongerFit.length, 'pod')} no longer ${w.noLongerFit.length === 1 ? 'fits' : 'fit'} under head** (${w.noLongerFitByOwner.length === 1 ? 'one workload' : `${w.noLongerFitByOwner.length} workloads`}):`, '');
      for (const g of w.noLongerFitByOwner.slice(0, MAX_LISTED_PODS)) {
        out.push(`- ${g.owner.replace(/ (\S+)$/, (_, name: string) => ` ${code(name)}`)}: ${plural(g.pods.length, 'pod')} (${listWords(g.pods.map(code), 5)}): ${g.reason}`);
      }
      if (w.noLongerFitByOwner.length > MAX_LISTED_PODS) out.push(`- … and ${w.noLongerFitByOwner.length - MAX_LISTED_PODS} more workloads (see --json)`);
      out.push('');
    }
    const current = w.karpenterNodes > 0 ? ` (now ${dollarsPerHour(w.current.hourlyCost)}${w.current.unpriced ? `, ${w.current.unpriced} not in the catalog` : ''})` : '';
    out.push(
      `${plural(w.pods, 'pod')} to place under each policy: the snapshot's ${plural(w.karpenterNodes, 'node')} of these NodePools${current} are provisioned afresh, ` +
        `${plural(w.otherNodes, 'other node')} kept with ${w.otherNodes === 1 ? 'its' : 'their'} pods; ${plural(w.daemonSets, 'DaemonSet')} add their overhead to every node.`,
      '',
      `Prices: on-demand from ${w.priceModel.onDemand}; spot ${w.priceModel.spotSynthetic && w.priceModel.spot.startsWith('synthetic') ? `prices are **${w.priceModel.spot.replace(/^synthetic: /, 'synthetic**: ')}` : w.priceModel.spot}.`,
      '',
    );
    for (const [side, o] of [['base', w.base], ['head', w.head]] as const) if (o.error) out.push(`> ${side}: cannot simulate: ${o.error}`, '');
    out.push('| | base | head | change |', '|---|---:|---:|---:|');
    const both = !w.base.error && !w.head.error;
    out.push(`| pods that fit nowhere | ${outcomeCell(w.base, (o) => String(o.unschedulable.length))} | ${outcomeCell(w.head, (o) => String(o.unschedulable.length))} | ${both ? signedCount(w.head.unschedulable.length - w.base.unschedulable.length) : ''} |`);
    out.push(`| pods placed | ${outcomeCell(w.base, (o) => String(o.podsPlaced))} | ${outcomeCell(w.head, (o) => String(o.podsPlaced))} | ${both ? signedCount(w.head.podsPlaced - w.base.podsPlaced) : ''} |`);
    out.push(`| new nodes | ${outcomeCell(w.base, (o) => String(o.nodes))} | ${outcomeCell(w.head, (o) => String(o.nodes))} | ${both ? signedCount(w.head.nodes - w.base.nodes) : ''} |`);
    out.push(`| $/h | ${outcomeCell(w.base, (o) => `$${o.hourlyCost.toFixed(2)}`)} | ${outcomeCell(w.head, (o) => `$${o.hourlyCost.toFixed(2)}`)} | ${both ? signedDollars(w.head.hourlyCost - w.base.hourlyCost) : ''} |`);
    const perPod = (o: SimulationOutcome) => (o.costPerPlacedPod === null ? 'n/a' : `$${o.costPerPlacedPod.toFixed(4)}`);
    const perPodDelta = both && w.base.costPerPlacedPod !== null && w.head.costPerPlacedPod !== null ? `${w.head.costPerPlacedPod >= w.base.costPerPlacedPod ? '+' : '-'}$${Math.abs(w.head.costPerPlacedPod - w.base.costPerPlacedPod).toFixed(4)}/h` : '';
    out.push(`| $/h per placed pod | ${outcomeCell(w.base, perPod)} | ${outcomeCell(w.head, perPod)} | ${perPodDelta} |`);
    const pools = [...new Set([...Object.keys(w.base.nodesByPool), ...Object.keys(w.head.nodesByPool)])].sort();
    for (const pool of pools) {
      const b = w.base.nodesByPool[pool] ?? 0;
      const h = w.head.nodesByPool[pool] ?? 0;
      out.push(`| nodes of ${cell(code(pool))} | ${b} | ${h} | ${signedCount(h - b)} |`);
    }
    out.push('');
    if (both) out.push(`Cost: ${w.costVerdict}.`, '');
    if (w.nowFit.length > 0) out.push(`${plural(w.nowFit.length, 'pod')} that fit nowhere under base ${w.nowFit.length === 1 ? 'fits' : 'fit'} under head: ${listWords(w.nowFit.map(code), 10)}.`, '');
    if (w.drifting.length > 0) {
      out.push(`**Nodes of the snapshot that head replaces:** ${w.drifting.map((d) => `${code(d.nodePool)} ${d.nodes} of ${d.total} (${d.reason})`).join('; ')}.`, '');
    }
  }

  // Findings already in base, folded away.
  const old = report.findings.filter((f) => !f.new && f.acknowledged === undefined);
  if (old.length > 0) {
    out.push(`<details><summary>${plural(old.length, 'finding')} already in base</summary>`, '');
    for (const f of old) out.push(diagnosticLine(f));
    out.push('', '</details>', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
