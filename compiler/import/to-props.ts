// `joinery import`, step 3: a v1 object as the props of a plain NodePool or EC2NodeClass.
// Requirements on well-known labels become typed fields (instances, architectures,
// capacityTypes, zones, ...) when they say exactly the same; everything else stays in the
// raw `requirements`. A field the policy API cannot express is recorded, not dropped.
import type { NodeSelectorRequirementWithMinValues } from '../../core/api/karpenter.ts';
import { ACKNOWLEDGEMENT_ANNOTATION_PREFIX } from '../guardrails/ids.ts';
import { LabelKey } from '../api/labels.ts';
import { buildRequirements, canonicalRequirements, type RequirementsInput } from '../api/requirements.ts';
import { ALIAS_FAMILY_TO_AMI_FAMILY } from '../../core/contract/index.ts';
import { Code, variableName, type ConstructPlan } from './construct-plan.ts';
import type { ConvertedObject } from './convert.ts';
import { literal } from './render.ts';
import { sortKeys } from './convert.ts';

type Json = Record<string, unknown>;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

/** Object labels/annotations, with joinery's guardrail acknowledgements lifted into `acknowledge`. */
function metadataProps(metadata: ConvertedObject['object']['metadata'], props: Json): void {
  const annotations: Record<string, string> = {};
  const acknowledge: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.annotations ?? {})) {
    if (k.startsWith(ACKNOWLEDGEMENT_ANNOTATION_PREFIX)) acknowledge[k.slice(ACKNOWLEDGEMENT_ANNOTATION_PREFIX.length)] = v;
    else annotations[k] = v;
  }
  const meta: Json = {};
  if (metadata.labels) meta.labels = metadata.labels;
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  if (Object.keys(meta).length > 0) props.metadata = meta;
  if (Object.keys(acknowledge).length > 0) props.acknowledge = acknowledge;
}

type Req = NodeSelectorRequirementWithMinValues;
const FLEX: Readonly<Record<string, string>> = {
  [LabelKey.instanceCategory]: 'categories',
  [LabelKey.instanceFamily]: 'families',
  [LabelKey.instanceGeneration]: 'generations',
  [LabelKey.instanceSize]: 'sizes',
  [LabelKey.instanceType]: 'types',
};
const LISTS: readonly [string, 'In' | 'NotIn', string[]][] = [
  [LabelKey.instanceCategory, 'In', ['instances', 'categories']],
  [LabelKey.instanceFamily, 'In', ['instances', 'families']],
  [LabelKey.instanceFamily, 'NotIn', ['instances', 'excludeFamilies']],
  [LabelKey.instanceSize, 'In', ['instances', 'sizes']],
  [LabelKey.instanceSize, 'NotIn', ['instances', 'excludeSizes']],
  [LabelKey.instanceType, 'In', ['instances', 'types']],
  [LabelKey.instanceType, 'NotIn', ['instances', 'excludeTypes']],
  [LabelKey.instanceCpuManufacturer, 'In', ['instances', 'cpuManufacturers']],
  [LabelKey.instanceHypervisor, 'In', ['instances', 'hypervisors']],
  [LabelKey.instanceGpuName, 'In', ['instances', 'gpu', 'names']],
  [LabelKey.instanceGpuManufacturer, 'In', ['instances', 'gpu', 'manufacturers']],
  [LabelKey.arch, 'In', ['architectures']],
  [LabelKey.os, 'In', ['operatingSystems']],
  [LabelKey.capacityType, 'In', ['capacityTypes']],
  [LabelKey.zone, 'In', ['zones']],
];
const RANGES: readonly [string, string[], 'count' | 'mib'][] = [
  [LabelKey.instanceGeneration, ['instances', 'generation'], 'count'],
  [LabelKey.instanceCpu, ['instances', 'cpu'], 'count'],
  [LabelKey.instanceMemory, ['instances', 'memory'], 'mib'],
  [LabelKey.instanceGpuCount, ['instances', 'gpu', 'count'], 'count'],
  [LabelKey.instanceGpuMemory, ['instances', 'gpu', 'memory'], 'mib'],
];

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Json;
  node[path[path.length - 1]!] = value;
}

