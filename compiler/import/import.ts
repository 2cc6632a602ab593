// `joinery import`: Karpenter NodePool and EC2NodeClass manifests (v1, or v1beta1 converted
// as Karpenter v1 does) to typed policies in policies/. One file per EC2NodeClass with the
// NodePools that use it (pools of a class not imported get a file each). Each object is
// built in memory with the real policy API and compared with the imported object before
// anything is written; the guardrails then review the imported policies.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { App } from 'cdk8s';
import { tmpdir } from 'node:os';
import { Policy } from '../api/policy.ts';
import { compileCharts } from '../compile.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { acknowledgementAnnotation } from '../guardrails/ids.ts';
import { resolveProps, type ConstructPlan } from './construct-plan.ts';
import { convertToV1, type ConvertedObject } from './convert.ts';
import { withNodeClassPreset, withNodePoolPreset } from './presets.ts';
import type { ImportedObject } from './read.ts';
import { renderPolicyFile } from './render.ts';
import { nodeClassPlan, nodePoolPlan } from './to-props.ts';
import { buildPlans, comparable, CONSTRUCT_CLASSES } from './verify.ts';

export interface ImportedPolicyFile {
  /** Relative to the project root. */
  path: string;
  content: string;
  objects: { kind: 'NodePool' | 'EC2NodeClass'; name: string; className: string; origin: string }[];
}

export interface ImportReport {
  files: ImportedPolicyFile[];
  /** Per object: what was converted (v1beta1 -> v1, defaults written, fields dropped). */
  conversions: { kind: string; name: string; origin: string; conversions: string[] }[];
  /** Fields the policy API cannot express: in the file as a comment (NodePool) or the spec escape hatch (EC2NodeClass). */
  unexpressed: { kind: string; name: string; field: string; why: string }[];
  /** Objects whose compiled form differs from the input (should be none): the field paths that differ. */
  mismatches: { kind: string; name: string; detail: string }[];
  /** The guardrails' findings on the imported policies: the first review. */
  review: Diagnostic[];
}

export interface ImportOptions {
  root: string;
  /** Policies directory, relative to the root (default policies). */
  policiesDir?: string;
  /** The import specifier of the policy API in the written files. */
  api?: string;
}

export class ImportConflictError extends Error {
  override name = 'ImportConflictError';
}

/** The import specifier a policy in `policiesDir` uses to reach the policy API. */
export function defaultApiSpecifier(root: string, policiesDir: string, apiEntry: string): string {
  const local = join(root, 'compiler/api/index.ts');
  if (existsSync(local)) {
    const rel = relative(join(root, policiesDir), local);
    return rel.startsWith('.') ? rel : `./${rel}`;
  }
  if (existsSync(join(root, 'node_modules/joinery/package.json'))) return 'joinery';
  return apiEntry;
}

function fileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.ts`;
}

/** The target of the round trip: the converted object without the fields a NodePool cannot express. */
function target(o: ConvertedObject, plan: ConstructPlan): unknown {
  const copy = JSON.parse(JSON.stringify(o.object)) as Record<string, unknown>;
  if (plan.kind === 'NodePool') {
    for (const u of plan.unexpressed) {
      if (u.field.includes('[')) continue; // taint fields pass through with a cast
      const path = u.field.split('.');
      let node = copy as Record<string, unknown>;
      for (const key of path.slice(0, -1)) node = (node?.[key] ?? {}) as Record<string, unknown>;
      delete node[path[path.length - 1]!];
    }
  }
  return copy;
}

function differences(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [`${path || '(root)'}: compiles to ${JSON.stringify(a)}, imported ${JSON.stringify(b)}`];
}

export function importObjects(objects: readonly ImportedObject[], options: ImportOptions): ImportReport {
  const policiesDir = options.policiesDir ?? 'policies';
  const api = options.api ?? defaultApiSpecifier(options.root, policiesDir, new URL('../api/index.ts', import.meta.url).pathname);
  const converted = convertToV1(objects);
  const classes = converted.filter((o) => o.kind === 'EC2NodeClass');
  const pools = converted.filter((o) => o.kind === 'NodePool');

  const classPlans = new Map<string, ConstructPlan>();
  const targets = new Map<string, unknown>();
  for (const o of classes) {
    const plain = nodeClassPlan(o);
    targets.set(`EC2NodeClass/${o.name}`, target(o, plain));
    classPlans.set(o.name, withNodeClassPreset(plain, targets.get(`EC2NodeClass/${o.name}`)));
  }
  const poolPlans: ConstructPlan[] = [];
  for (const o of pools) {
    const refName = String(((o.object.spec.template as { spec?: { nodeClassRef?: { name?: string } } }).spec?.nodeClassRef?.name) ?? '');
    const classPlan = classPlans.get(refName);
    const plain = nodePoolPlan(o, classPlan?.variable);
    const t = target(o, plain) as { metadata: { annotations?: Record<string, string> } };
    if (!classPlan) {
      // EC2NodeClass.fromName records its reason as the acknowledgement of unknown-node-class.
      const reason = ((plain.props.nodeClass as { resolve: (env: ReadonlyMap<string, unknown>) => { externalReason: string } }).resolve(new Map())).externalReason;
      t.metadata.annotations = { ...t.metadata.annotations, [acknowledgementAnnotation('unknown-node-class')]: reason };
      o.conversions.push(`EC2NodeClass ${refName} is not among the imported objects: referred to with EC2NodeClass.fromName, which acknowledges unknown-node-class with the reason "${reason}"; import that class too, or keep the reason`);
    }
    targets.set(`NodePool/${o.name}`, t);
    poolPlans.push(withNodePoolPreset(plain, t, classPlan ? [classPlan] : []));
  }

  // One file per class with its pools; pools of classes not imported get a file each.
  const groups = new Map<string, ConstructPlan[]>();
  for (const plan of classPlans.values()) groups.set(plan.name, [plan]);
  for (const plan of poolPlans) {
    const ref = pools.find((p) => p.name === plan.name)!;
    const refName = String(((ref.object.spec.template as { spec?: { nodeClassRef?: { name?: string } } }).spec?.nodeClassRef?.name) ?? '');
    if (groups.has(refName) && classPlans.has(refName)) groups.get(refName)!.push(plan);
    else groups.set(`pool:${plan.name}`, [plan]);
  }
  const notes = new Map(converted.map((o) => [`${o.kind}/${o.name}`, o.conversions] as const));
  const files: ImportedPolicyFile[] = [];
  const usedNames = new Set<string>();
  for (const [key, plans] of groups) {
    let base = fileName(key.startsWith('pool:') ? key.slice(5) : key);
    if (usedNames.has(base)) base = fileName(`${key.replace(/^pool:/, '')}-pool`);
    usedNames.add(base);
    const referenced = new Set(plans.filter((p) => p.kind === 'NodePool').flatMap((p) => {
      const nc = p.props.nodeClass as { code?: string } | undefined;
      return nc?.code ? [nc.code] : [];
    }));
    files.push({
      path: join(policiesDir, base),
      content: renderPolicyFile({ plans, api, notes, referenced }),
      objects: plans.map((p) => ({ kind: p.kind, name: p.name, className: p.className, origin: p.origin })),
    });
  }

  // The round trip: every object built by the real policy API, compared with the input.
  const allPlans = [...classPlans.values(), ...poolPlans];
  const mismatches: ImportReport['mismatches'] = [];
  const built = buildPlans(allPlans);
  for (const plan of allPlans) {
    const key = `${plan.kind}/${plan.name}`;
    for (const d of differences(comparable(built.get(key) as never), comparable(targets.get(key) as never))) mismatches.push({ kind: plan.kind, name: plan.name, detail: d });
  }

  // The first review: the guardrails on the imported policies, as `joinery compile` runs them.
  const review = reviewPlans(files, allPlans, options.root);

  return {
    files,
    conversions: converted.filter((o) => o.conversions.length > 0).map((o) => ({ kind: o.kind, name: o.name, origin: o.origin, conversions: o.conversions })),
    unexpressed: allPlans.flatMap((p) => p.unexpressed.map((u) => ({ kind: p.kind, name: p.name, field: u.field, why: u.why }))),
    mismatches,
    review,
  };
}

/** Writes the imported policy files; refuses to overwrite a file unless `force`. */
export function writeImportedFiles(report: ImportReport, root: string, force = false): void {
  const existing = report.files.filter((f) => existsSync(join(root, f.path)));
  if (existing.length > 0 && !force) {
    throw new ImportConflictError(`${existing.map((f) => f.path).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. Pass --force to overwrite, or --policies <dir> to write elsewhere`);
  }
  for (const f of report.files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
  }
}

function reviewPlans(files: readonly ImportedPolicyFile[], plans: readonly ConstructPlan[], root: string): Diagnostic[] {
  const app = new App({ outdir: join(tmpdir(), 'joinery-import-unused') });
  const env = new Map<string, unknown>();
  const charts: Policy[] = [];
  const byName = new Map(plans.map((p) => [`${p.kind}/${p.name}`, p]));
  const ordered = [...files].sort((a, b) => Number(b.objects.some((o) => o.kind === 'EC2NodeClass')) - Number(a.objects.some((o) => o.kind === 'EC2NodeClass')));
  for (const file of ordered) {
    const policy = new Policy(app, file.path.replace(/^.*\//, '').replace(/\.ts$/, ''), file.path);
    charts.push(policy);
    const objects = [...file.objects.filter((o) => o.kind === 'EC2NodeClass'), ...file.objects.filter((o) => o.kind === 'NodePool')];
    for (const o of objects) {
      const plan = byName.get(`${o.kind}/${o.name}`)!;
      const construct = new CONSTRUCT_CLASSES[plan.className](policy, plan.name, resolveProps(plan.props, env) as never);
      env.set(plan.variable, construct);
    }
  }
  // Diagnostics point at the policy file (the constructs were built here, not by the file).
  const { diagnostics } = compileCharts(charts, { root });
  return diagnostics.filter((d) => d.code !== 'no-node-pools').map((d) => {
    const file = files.find((f) => d.object && f.objects.some((o) => o.kind === d.object!.kind && o.name === d.object!.name));
    const { line: _line, column: _column, ...rest } = d;
    return file ? { ...rest, file: file.path } : rest;
  });
}
