// Consequences of a policy change for the nodes that already run: which changes drift
// existing nodes (and so start a rollout), shortened expireAfter, removed or weakened
// disruption budgets, more aggressive consolidation, removed pools, and guardrail
// findings new in head. Drift follows the core's hashes (core/disruption/drift.ts), the
// same the reconciler compares, so the plan predicts what the reconciler will do.
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { budgetCap, parseBudgets, REMOVAL_BUDGET, type ParsedBudget } from '../../core/disruption/budgets.ts';
import { DISRUPTION_REASONS, type DisruptionReason } from '../../core/contract/disruption.ts';
import { DEFAULT_EXPIRE_AFTER, hashedTemplateFields, nodeClassHash, nodePoolHash } from '../../core/disruption/drift.ts';
import { canonicalJson } from '../../core/canonical.ts';
import { formatDuration, parseDuration } from '../../core/disruption/duration.ts';
import { LABEL_INSTANCE_FAMILY } from '../../core/contract/labels.ts';
import { admittedInstanceTypes } from './envelope.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { IntentModel } from '../intent.ts';
import type { Consequence, PlanFinding } from './types.ts';
import { byName, listWords } from './words.ts';

function byNameMap<T>(objects: readonly { name: string; manifest: T }[]): Map<string, T> {
  return new Map(objects.map((o) => [o.name, o.manifest]));
}

// ---------------------------------------------------------------------------------------
// Drift.

function templateDrift(name: string, before: NodePool, after: NodePool): Consequence | undefined {
  if (nodePoolHash(before) === nodePoolHash(after)) return undefined;
  const b = hashedTemplateFields(before);
  const a = hashedTemplateFields(after);
  const fields = Object.keys(a).filter((f) => canonicalJson(b[f]) !== canonicalJson(a[f]));
  return {
    kind: 'drift',
    severity: 'warning',
    objectKind: 'NodePool',
    name,
    summary: `NodePool ${name}: template ${listWords(fields)} changed, so every existing node of the pool drifts and is replaced within the disruption budget (reason Drifted), as many at once as the budget allows`,
  };
}

/** Nodes launched under base that head no longer admits (type, zone or capacity type) drift too. */
function requirementDrift(name: string, before: NodePool, after: NodePool, catalog: readonly InstanceType[]): Consequence | undefined {
  if (canonicalJson(before.spec.template.spec.requirements) === canonicalJson(after.spec.template.spec.requirements)) return undefined;
  let was: InstanceType[];
  let now: InstanceType[];
  try {
    was = admittedInstanceTypes(before, catalog);
    now = admittedInstanceTypes(after, catalog);
  } catch {
    return undefined;
  }
  const nowByName = new Map(now.map((t) => [t.name, t]));
  const lostTypes = was.filter((t) => !nowByName.has(t.name));
  const offerings = (types: readonly InstanceType[]): Set<string> => new Set(types.flatMap((t) => t.offerings.map((o) => o.capacityType)));
  const zones = (types: readonly InstanceType[]): Set<string> => new Set(types.flatMap((t) => t.offerings.map((o) => o.zone)));
  const lostCapacity = [...offerings(was)].filter((c) => !offerings(now).has(c)).sort(byName);
  const lostZones = [...zones(was)].filter((z) => !zones(now).has(z)).sort(byName);
  const parts: string[] = [];
  if (lostCapacity.length > 0) parts.push(`${listWords(lostCapacity)} capacity`);
  if (lostZones.length > 0) parts.push(`zone${lostZones.length > 1 ? 's' : ''} ${listWords(lostZones)}`);
  if (lostTypes.length > 0) {
    const families = [...new Set(lostTypes.map((t) => t.labels[LABEL_INSTANCE_FAMILY] ?? t.name))].sort(byName);
    parts.push(`${lostTypes.length} instance type${lostTypes.length > 1 ? 's' : ''} (famil${families.length > 1 ? 'ies' : 'y'} ${listWords(families, 6)})`);
  }
  if (parts.length === 0) return undefined;
  return {
    kind: 'drift',
    severity: 'warning',
    objectKind: 'NodePool',
    name,
    summary: `NodePool ${name}: nodes on ${parts.join(', ')} no longer meet its requirements, so they drift and are replaced`,
  };
}

