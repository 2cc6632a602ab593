// `joinery import`, step 2: every object as a Karpenter v1 object. v1beta1 objects are
// converted as Karpenter v1's conversion webhook does (its v1 migration guide), and each
// change is recorded so `joinery import` can say what it converted. Fields the API server
// or a controller sets (status, uid, hashes, last-applied) are dropped, and said so.
import { ALIAS_FAMILY_TO_AMI_FAMILY, KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, EC2NODECLASS_KIND } from '../../core/contract/index.ts';
import { ImportInputError, type ImportedObject } from './read.ts';

export interface ConvertedObject {
  kind: 'NodePool' | 'EC2NodeClass';
  name: string;
  origin: string;
  /** The v1 object: apiVersion, kind, metadata (name, labels, annotations), spec. */
  object: { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
  /** What was converted or dropped, in words, for the import report. */
  conversions: string[];
}

type Json = Record<string, unknown>;

/** Annotations a controller, kubectl, Helm or joinery's own synthesis sets: not part of the intent. */
const SERVER_ANNOTATION = /^(kubectl\.kubernetes\.io\/last-applied-configuration|karpenter\.sh\/nodepool-hash(-version)?|karpenter\.k8s\.aws\/ec2nodeclass-hash(-version)?|compatibility\.karpenter\.(sh|k8s\.aws)\/.*|argocd\.argoproj\.io\/(sync-wave|sync-options|tracking-id)|meta\.helm\.sh\/.*|kustomize\.toolkit\.fluxcd\.io\/.*)$/;
const SERVER_LABEL = /^(kustomize\.toolkit\.fluxcd\.io\/.*|app\.kubernetes\.io\/managed-by|helm\.toolkit\.fluxcd\.io\/.*)$/;

/** The family an alias stands for, from the AMI family (`AL2023` -> `al2023`). */
const AMI_FAMILY_TO_ALIAS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(ALIAS_FAMILY_TO_AMI_FAMILY).map(([alias, family]) => [family, alias]));

function cleanMetadata(o: ImportedObject, conversions: string[]): ConvertedObject['object']['metadata'] {
  const metadata = (o.object.metadata ?? {}) as Json;
  const out: ConvertedObject['object']['metadata'] = { name: o.name };
  const dropped: string[] = [];
  for (const key of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'finalizers', 'selfLink', 'ownerReferences', 'deletionTimestamp']) {
    if (metadata[key] !== undefined) dropped.push(`metadata.${key}`);
  }
  const labels = Object.entries((metadata.labels ?? {}) as Record<string, string>);
  const annotations = Object.entries((metadata.annotations ?? {}) as Record<string, string>);
  for (const [k] of annotations.filter(([k]) => SERVER_ANNOTATION.test(k))) dropped.push(`annotation ${k}`);
  for (const [k] of labels.filter(([k]) => SERVER_LABEL.test(k))) dropped.push(`label ${k}`);
  const keptLabels = labels.filter(([k]) => !SERVER_LABEL.test(k));
  const keptAnnotations = annotations.filter(([k]) => !SERVER_ANNOTATION.test(k));
  if (keptLabels.length > 0) out.labels = Object.fromEntries(keptLabels.map(([k, v]) => [k, String(v)]));
  if (keptAnnotations.length > 0) out.annotations = Object.fromEntries(keptAnnotations.map(([k, v]) => [k, String(v)]));
  if (o.object.status !== undefined) dropped.push('status');
  if (dropped.length > 0) conversions.push(`dropped what the cluster sets, not the intent: ${dropped.join(', ')}`);
  return out;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function convertNodePool(o: ImportedObject, kubelets: Map<string, { pool: string; kubelet: Json }[]>): ConvertedObject {
  const conversions: string[] = [];
  const metadata = cleanMetadata(o, conversions);
  const spec = clone(o.object.spec as Json);
  const template = (spec.template ?? {}) as Json;
  const tspec = (template.spec ?? {}) as Json;
  spec.template = template;
  template.spec = tspec;
  const disruption = spec.disruption as Json | undefined;
  if (o.apiVersion.endsWith('/v1beta1')) {
    conversions.push(`apiVersion ${o.apiVersion} -> ${KARPENTER_API_VERSION}`);
    if (disruption?.expireAfter !== undefined) {
      tspec.expireAfter = disruption.expireAfter;
      delete disruption.expireAfter;
      conversions.push(`spec.disruption.expireAfter (${String(tspec.expireAfter)}) moved to spec.template.spec.expireAfter, as in Karpenter v1 (expiration is forceful in v1: budgets no longer hold it back)`);
    }
    if (disruption?.consolidationPolicy === 'WhenUnderutilized') {
      disruption.consolidationPolicy = 'WhenEmptyOrUnderutilized';
      conversions.push('consolidationPolicy WhenUnderutilized -> WhenEmptyOrUnderutilized (renamed in v1)');
    }
    const ref = tspec.nodeClassRef as Json | undefined;
    if (ref && ref.group === undefined) {
      const group = typeof ref.apiVersion === 'string' ? ref.apiVersion.split('/')[0]! : KARPENTER_AWS_GROUP;
      tspec.nodeClassRef = { group, kind: ref.kind ?? EC2NODECLASS_KIND, name: ref.name };
      conversions.push(`nodeClassRef.apiVersion${ref.apiVersion ? ` (${String(ref.apiVersion)})` : ''} -> nodeClassRef.group ${group}`);
    }
    if (tspec.kubelet !== undefined) {
      const className = String((tspec.nodeClassRef as Json | undefined)?.name ?? '');
      kubelets.set(className, [...(kubelets.get(className) ?? []), { pool: o.name, kubelet: tspec.kubelet as Json }]);
      delete tspec.kubelet;
      conversions.push(`spec.template.spec.kubelet moved to the EC2NodeClass ${className} (kubelet settings live on the EC2NodeClass in v1)`);
    }
  }
  if (disruption && disruption.consolidateAfter === undefined) {
    disruption.consolidateAfter = '0s';
    conversions.push(`disruption.consolidateAfter written as 0s (${o.apiVersion.endsWith('/v1beta1') ? 'v1 requires it; v1beta1 consolidated at once' : 'the CRD default'})`);
  }
  return { kind: 'NodePool', name: o.name, origin: o.origin, object: { apiVersion: KARPENTER_API_VERSION, kind: 'NodePool', metadata, spec }, conversions };
}