/** Typed requirement props that build exactly `requirements` (compared in canonical order), or all raw. */
export function requirementProps(requirements: readonly Req[]): RequirementsInput {
  const raw = (): RequirementsInput => (requirements.length > 0 ? { requirements: requirements.map((r) => ({ ...r, ...(r.values ? { values: [...r.values] } : {}) })) } : {});
  const out: Json = {};
  const rest: Req[] = [];
  const used = new Set<string>();
  const take = (r: Req): boolean => {
    const id = `${r.key} ${r.operator}`;
    if (used.has(id)) return false;
    used.add(id);
    return true;
  };
  const hasGpuCount = requirements.some((r) => r.key === LabelKey.instanceGpuCount && (r.operator === 'Gt' || r.operator === 'Lt'));
  for (const r of requirements) {
    const list = LISTS.find(([key, op]) => key === r.key && op === r.operator);
    const range = RANGES.find(([key]) => key === r.key);
    const gpu = r.key.startsWith('karpenter.k8s.aws/instance-gpu-');
    const values = r.values ?? [];
    if (gpu && !hasGpuCount) {
      rest.push(r);
    } else if (list && values.length > 0 && (!gpu || values.every((v) => v === v.toLowerCase())) && (r.minValues === undefined || FLEX[r.key]) && take(r)) {
      setPath(out, list[2], [...values]);
      if (r.minValues !== undefined) setPath(out, ['instances', 'minValues', FLEX[r.key]!], r.minValues);
    } else if (range && (r.operator === 'Gt' || r.operator === 'Lt') && values.length === 1 && /^[0-9]+$/.test(values[0]!) && r.minValues === undefined && take(r)) {
      const n = Number(values[0]);
      const bound = r.operator === 'Gt' ? n + 1 : n - 1;
      if (bound < 0) {
        rest.push(r);
        continue;
      }
      setPath(out, [...range[1], r.operator === 'Gt' ? 'min' : 'max'], range[2] === 'mib' ? `${bound}Mi` : bound);
    } else if (r.operator === 'Exists' && FLEX[r.key] && r.minValues !== undefined && (r.values ?? []).length === 0 && take(r)) {
      setPath(out, ['instances', 'minValues', FLEX[r.key]!], r.minValues);
    } else {
      rest.push(r);
    }
  }
  if (rest.length > 0) out.requirements = rest.map((r) => ({ ...r }));
  const typed = out as RequirementsInput;
  const built = buildRequirements(typed);
  if (built.issues.length === 0 && same(canonicalRequirements(built.requirements), canonicalRequirements(requirements))) return typed;
  return raw();
}

const NODEPOOL_SPEC_KEYS = new Set(['template', 'disruption', 'limits', 'weight', 'replicas']);
const TEMPLATE_SPEC_KEYS = new Set(['nodeClassRef', 'requirements', 'taints', 'startupTaints', 'expireAfter', 'terminationGracePeriod']);
const DISRUPTION_KEYS = new Set(['consolidationPolicy', 'consolidateAfter', 'budgets']);

function taintsProp(taints: unknown, field: string, plan: ConstructPlan): unknown[] {
  return (taints as Json[]).map((t, i) => {
    const extra = Object.keys(t).filter((k) => !['key', 'value', 'effect'].includes(k));
    if (extra.length === 0) return { ...t };
    plan.unexpressed.push({ field: `${field}[${i}].${extra.join(',')}`, value: Object.fromEntries(extra.map((k) => [k, t[k]])), why: 'TaintSpec has key, value and effect only; passed through with a cast' });
    return new Code(`${literal(t, '      ')} as TaintSpec`, () => ({ ...t }), ['TaintSpec']);
  });
}