function nodeClassDrift(name: string, before: EC2NodeClass, after: EC2NodeClass, pools: readonly NodePool[]): Consequence | undefined {
  if (nodeClassHash(before) === nodeClassHash(after)) return undefined;
  const b = (before.spec ?? {}) as unknown as Record<string, unknown>;
  const a = (after.spec ?? {}) as unknown as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !['subnetSelectorTerms', 'securityGroupSelectorTerms', 'capacityReservationSelectorTerms'].includes(k))
    .filter((k) => canonicalJson(b[k]) !== canonicalJson(a[k]))
    .sort(byName);
  const users = pools.filter((p) => p.spec.template.spec.nodeClassRef?.name === name).map((p) => p.metadata.name ?? '').sort(byName);
  const who = users.length > 0 ? `every node of NodePool${users.length > 1 ? 's' : ''} ${listWords(users)} drifts and is replaced` : 'no NodePool in head uses it, so no node drifts';
  return {
    kind: 'drift',
    severity: users.length > 0 ? 'warning' : 'info',
    objectKind: 'EC2NodeClass',
    name,
    summary: `EC2NodeClass ${name}: ${listWords(fields)} changed, so ${who}`,
  };
}

// ---------------------------------------------------------------------------------------
// Expiry, consolidation, budgets.

function expireAfterShortened(name: string, before: NodePool, after: NodePool): Consequence | undefined {
  const b = before.spec.template.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER;
  const a = after.spec.template.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER;
  let bm: number;
  let am: number;
  try {
    bm = parseDuration(b);
    am = parseDuration(a);
  } catch {
    return undefined;
  }
  if (am >= bm) return undefined;
  return {
    kind: 'expire-after-shortened',
    severity: 'warning',
    objectKind: 'NodePool',
    name,
    summary: `NodePool ${name}: expireAfter ${b} -> ${a}: running nodes keep the expireAfter they were launched with (none is expired early); they drift and are replaced within the disruption budget, and each replacement expires ${formatDuration(am)} after it is launched (expiration is forceful: disruption budgets do not hold it back)`,
  };
}

function consolidationMoreAggressive(name: string, before: NodePool, after: NodePool): Consequence | undefined {
  const parts: string[] = [];
  const bp = before.spec.disruption?.consolidationPolicy ?? 'WhenEmptyOrUnderutilized';
  const ap = after.spec.disruption?.consolidationPolicy ?? 'WhenEmptyOrUnderutilized';
  // WhenEmpty < Balanced (nodes with pods, when the move pays for its disruption) < WhenEmptyOrUnderutilized.
  const rank: Record<string, number> = { WhenEmpty: 0, Balanced: 1, WhenEmptyOrUnderutilized: 2 };
  if ((rank[ap] ?? 2) > (rank[bp] ?? 2)) {
    const what = bp === 'WhenEmpty' ? (ap === 'Balanced' ? 'nodes with pods are now consolidated too, when the move pays for its disruption' : 'nodes with pods are now consolidated too') : 'moves are no longer scored against the disruption they cause';
    parts.push(`consolidationPolicy ${bp} -> ${ap} (${what})`);
  }
  const b = before.spec.disruption?.consolidateAfter;
  const a = after.spec.disruption?.consolidateAfter;
  if (b !== undefined && a !== undefined) {
    try {
      if (parseDuration(a) < parseDuration(b)) parts.push(`consolidateAfter ${b} -> ${a}`);
    } catch {
      // An invalid duration is a compile error reported elsewhere.
    }
  }
  if (parts.length === 0) return undefined;
  return { kind: 'consolidation-more-aggressive', severity: 'info', objectKind: 'NodePool', name, summary: `NodePool ${name}: consolidation is more aggressive: ${parts.join('; ')}` };
}

/** Pool sizes at which budget caps are compared (a percentage and a count cross somewhere). */
const POOL_SIZES = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];

