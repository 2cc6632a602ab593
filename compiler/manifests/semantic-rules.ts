// The rules of the Karpenter CRDs that the openAPIV3Schema cannot express (their CEL
// x-kubernetes-validations), checked here so a bad manifest is caught at compile time, in
// `joinery plan` and by the reconciler, not first by the API server. Messages quote the
// CRDs' own. Also: limits must not be negative (the quantity pattern allows a sign).
import type { KarpenterKind } from '../crd/crds.ts';
import { LabelKey } from '../api/labels.ts';
import type { SchemaProblem } from './schema.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { overlayProblems } from '../../core/catalog/overlays.ts';
import { ALIAS_FAMILY_TO_AMI_FAMILY, KARPENTER_AWS_GROUP, KARPENTER_GROUP, LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_NODEPOOL, RESTRICTED_TAG_PREFIX, amiFamilyOfAlias, isRestrictedTag } from '../../core/contract/index.ts';

const KARPENTER_AWS_ALLOWED = new Set(Object.values(LabelKey).filter((k) => k.startsWith(`${KARPENTER_AWS_GROUP}/`)));

function domainOf(key: string): string {
  return key.includes('/') ? key.slice(0, key.indexOf('/')) : key;
}

/** The CRD's CEL rules on a label or requirement key. */
function restrictedKeyProblem(key: string): string | undefined {
  if (key === LABEL_NODEPOOL || key === LABEL_HOSTNAME) return `label "${key}" is restricted`;
  if (domainOf(key).endsWith(KARPENTER_GROUP) && key !== LABEL_CAPACITY_TYPE) return `label domain "${KARPENTER_GROUP}" is restricted`;
  if (domainOf(key).endsWith(KARPENTER_AWS_GROUP) && !KARPENTER_AWS_ALLOWED.has(key as never)) return `label domain "${KARPENTER_AWS_GROUP}" is restricted`;
  return undefined;
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function nodePoolProblems(nodePool: Json): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const spec = obj(nodePool.spec);
  const templateSpec = obj(obj(spec.template).spec);
  for (const [i, raw] of arr(templateSpec.requirements).entries()) {
    const r = obj(raw);
    const at = `/spec/template/spec/requirements/${i}`;
    const key = String(r.key ?? '');
    const values = arr(r.values);
    const restricted = restrictedKeyProblem(key);
    if (restricted) problems.push({ pointer: `${at}/key`, message: restricted, fix: 'use a well-known Karpenter label or a label in your own domain' });
    if (r.operator === 'In' && values.length === 0) problems.push({ pointer: `${at}/values`, message: `requirements with operator 'In' must have a value defined`, fix: 'list at least one value' });
    if (['Gt', 'Lt', 'Gte', 'Lte'].includes(String(r.operator)) && (values.length !== 1 || !/^[0-9]+$/.test(String(values[0])))) {
      problems.push({ pointer: `${at}/values`, message: `requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value`, fix: `write one integer, e.g. values: ['4']` });
    }
    if (r.operator === 'In' && typeof r.minValues === 'number' && values.length < r.minValues) {
      problems.push({ pointer: `${at}/minValues`, message: `requirements with 'minValues' must have at least that many values specified in the 'values' field`, fix: `list at least ${r.minValues} values or lower minValues` });
    }
  }
  for (const key of Object.keys(obj(obj(obj(spec.template).metadata).labels))) {
    const restricted = restrictedKeyProblem(key);
    if (restricted) problems.push({ pointer: `/spec/template/metadata/labels/${escape(key)}`, message: restricted, fix: 'use a label in your own domain, e.g. example.com/team' });
  }
  for (const [i, raw] of arr(obj(spec.disruption).budgets).entries()) {
    const budget = obj(raw);
    if (('schedule' in budget) !== ('duration' in budget)) {
      problems.push({ pointer: `/spec/disruption/budgets/${i}`, message: `'schedule' must be set with 'duration'`, fix: 'set both schedule and duration, or neither' });
    }
  }
  for (const [resource, value] of Object.entries(obj(spec.limits))) {
    if (/^\s*-/.test(String(value))) problems.push({ pointer: `/spec/limits/${escape(resource)}`, message: `limit ${resource} is negative (${String(value)})`, fix: 'use a positive limit, or 0 to stop the pool from launching' });
  }
  if ('replicas' in spec) {
    const other = Object.keys(obj(spec.limits)).filter((k) => k !== 'nodes');
    if (other.length > 0) problems.push({ pointer: '/spec/limits', message: `only 'limits.nodes' is supported on static NodePools`, fix: `remove ${other.join(', ')}` });
    if ('weight' in spec) problems.push({ pointer: '/spec/weight', message: `'weight' is not supported on static NodePools`, fix: 'remove weight' });
    const nodes = obj(spec.limits).nodes;
    if (nodes !== undefined && Number(spec.replicas) > Number(nodes)) {
      problems.push({ pointer: '/spec/replicas', message: `replicas ${String(spec.replicas)} is above limits.nodes ${String(nodes)}: the pool could never reach it`, fix: 'lower replicas to limits.nodes or less, or raise limits.nodes' });
    }
  }
  return problems;
}

