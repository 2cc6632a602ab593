// The Karpenter v1 CustomResourceDefinitions shipped in data/karpenter-crds/ (see
// data/README.md for their provenance). They are the single source for three things:
// the generated TypeScript types (gen-types.ts), schema validation of every manifest the
// compiler writes or the reconciler reads (manifests/), and the CRD objects written to
// generated/crds/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { cachedText, contentHash } from '../cache.ts';

/** A JSON Schema node as it appears in a CRD's openAPIV3Schema (Kubernetes structural schema). */
export interface OpenApiSchema {
  type?: string;
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  required?: string[];
  enum?: unknown[];
  anyOf?: OpenApiSchema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  [extension: string]: unknown;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; plural: string; singular?: string; listKind?: string };
    scope: 'Cluster' | 'Namespaced';
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: OpenApiSchema } }[];
  };
}

export type KarpenterKind = 'NodePool' | 'EC2NodeClass' | 'NodeClaim' | 'NodeOverlay';

export interface KarpenterCrd {
  kind: KarpenterKind;
  /** Path of the source file relative to the repository root, e.g. data/karpenter-crds/karpenter.sh_nodepools.yaml. */
  sourcePath: string;
  /** The CRD object as published upstream. */
  definition: CustomResourceDefinition;
  /** apiVersion of the storage version, e.g. karpenter.sh/v1. */
  apiVersion: string;
  /** The storage version's openAPIV3Schema. */
  schema: OpenApiSchema;
}

const CRD_FILES: Readonly<Record<KarpenterKind, string>> = {
  NodePool: 'karpenter.sh_nodepools.yaml',
  EC2NodeClass: 'karpenter.k8s.aws_ec2nodeclasses.yaml',
  NodeClaim: 'karpenter.sh_nodeclaims.yaml',
  NodeOverlay: 'karpenter.sh_nodeoverlays.yaml',
};

const KARPENTER_KINDS: readonly KarpenterKind[] = ['NodePool', 'EC2NodeClass', 'NodeClaim', 'NodeOverlay'];

const CRD_DIR = fileURLToPath(new URL('../../data/karpenter-crds/', import.meta.url));

let cache: Map<KarpenterKind, KarpenterCrd> | undefined;

/** Loads (once per process) the shipped Karpenter CRDs. */
export function karpenterCrds(): ReadonlyMap<KarpenterKind, KarpenterCrd> {
  if (cache) return cache;
  const loaded = new Map<KarpenterKind, KarpenterCrd>();
  for (const kind of KARPENTER_KINDS) {
    const file = CRD_FILES[kind];
    const text = readFileSync(CRD_DIR + file, 'utf8');
    // Parsing these large YAML files costs more than the rest of a compile: keep them as JSON.
    const json = cachedText(`crd-${contentHash(text)}.json`, () => JSON.stringify(parse(text)));
    const definition = JSON.parse(json) as CustomResourceDefinition;
    const storage = definition.spec.versions.find((v) => v.storage) ?? definition.spec.versions[0];
    if (!storage) throw new Error(`data/karpenter-crds/${file}: the CRD has no versions`);
    loaded.set(kind, {
      kind,
      sourcePath: `data/karpenter-crds/${file}`,
      definition,
      apiVersion: `${definition.spec.group}/${storage.name}`,
      schema: storage.schema.openAPIV3Schema,
    });
  }
  cache = loaded;
  return loaded;
}

export function karpenterCrd(kind: KarpenterKind): KarpenterCrd {
  const crd = karpenterCrds().get(kind);
  if (!crd) throw new Error(`no CRD shipped for ${kind}`);
  return crd;
}