function convertNodeClass(o: ImportedObject): ConvertedObject {
  const conversions: string[] = [];
  const metadata = cleanMetadata(o, conversions);
  const spec = clone(o.object.spec as Json);
  if (o.apiVersion.endsWith('/v1beta1')) {
    conversions.push(`apiVersion ${o.apiVersion} -> ${KARPENTER_AWS_API_VERSION}`);
    const family = spec.amiFamily;
    const terms = spec.amiSelectorTerms as unknown[] | undefined;
    if (family === 'Ubuntu') {
      throw new ImportInputError(o.origin, undefined, `EC2NodeClass ${o.name}: amiFamily Ubuntu is not supported by Karpenter v1`, 'select the AMIs with amiSelectorTerms and amiFamily AL2 (and your own userData), as the v1 migration guide says, then import again');
    }
    if ((terms === undefined || terms.length === 0) && typeof family === 'string' && family !== 'Custom') {
      const alias = AMI_FAMILY_TO_ALIAS[family];
      if (alias === undefined) throw new ImportInputError(o.origin, undefined, `EC2NodeClass ${o.name}: amiFamily ${family} is unknown`, `use one of ${Object.keys(AMI_FAMILY_TO_ALIAS).join(', ')}`);
      spec.amiSelectorTerms = [{ alias: `${alias}@latest` }];
      delete spec.amiFamily;
      conversions.push(`amiFamily ${family} without amiSelectorTerms -> amiSelectorTerms [{ alias: ${alias}@latest }] (v1 requires amiSelectorTerms; pin a version instead of latest so AMI updates are reviewed)`);
    }
  }
  if (spec.amiSelectorTerms === undefined) {
    throw new ImportInputError(o.origin, undefined, `EC2NodeClass ${o.name} has no amiSelectorTerms`, 'add amiSelectorTerms, e.g. [{ alias: al2023@v20250505 }] (required in Karpenter v1)');
  }
  return { kind: 'EC2NodeClass', name: o.name, origin: o.origin, object: { apiVersion: KARPENTER_AWS_API_VERSION, kind: 'EC2NodeClass', metadata, spec }, conversions };
}

/**
 * Converts every object to v1. A v1beta1 NodePool's kubelet moves to its EC2NodeClass;
 * when pools sharing one class give different kubelets (or the class has its own), the
 * class is copied per pool (`<class>-<pool>`), as Karpenter's v1 migration guide advises.
 */
export function convertToV1(objects: readonly ImportedObject[]): ConvertedObject[] {
  const seen = new Map<string, string>();
  for (const o of objects) {
    const key = `${o.kind}/${o.name}`;
    const first = seen.get(key);
    if (first) throw new ImportInputError(o.origin, undefined, `${o.kind} ${o.name} is given twice (first in ${first})`, 'import each object once');
    seen.set(key, o.origin);
  }
  const kubelets = new Map<string, { pool: string; kubelet: Json }[]>();
  const pools = objects.filter((o) => o.kind === 'NodePool').map((o) => convertNodePool(o, kubelets));
  const classes = objects.filter((o) => o.kind === 'EC2NodeClass').map((o) => convertNodeClass(o));
  for (const [className, entries] of kubelets) {
    const nodeClass = classes.find((c) => c.name === className);
    if (!nodeClass) {
      for (const e of entries) {
        const pool = pools.find((p) => p.name === e.pool)!;
        pool.conversions.push(`the kubelet settings could not be moved: EC2NodeClass ${className} is not among the imported objects; set them on it by hand: ${JSON.stringify(e.kubelet)}`);
      }
      continue;
    }
    const own = nodeClass.object.spec.kubelet as Json | undefined;
    const same = (a: Json, b: Json) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
    const allSame = entries.every((e) => same(e.kubelet, entries[0]!.kubelet)) && (own === undefined || same(own, entries[0]!.kubelet));
    if (allSame) {
      nodeClass.object.spec.kubelet = entries[0]!.kubelet;
      nodeClass.conversions.push(`kubelet moved here from NodePool ${entries.map((e) => e.pool).join(', ')}`);
      continue;
    }
    for (const e of entries) {
      const copyName = `${className}-${e.pool}`;
      const copy: ConvertedObject = clone(nodeClass);
      copy.name = copyName;
      copy.object.metadata.name = copyName;
      copy.object.spec.kubelet = e.kubelet;
      copy.conversions.push(`copy of EC2NodeClass ${className} for NodePool ${e.pool}, whose kubelet settings differ from the other pools of ${className} (kubelet lives on the EC2NodeClass in v1)`);
      classes.push(copy);
      const pool = pools.find((p) => p.name === e.pool)!;
      ((pool.object.spec.template as Json).spec as Json).nodeClassRef = { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: copyName };
      pool.conversions.push(`now refers to EC2NodeClass ${copyName} (a copy of ${className} with this pool's kubelet)`);
    }
  }
  return [...classes, ...pools];
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Json)[k])]));
  }
  return value;
}