/** The plan of a plain NodePool for a v1 NodePool; `nodeClassVariable` names its class's construct when it is imported too. */
export function nodePoolPlan(o: ConvertedObject, nodeClassVariable: string | undefined): ConstructPlan {
  const spec = o.object.spec;
  const template = (spec.template ?? {}) as Json;
  const tspec = (template.spec ?? {}) as Json;
  const tmeta = (template.metadata ?? {}) as Json;
  const plan: ConstructPlan = { kind: 'NodePool', className: 'NodePool', name: o.name, variable: variableName(o.name, 'Pool'), props: {}, unexpressed: [], origin: o.origin };
  const props = plan.props;
  const ref = (tspec.nodeClassRef ?? {}) as Json;
  const refName = String(ref.name ?? '');
  if (nodeClassVariable) {
    props.nodeClass = new Code(nodeClassVariable, (env) => env.get(nodeClassVariable));
  } else {
    const reason = `imported: EC2NodeClass ${refName} was not among the imported manifests`;
    props.nodeClass = new Code(`EC2NodeClass.fromName(${JSON.stringify(refName)}, ${JSON.stringify(reason)})`, () => ({ nodeClassRef: { group: ref.group, kind: ref.kind, name: refName }, externalReason: reason }), ['EC2NodeClass']);
    if (ref.group !== 'karpenter.k8s.aws' || ref.kind !== 'EC2NodeClass') {
      plan.unexpressed.push({ field: 'spec.template.spec.nodeClassRef', value: ref, why: 'only EC2NodeClass references can be written' });
    }
  }
  Object.assign(props, requirementProps((tspec.requirements ?? []) as Req[]));
  if (tmeta.labels) props.labels = tmeta.labels;
  if (tmeta.annotations) props.annotations = tmeta.annotations;
  for (const k of Object.keys(tmeta).filter((k) => k !== 'labels' && k !== 'annotations')) plan.unexpressed.push({ field: `spec.template.metadata.${k}`, value: tmeta[k], why: 'a NodePool template has labels and annotations only' });
  if (Array.isArray(tspec.taints) && tspec.taints.length > 0) props.taints = taintsProp(tspec.taints, 'spec.template.spec.taints', plan);
  if (Array.isArray(tspec.startupTaints) && tspec.startupTaints.length > 0) props.startupTaints = taintsProp(tspec.startupTaints, 'spec.template.spec.startupTaints', plan);
  if (spec.weight !== undefined) props.weight = spec.weight;
  if (spec.replicas !== undefined) props.replicas = spec.replicas;
  if (spec.limits !== undefined) {
    const limits: Json = {};
    const resources: Json = {};
    for (const [k, v] of Object.entries(spec.limits as Json)) {
      if (k === 'cpu' || k === 'memory') limits[k] = v;
      else if (k === 'nodes' && typeof v === 'number') limits.nodes = v;
      else if (k === 'nvidia.com/gpu' && typeof v === 'number') limits.gpus = v;
      else resources[k] = v;
    }
    if (Object.keys(resources).length > 0) limits.resources = resources;
    props.limits = limits;
  }
  const disruption = spec.disruption as Json | undefined;
  if (disruption) {
    const d: Json = {};
    if (disruption.consolidationPolicy !== undefined) d.consolidationPolicy = disruption.consolidationPolicy;
    if (disruption.consolidateAfter !== undefined) d.consolidateAfter = disruption.consolidateAfter;
    if (Array.isArray(disruption.budgets)) {
      d.budgets = (disruption.budgets as Json[]).map((b) => {
        const nodes = String(b.nodes);
        return { ...b, nodes: /^[0-9]+$/.test(nodes) ? Number(nodes) : nodes };
      });
    }
    for (const k of Object.keys(disruption).filter((k) => !DISRUPTION_KEYS.has(k))) plan.unexpressed.push({ field: `spec.disruption.${k}`, value: disruption[k], why: 'not a Karpenter v1 disruption field' });
    props.disruption = d;
  }
  if (tspec.expireAfter !== undefined) props.expireAfter = tspec.expireAfter;
  if (tspec.terminationGracePeriod !== undefined) props.terminationGracePeriod = tspec.terminationGracePeriod;
  for (const k of Object.keys(tspec).filter((k) => !TEMPLATE_SPEC_KEYS.has(k))) plan.unexpressed.push({ field: `spec.template.spec.${k}`, value: tspec[k], why: 'not a field of the policy API\'s NodePool' });
  for (const k of Object.keys(spec).filter((k) => !NODEPOOL_SPEC_KEYS.has(k))) plan.unexpressed.push({ field: `spec.${k}`, value: spec[k], why: 'not a field of the policy API\'s NodePool' });
  metadataProps(o.object.metadata, props);
  return plan;
}