function budgetWords(b: ParsedBudget | undefined): string {
  if (!b) return 'no always-active budget (any number of nodes)';
  const nodes = 'count' in b.nodes ? `${b.nodes.count} node${b.nodes.count === 1 ? '' : 's'}` : `${b.nodes.percent}% of nodes`;
  return nodes;
}

function alwaysActive(budgets: readonly ParsedBudget[], reason: DisruptionReason, size: number): { cap: number; budget: ParsedBudget | undefined } {
  let cap = size;
  let budget: ParsedBudget | undefined;
  for (const b of budgets) {
    if (b.window || (b.reasons && !b.reasons.has(reason))) continue;
    const c = budgetCap(b, size);
    if (budget === undefined || c < cap) {
      cap = Math.min(c, size);
      budget = b;
    }
  }
  return { cap, budget };
}

function windowKey(b: ParsedBudget): string {
  return `${b.source.schedule}|${b.source.duration}|${[...(b.reasons ?? [])].sort().join(',')}`;
}

function windowWords(b: ParsedBudget): string {
  const reasons = b.reasons ? ` for ${listWords([...b.reasons].sort(byName))}` : '';
  return `${budgetWords(b)} during "${b.source.schedule}" for ${b.source.duration}${reasons}`;
}

function budgetChanges(name: string, before: NodePool, after: NodePool): Consequence[] {
  let b: ParsedBudget[];
  let a: ParsedBudget[];
  try {
    b = parseBudgets(before.spec.disruption?.budgets);
    a = parseBudgets(after.spec.disruption?.budgets);
  } catch {
    return [];
  }
  const out: Consequence[] = [];
  const base = { objectKind: 'NodePool' as const, name };
  const hadExplicit = (before.spec.disruption?.budgets?.length ?? 0) > 0;
  const hasExplicit = (after.spec.disruption?.budgets?.length ?? 0) > 0;
  if (hadExplicit && !hasExplicit) {
    out.push({ ...base, kind: 'budget-removed', severity: 'warning', summary: `NodePool ${name}: all disruption budgets removed; Karpenter's default (10% of nodes at once) applies` });
  }
  // Always-active caps, per reason: weakened when head lets more nodes go at once at some
  // pool size. Reasons that changed the same way are said once.
  const byChange = new Map<string, DisruptionReason[]>();
  for (const reason of DISRUPTION_REASONS) {
    const size = POOL_SIZES.find((n) => alwaysActive(a, reason, n).cap > alwaysActive(b, reason, n).cap);
    if (size === undefined) continue;
    const was = alwaysActive(b, reason, size);
    const now = alwaysActive(a, reason, size);
    const change = `${budgetWords(was.budget)} -> ${budgetWords(now.budget)} (on a pool of ${size} node${size === 1 ? '' : 's'}: ${was.cap} -> ${now.cap} at once)`;
    byChange.set(change, [...(byChange.get(change) ?? []), reason]);
  }
  if (byChange.size > 0) {
    const parts = [...byChange].map(([change, reasons]) => `${reasons.length === DISRUPTION_REASONS.length ? 'for every reason' : `for ${listWords(reasons)}`}: ${change}`);
    out.push({ ...base, kind: 'budget-weakened', severity: 'warning', summary: `NodePool ${name}: disruption budget weakened ${parts.join('; ')}` });
  }
  // Scheduled windows: removed, or raised.
  const headWindows = new Map(a.filter((x) => x.window).map((x) => [windowKey(x), x]));
  for (const was of b.filter((x) => x.window)) {
    const now = headWindows.get(windowKey(was));
    if (!now) {
      if (!(hadExplicit && !hasExplicit)) out.push({ ...base, kind: 'budget-removed', severity: 'warning', summary: `NodePool ${name}: budget removed: ${windowWords(was)}` });
      continue;
    }
    const size = POOL_SIZES.find((n) => budgetCap(now, n) > budgetCap(was, n));
    if (size !== undefined) {
      out.push({ ...base, kind: 'budget-weakened', severity: 'warning', summary: `NodePool ${name}: scheduled budget weakened: ${windowWords(was)} -> ${budgetWords(now)}` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Removed pools (reconciler/controllers/disruption/removal.ts).

function poolRemoved(name: string, before: NodePool): Consequence {
  const tgp = before.spec.template.spec.terminationGracePeriod;
  const blocked = tgp
    ? `a pod's do-not-disrupt or a PodDisruptionBudget does not hold a node back: its pods are deleted once the node has drained for terminationGracePeriod ${tgp}`
    : 'a node with a do-not-disrupt pod or a pod a PodDisruptionBudget protects stays until that no longer holds (the pool sets no terminationGracePeriod)';
  return {
    kind: 'pool-removed',
    severity: 'warning',
    objectKind: 'NodePool',
    name,
    summary:
      `NodePool ${name} removed: its nodes are replaced in other NodePools and removed, replacements first, at most ${REMOVAL_BUDGET.nodes} of the pool's nodes at a time (its own budgets go with it); ` +
      `a node whose pods fit no other NodePool stays, reported, until they do; ${blocked}. ` +
      `The NodePool object is held by joinery's finalizer until its nodes are gone; a prune with foreground propagation (Argo CD's default) deletes every NodeClaim at once instead (drained together, PDBs honoured)`,
  };
}

// ---------------------------------------------------------------------------------------
// Findings.

/** Same rule, same object, same field: line numbers move, so they are not part of the identity. */
function findingKey(d: Diagnostic): string {
  return [d.code, d.object?.kind ?? '', d.object?.name ?? '', d.field ?? '', d.object ? '' : (d.file ?? '')].join('|');
}

/**
 * Head's diagnostics, each marked new unless base has the same one (or, when base could
 * not be compiled, all new: nothing shows they were there before).
 */
export function markNewFindings(base: readonly Diagnostic[] | undefined, head: readonly Diagnostic[]): PlanFinding[] {
  const known = new Set((base ?? []).map(findingKey));
  return head.map((d) => ({ ...d, new: base === undefined || !known.has(findingKey(d)) }));
}

function findingConsequence(f: PlanFinding): Consequence {
  const where = f.object ? `${f.object.kind} ${f.object.name}` : (f.file ?? 'policies');
  return {
    kind: 'new-finding',
    severity: f.acknowledged !== undefined ? 'info' : f.severity,
    objectKind: f.object?.kind === 'NodePool' || f.object?.kind === 'EC2NodeClass' ? f.object.kind : undefined,
    name: f.object?.name,
    summary: `${where}: [${f.code}]${f.field ? ` ${f.field}:` : ''} ${f.message}${f.acknowledged !== undefined ? ` (acknowledged: ${f.acknowledged})` : ''}`,
  };
}

// ---------------------------------------------------------------------------------------

export function consequencesOf(
  base: IntentModel | undefined,
  head: IntentModel,
  findings: readonly PlanFinding[],
  catalog: readonly InstanceType[],
): Consequence[] {
  const out: Consequence[] = findings.filter((f) => f.new).map(findingConsequence);
  if (!base) return out;
  const bp = byNameMap(base.nodePools);
  const hp = byNameMap(head.nodePools);
  for (const [name, before] of [...bp].sort(([x], [y]) => byName(x, y))) {
    const after = hp.get(name);
    if (!after) {
      out.push(poolRemoved(name, before));
      continue;
    }
    for (const c of [
      templateDrift(name, before, after),
      requirementDrift(name, before, after, catalog),
      expireAfterShortened(name, before, after),
      ...budgetChanges(name, before, after),
      consolidationMoreAggressive(name, before, after),
    ]) {
      if (c) out.push(c);
    }
  }
  const bc = byNameMap(base.ec2NodeClasses);
  const hc = byNameMap(head.ec2NodeClasses);
  for (const [name, before] of [...bc].sort(([x], [y]) => byName(x, y))) {
    const after = hc.get(name);
    if (!after) continue; // Its pools' nodeClassRef changed or they were removed: reported on the pools.
    const c = nodeClassDrift(name, before, after, [...hp.values()]);
    if (c) out.push(c);
  }
  const order = { error: 0, warning: 1, info: 2 };
  return out.sort((x, y) => order[x.severity] - order[y.severity]);
}
