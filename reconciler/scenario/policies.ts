// The simulator's intent: the repository's policies compiled by the compiler (exactly as
// `joinery compile` does), and later commits made by the scenario as patches on the
// compiled manifests. Every commit is validated by the compiler's manifest parser, the
// one the git IntentSource uses, so a scenario can also show a bad commit rejected.

import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import { canonicalJson } from '../../core/canonical.ts';
import type { IntentProblem } from '../ports/intent.ts';
import type { PolicyCommit } from './scenario.ts';

export interface CompiledIntent {
  readonly commit: string;
  readonly message: string;
  readonly nodePools: readonly NodePool[];
  readonly nodeClasses: readonly EC2NodeClass[];
}

export class PolicyCompileError extends Error {
  constructor(
    message: string,
    readonly diagnostics: readonly string[],
  ) {
    super(message);
    this.name = 'PolicyCompileError';
  }
}

/** A git-like commit id for an intent: SHA-1 of its canonical content and message. */
function commitId(nodePools: readonly NodePool[], nodeClasses: readonly EC2NodeClass[], message: string): string {
  return createHash('sha1').update(canonicalJson({ nodePools, nodeClasses, message })).digest('hex');
}

/** Compiles `policiesDir` under `root` with the compiler; throws PolicyCompileError with its diagnostics. */
export async function compilePolicyDir(root: string, policiesDir: string, options: { typecheck: boolean }): Promise<CompiledIntent> {
  const { compilePolicies } = await import('../../compiler/compile.ts');
  const { formatDiagnostic } = await import('../../compiler/diagnostics.ts');
  const result = await compilePolicies({ root, policiesDir, typecheck: options.typecheck });
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.acknowledged === undefined).map(formatDiagnostic);
    throw new PolicyCompileError(`the policies in ${policiesDir} do not compile (${errors.length} error(s))`, errors);
  }
  if (result.clusters) {
    // A day is simulated on one cluster's intent; a repository of clusters has one per cluster.
    throw new PolicyCompileError(`the policies in ${policiesDir} declare clusters (${result.clusters.map((c) => c.name).join(', ')}): simulate runs a single-cluster repository only`, [
      'fix: simulate a copy of the policies without the defineClusters file (policy.cluster is then undefined), or a single-cluster policies directory (--policies)',
    ]);
  }
  const nodePools = result.model.nodePools.map((o) => o.manifest);
  const nodeClasses = result.model.ec2NodeClasses.map((o) => o.manifest);
  const message = `compile ${policiesDir}`;
  return { commit: commitId(nodePools, nodeClasses, message), message, nodePools, nodeClasses };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o: Record<string, unknown> = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === null) delete o[last];
  else o[last] = structuredClone(value);
}

export type CommitOutcome =
  | { readonly ok: true; readonly intent: CompiledIntent }
  | { readonly ok: false; readonly commit: string; readonly problems: readonly IntentProblem[] };

/**
 * Applies a scenario commit (requirement replacements by key, dot-path sets) to the
 * intent in force, then validates the result with the compiler's manifest parser.
 */
export async function applyPolicyCommit(base: CompiledIntent, change: PolicyCommit, scenarioFile: string): Promise<CommitOutcome> {
  const { parseIntentManifestFiles } = await import('../../compiler/manifests/index.ts');
  const nodePools = base.nodePools.map((p) => structuredClone(p));
  const nodeClasses = base.nodeClasses.map((c) => structuredClone(c));
  const problems: IntentProblem[] = [];
  for (const [name, patch] of Object.entries(change.nodePools)) {
    const pool = nodePools.find((p) => p.metadata.name === name);
    if (!pool) {
      problems.push({ file: scenarioFile, field: `policyCommit.nodePools.${name}`, message: `no NodePool ${name} in the intent (have: ${nodePools.map((p) => p.metadata.name).join(', ')})` });
      continue;
    }
    if (patch.requirements) {
      const keys = new Set(patch.requirements.map((r) => r.key));
      const kept = pool.spec.template.spec.requirements.filter((r) => !keys.has(r.key));
      pool.spec.template.spec.requirements = [
        ...kept,
        ...patch.requirements.map((r) => ({ key: r.key, operator: r.operator as NodePool['spec']['template']['spec']['requirements'][number]['operator'], ...(r.values ? { values: [...r.values] } : {}) })),
      ];
    }
    for (const [path, value] of Object.entries(patch.set ?? {})) setPath(pool as unknown as Record<string, unknown>, path, value);
  }
  for (const [name, patch] of Object.entries(change.nodeClasses)) {
    const nc = nodeClasses.find((c) => c.metadata.name === name);
    if (!nc) {
      problems.push({ file: scenarioFile, field: `policyCommit.nodeClasses.${name}`, message: `no EC2NodeClass ${name} in the intent` });
      continue;
    }
    for (const [path, value] of Object.entries(patch.set ?? {})) setPath(nc as unknown as Record<string, unknown>, path, value);
  }
  const commit = commitId(nodePools, nodeClasses, change.message);
  if (problems.length > 0) return { ok: false, commit, problems };
  // Validate as the git IntentSource would: the generated files, parsed and checked.
  const files = [
    ...nodePools.map((p) => ({ path: `generated/nodepools/${p.metadata.name}.yaml`, content: stringify(p) })),
    ...nodeClasses.map((c) => ({ path: `generated/ec2nodeclasses/${c.metadata.name}.yaml`, content: stringify(c) })),
  ];
  const parsed = parseIntentManifestFiles(files);
  if (!parsed.ok) {
    return { ok: false, commit, problems: parsed.errors.map((e) => ({ file: e.file, field: e.field, message: `${e.message} (${e.fix})` })) };
  }
  return { ok: true, intent: { commit, message: change.message, nodePools, nodeClasses } };
}

export type ConsolidationPolicy = NonNullable<NodePool['spec']['disruption']>['consolidationPolicy'];

/**
 * The intent with every pool that consolidates under-used nodes (WhenEmptyOrUnderutilized
 * or Balanced) switched to `policy`: the same day under another consolidation policy
 * without editing policies/. Pools that consolidate only when empty, or never, keep theirs.
 */
export function withConsolidationPolicy(intent: CompiledIntent, policy: 'WhenEmptyOrUnderutilized' | 'Balanced'): CompiledIntent {
  const nodePools = intent.nodePools.map((p) => {
    const current = p.spec.disruption?.consolidationPolicy ?? 'WhenEmptyOrUnderutilized';
    if (current === 'WhenEmpty' || current === policy || p.spec.disruption?.consolidateAfter === 'Never') return p;
    return { ...p, spec: { ...p.spec, disruption: { ...p.spec.disruption, consolidationPolicy: policy } } } as NodePool;
  });
  const message = `${intent.message} (consolidationPolicy: ${policy})`;
  return { commit: commitId(nodePools, intent.nodeClasses, message), message, nodePools, nodeClasses: intent.nodeClasses };
}