const KUBELET_TYPED = new Set(['maxPods', 'podsPerCore', 'systemReserved', 'kubeReserved', 'evictionHard', 'evictionSoft', 'evictionSoftGracePeriod', 'evictionMaxPodGracePeriod', 'imageGCHighThresholdPercent', 'imageGCLowThresholdPercent', 'cpuCFSQuota', 'clusterDNS']);
/** EC2NodeClass spec fields with a prop of their own, and the prop. */
const NODECLASS_PROPS: Readonly<Record<string, string>> = {
  subnetSelectorTerms: 'subnets',
  securityGroupSelectorTerms: 'securityGroups',
  role: 'role',
  instanceProfile: 'instanceProfile',
  userData: 'userData',
  blockDeviceMappings: 'blockDeviceMappings',
  metadataOptions: 'metadataOptions',
  tags: 'tags',
  associatePublicIPAddress: 'associatePublicIPAddress',
  detailedMonitoring: 'detailedMonitoring',
  instanceStorePolicy: 'instanceStorePolicy',
  capacityReservationSelectorTerms: 'capacityReservations',
};

function amiProp(spec: Json): Code {
  const terms = spec.amiSelectorTerms as Json[];
  const family = spec.amiFamily as string | undefined;
  const alias = terms.length === 1 && typeof terms[0]!.alias === 'string' && Object.keys(terms[0]!).length === 1 ? (terms[0]!.alias as string) : undefined;
  if (alias !== undefined) {
    const [aliasFamily, version] = [alias.slice(0, alias.indexOf('@')), alias.slice(alias.indexOf('@') + 1)];
    if (Object.hasOwn(ALIAS_FAMILY_TO_AMI_FAMILY, aliasFamily) && version !== '' && family === undefined) {
      return new Code(`Ami.alias(${JSON.stringify(aliasFamily)}, ${JSON.stringify(version)})`, () => ({ alias }), ['Ami']);
    }
    const value = family === undefined ? { alias } : { alias, family };
    return new Code(literal(value, '    '), () => value);
  }
  if (family === undefined) {
    // Karpenter v1 refuses this too (amiFamily is required without an alias): written as is, the compile says so.
    const value = { selectorTerms: terms, family: undefined };
    return new Code(`{ selectorTerms: ${literal(terms, '    ')}, family: undefined as never }`, () => value);
  }
  return new Code(`Ami.select(${[JSON.stringify(family), ...terms.map((t) => literal(t, '    '))].join(', ')})`, () => ({ selectorTerms: terms, family }), ['Ami']);
}

/** The plan of a plain EC2NodeClass for a v1 EC2NodeClass. Fields without a prop go through the `spec` escape hatch. */
export function nodeClassPlan(o: ConvertedObject): ConstructPlan {
  const spec = o.object.spec;
  const plan: ConstructPlan = { kind: 'EC2NodeClass', className: 'EC2NodeClass', name: o.name, variable: variableName(o.name, 'Class'), props: {}, unexpressed: [], origin: o.origin };
  const props = plan.props;
  props.ami = amiProp(spec);
  const escape: Json = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'amiSelectorTerms' || k === 'amiFamily') continue;
    if (k === 'kubelet') {
      const kubelet = v as Json;
      const typed = Object.fromEntries(Object.entries(kubelet).filter(([key]) => KUBELET_TYPED.has(key)));
      const extra = Object.fromEntries(Object.entries(kubelet).filter(([key]) => !KUBELET_TYPED.has(key)));
      props.kubelet = Object.keys(extra).length > 0 ? { ...typed, extra } : typed;
      continue;
    }
    const prop = NODECLASS_PROPS[k];
    if (prop) props[prop] = v;
    else escape[k] = v;
  }
  if (props.subnets === undefined) props.subnets = [];
  if (props.securityGroups === undefined) props.securityGroups = [];
  if (Object.keys(escape).length > 0) {
    props.spec = escape;
    for (const [k, v] of Object.entries(escape)) plan.unexpressed.push({ field: `spec.${k}`, value: v, why: 'no typed prop: written through the EC2NodeClass spec escape hatch' });
  }
  metadataProps(o.object.metadata, props);
  return plan;
}