function ec2NodeClassProblems(nodeClass: Json): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const spec = obj(nodeClass.spec);
  if (('role' in spec) === ('instanceProfile' in spec)) {
    problems.push({ pointer: '/spec/role', message: `must specify exactly one of ['role', 'instanceProfile']`, fix: 'set role (the node IAM role) or instanceProfile, not both' });
  }
  const amiTerms = arr(spec.amiSelectorTerms).map(obj);
  const aliases = amiTerms.filter((t) => 'alias' in t);
  for (const [i, term] of amiTerms.entries()) {
    const at = `/spec/amiSelectorTerms/${i}`;
    if (!['tags', 'id', 'name', 'alias', 'ssmParameter'].some((k) => k in term)) problems.push({ pointer: at, message: `expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']`, fix: 'select the AMI by alias, tags, id, name or ssmParameter' });
    if ('id' in term && ['alias', 'tags', 'name', 'owner'].some((k) => k in term)) problems.push({ pointer: at, message: `'id' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms`, fix: 'put the id in a term of its own' });
    if ('alias' in term) {
      if (['id', 'tags', 'name', 'owner'].some((k) => k in term)) problems.push({ pointer: at, message: `'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms`, fix: 'use the alias alone' });
      const [family, version] = String(term.alias).split('@');
      if (!version || !family) problems.push({ pointer: `${at}/alias`, message: `'alias' is improperly formatted, must match the format 'family@version'`, fix: `write e.g. al2023@v20250505` });
      else if (!amiFamilyOfAlias(family)) problems.push({ pointer: `${at}/alias`, message: `family is not supported, must be one of the following: ${Object.keys(ALIAS_FAMILY_TO_AMI_FAMILY).map((f) => `'${f}'`).join(', ')}`, fix: 'use a supported family' });
      else if (family.startsWith('windows') && version !== 'latest') problems.push({ pointer: `${at}/alias`, message: 'windows families may only specify version latest', fix: `write ${family}@latest` });
      else if ('amiFamily' in spec && spec.amiFamily !== 'Custom' && spec.amiFamily !== amiFamilyOfAlias(family)) {
        problems.push({ pointer: '/spec/amiFamily', message: `if set, amiFamily must be '${amiFamilyOfAlias(family)}' or 'Custom' when using an ${family} alias`, fix: 'remove amiFamily (it is inferred from the alias)' });
      }
    }
  }
  if (aliases.length > 0 && amiTerms.length !== 1) problems.push({ pointer: '/spec/amiSelectorTerms', message: `'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms`, fix: 'use the alias as the only term' });
  if (aliases.length === 0 && amiTerms.length > 0 && !('amiFamily' in spec)) problems.push({ pointer: '/spec/amiFamily', message: 'must specify amiFamily if amiSelectorTerms does not contain an alias', fix: 'set amiFamily (AL2023, Bottlerocket, ...) so Karpenter formats user data' });
  for (const [field, allowed] of [['subnetSelectorTerms', ['tags', 'id']], ['securityGroupSelectorTerms', ['tags', 'id', 'name']]] as const) {
    const terms = arr(spec[field]).map(obj);
    if (field in spec && terms.length === 0) problems.push({ pointer: `/spec/${field}`, message: `${field} cannot be empty`, fix: 'select by tags or id' });
    for (const [i, term] of terms.entries()) {
      const set = allowed.filter((k) => k in term);
      if (set.length === 0) problems.push({ pointer: `/spec/${field}/${i}`, message: `expected at least one, got none, [${allowed.map((k) => `'${k}'`).join(', ')}]`, fix: 'select by tags or id' });
      if (set.length > 1 && (set.includes('id') || set.includes('name' as never))) problems.push({ pointer: `/spec/${field}/${i}`, message: `'${set.includes('id') ? 'id' : 'name'}' is mutually exclusive, cannot be set with a combination of other fields in a ${field === 'subnetSelectorTerms' ? 'subnet' : 'security group'} selector term`, fix: 'split into separate terms (terms are ORed)' });
      for (const [key, value] of Object.entries(obj(term.tags))) {
        if (key === '' || value === '') problems.push({ pointer: `/spec/${field}/${i}/tags`, message: `empty tag keys or values aren't supported`, fix: `use '*' to match any value` });
      }
    }
  }
  for (const key of Object.keys(obj(spec.tags))) {
    const pointer = `/spec/tags/${escape(key)}`;
    if (key === '') problems.push({ pointer, message: `empty tag keys aren't supported`, fix: 'remove it' });
    else if (isRestrictedTag(key)) {
      problems.push({ pointer, message: `tag contains a restricted tag matching ${key.startsWith(RESTRICTED_TAG_PREFIX) ? `${RESTRICTED_TAG_PREFIX}/` : key}`, fix: 'remove it; Karpenter sets it' });
    }
  }
  const mappings = arr(spec.blockDeviceMappings).map(obj);
  if (mappings.filter((m) => m.rootVolume === true).length > 1) problems.push({ pointer: '/spec/blockDeviceMappings', message: 'must have only one blockDeviceMappings with rootVolume', fix: 'mark one device as rootVolume' });
  for (const [i, mapping] of mappings.entries()) {
    const ebs = obj(mapping.ebs);
    if ('ebs' in mapping && !('snapshotID' in ebs) && !('volumeSize' in ebs)) problems.push({ pointer: `/spec/blockDeviceMappings/${i}/ebs`, message: 'snapshotID or volumeSize must be defined', fix: `set volumeSize, e.g. '100Gi'` });
  }
  return problems;
}

/** A NodeOverlay's CEL rules (price and priceAdjustment exclusive, no standard resources in capacity) and more: see core/catalog/overlays.ts. */
function nodeOverlayProblems(o: Record<string, unknown>): SchemaProblem[] {
  const spec = obj(o.spec) as unknown as NodeOverlay['spec'];
  return overlayProblems(spec).map((p) => ({ pointer: fieldPointer(p.field), message: p.message, fix: p.fix }));
}

/** spec.capacity["hugepages-2Mi"] -> /spec/capacity/hugepages-2Mi */
function fieldPointer(field: string): string {
  const m = /^(.*)\[("[^"]*")\]$/.exec(field);
  const segments = m ? [...m[1]!.split('.'), JSON.parse(m[2]!) as string] : field.split('.');
  return '/' + segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** CEL-rule problems of an object that already passed the schema; empty when it is valid. */
export function semanticProblems(kind: KarpenterKind, object: unknown): SchemaProblem[] {
  if (kind === 'NodePool') return nodePoolProblems(obj(object));
  if (kind === 'EC2NodeClass') return ec2NodeClassProblems(obj(object));
  if (kind === 'NodeOverlay') return nodeOverlayProblems(obj(object));
  return [];
}
