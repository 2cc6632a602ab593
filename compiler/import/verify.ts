// Builds construct plans with the real policy API in memory and compares what they compile
// to with the imported objects: the proof that the written policies reproduce them.
import { App } from 'cdk8s';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { EC2NodeClass } from '../api/ec2nodeclass.ts';
import { NodePool } from '../api/nodepool.ts';
import { DiscoveryEC2NodeClass, GeneralPurposeNodePool, GpuNodePool, SpotBatchNodePool } from '../api/presets.ts';
import { Policy } from '../api/policy.ts';
import { canonicalRequirements } from '../api/requirements.ts';
import { resolveProps, type ConstructPlan } from './construct-plan.ts';
import { sortKeys } from './convert.ts';
import type { Construct } from 'constructs';

type Ctor = new (scope: Construct, id: string, props: never) => { toJson(): unknown };
export const CONSTRUCT_CLASSES: Readonly<Record<ConstructPlan['className'], Ctor>> = {
  NodePool: NodePool as unknown as Ctor,
  GeneralPurposeNodePool: GeneralPurposeNodePool as unknown as Ctor,
  GpuNodePool: GpuNodePool as unknown as Ctor,
  SpotBatchNodePool: SpotBatchNodePool as unknown as Ctor,
  EC2NodeClass: EC2NodeClass as unknown as Ctor,
  DiscoveryEC2NodeClass: DiscoveryEC2NodeClass as unknown as Ctor,
};

/** The comparable part of a NodePool or EC2NodeClass: name, labels, annotations and spec, requirements in canonical order. */
export function comparable(object: { metadata?: { name?: string; labels?: unknown; annotations?: Record<string, string> }; spec?: unknown }): unknown {
  const spec = JSON.parse(JSON.stringify(object.spec ?? {})) as { template?: { spec?: { requirements?: never[] } } };
  if (spec.template?.spec?.requirements) spec.template.spec.requirements = canonicalRequirements(spec.template.spec.requirements) as never[];
  const annotations = Object.fromEntries(Object.entries(object.metadata?.annotations ?? {}).filter(([k]) => !k.startsWith('argocd.argoproj.io/')));
  return sortKeys({
    name: object.metadata?.name,
    labels: object.metadata?.labels ?? {},
    annotations,
    spec,
  });
}

/** Builds the plans (classes first, so pools can refer to them) and returns each object's compiled manifest by `kind/name`. */
export function buildPlans(plans: readonly ConstructPlan[]): Map<string, unknown> {
  const app = new App({ outdir: join(tmpdir(), 'joinery-import-unused') });
  const policy = new Policy(app, 'import', 'policies/import.ts');
  const env = new Map<string, unknown>();
  const built = new Map<string, { toJson(): unknown }>();
  const ordered = [...plans.filter((p) => p.kind === 'EC2NodeClass'), ...plans.filter((p) => p.kind === 'NodePool')];
  for (const plan of ordered) {
    const Class = CONSTRUCT_CLASSES[plan.className];
    const construct = new Class(policy, plan.name, resolveProps(plan.props, env) as never);
    env.set(plan.variable, construct);
    built.set(`${plan.kind}/${plan.name}`, construct);
  }
  const out = new Map<string, unknown>();
  for (const [key, construct] of built) out.set(key, construct.toJson());
  return out;
}

/** Whether one plan alone (with the classes it refers to) compiles to `target`. */
export function planReproduces(plan: ConstructPlan, target: unknown, classes: readonly ConstructPlan[] = []): boolean {
  try {
    const manifests = buildPlans([...classes, plan]);
    return JSON.stringify(comparable(manifests.get(`${plan.kind}/${plan.name}`) as never)) === JSON.stringify(comparable(target as never));
  } catch {
    return false;
  }
}
