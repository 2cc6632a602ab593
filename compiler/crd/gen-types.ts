// `npm run gen:types`: generates core/api/karpenter.ts, the TypeScript types of the
// NodePool, EC2NodeClass and NodeClaim custom resources, from the openAPIV3Schema of the
// shipped CRDs with json-schema-to-typescript. The output is committed; a unit test
// (test/unit/compiler/crd/gen-types.test.ts) fails when it no longer matches the CRDs.
//
//   node bin/tsx-run.js compiler/crd/gen-types.ts           write core/api/karpenter.ts
//   node bin/tsx-run.js compiler/crd/gen-types.ts --check   exit 1 when it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { karpenterCrd, type KarpenterKind, type OpenApiSchema } from './crds.ts';

export const GENERATED_TYPES_PATH = fileURLToPath(new URL('../../core/api/karpenter.ts', import.meta.url));

/**
 * Names for sub-schemas, by their path below the root schema ("x[]" is the items of array
 * x). Every path with the same name is emitted once, as a shared interface, so a NodePool's
 * template and a NodeClaim use the same NodeSelectorRequirementWithMinValues. The names
 * follow Karpenter's Go types, prefixed where a bare name would collide with core/api/k8s.ts.
 */
const NAMES: Readonly<Record<KarpenterKind, Readonly<Record<string, string>>>> = {
  NodePool: {
    spec: 'NodePoolSpec',
    'spec.disruption': 'Disruption',
    'spec.disruption.budgets[]': 'DisruptionBudget',
    'spec.template': 'NodeClaimTemplate',
    'spec.template.metadata': 'NodeClaimTemplateObjectMeta',
    'spec.template.spec': 'NodeClaimTemplateSpec',
    'spec.template.spec.nodeClassRef': 'NodeClassReference',
    'spec.template.spec.requirements[]': 'NodeSelectorRequirementWithMinValues',
    'spec.template.spec.taints[]': 'NodeClaimTaint',
    'spec.template.spec.startupTaints[]': 'NodeClaimTaint',
    status: 'NodePoolStatus',
    'status.conditions[]': 'StatusCondition',
  },
  EC2NodeClass: {
    spec: 'EC2NodeClassSpec',
    'spec.amiSelectorTerms[]': 'AMISelectorTerm',
    'spec.blockDeviceMappings[]': 'BlockDeviceMapping',
    'spec.blockDeviceMappings[].ebs': 'BlockDevice',
    'spec.capacityReservationSelectorTerms[]': 'CapacityReservationSelectorTerm',
    'spec.kubelet': 'EC2NodeClassKubelet',
    'spec.metadataOptions': 'MetadataOptions',
    'spec.securityGroupSelectorTerms[]': 'SecurityGroupSelectorTerm',
    'spec.subnetSelectorTerms[]': 'SubnetSelectorTerm',
    status: 'EC2NodeClassStatus',
    'status.conditions[]': 'StatusCondition',
  },
  NodeClaim: {
    spec: 'NodeClaimSpec',
    'spec.nodeClassRef': 'NodeClassReference',
    'spec.requirements[]': 'NodeSelectorRequirementWithMinValues',
    'spec.taints[]': 'NodeClaimTaint',
    'spec.startupTaints[]': 'NodeClaimTaint',
    status: 'NodeClaimStatus',
    'status.conditions[]': 'StatusCondition',
  },
  NodeOverlay: {},
};

const GENERATED_KINDS: readonly KarpenterKind[] = ['NodePool', 'EC2NodeClass', 'NodeClaim'];

type Schema = OpenApiSchema & { title?: string; tsType?: string; $ref?: string; definitions?: Record<string, Schema> };

function locate(root: Schema, path: string): { parent: Record<string, Schema>; key: string } {
  let node: Schema = root;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i]!;
    const isItems = segment.endsWith('[]');
    const name = isItems ? segment.slice(0, -2) : segment;
    const last = i === segments.length - 1;
    const properties = node.properties as Record<string, Schema> | undefined;
    if (!properties?.[name]) throw new Error(`gen-types: no property ${path} in the schema`);
    if (last && !isItems) return { parent: properties, key: name };
    node = properties[name]!;
    if (isItems) {
      if (!node.items) throw new Error(`gen-types: ${path} is not an array`);
      if (last) return { parent: node as unknown as Record<string, Schema>, key: 'items' };
      node = node.items as Schema;
    }
  }
  throw new Error(`gen-types: empty path`);
}

/** Kubernetes structural-schema extensions json-schema-to-typescript does not know. */
function normalise(node: Schema): void {
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    // An untyped preserved value is any JSON value; a preserved object keeps unknown keys.
    if (node.type === undefined && node.properties === undefined) node.tsType = 'unknown';
    else if (node.additionalProperties === undefined) node.additionalProperties = true;
  }
  for (const child of Object.values(node.properties ?? {})) normalise(child as Schema);
  if (node.items) normalise(node.items as Schema);
  if (typeof node.additionalProperties === 'object') normalise(node.additionalProperties as Schema);
  for (const alternative of node.anyOf ?? []) normalise(alternative as Schema);
}

function prepare(kind: KarpenterKind, definitions: Record<string, Schema>): Schema {
  const crd = karpenterCrd(kind);
  const root = structuredClone(crd.schema) as Schema;
  normalise(root);
  // Longest paths first, so a parent's hoisted copy already refers to its named children.
  const paths = Object.keys(NAMES[kind]).sort((a, b) => b.split('.').length - a.split('.').length);
  for (const path of paths) {
    const name = NAMES[kind][path]!;
    const { parent, key } = locate(root, path);
    if (!definitions[name]) definitions[name] = { ...parent[key]!, title: name };
    parent[key] = { $ref: `#/definitions/${name}` };
  }
  const properties = root.properties as Record<string, Schema>;
  properties.apiVersion = { type: 'string', tsType: JSON.stringify(crd.apiVersion) };
  properties.kind = { type: 'string', tsType: JSON.stringify(kind) };
  properties.metadata = { type: 'object', tsType: 'ObjectMeta' };
  root.required = ['apiVersion', 'kind', 'metadata', ...(root.required ?? [])];
  return { ...root, title: kind };
}

const BANNER = `// GENERATED by \`npm run gen:types\` (compiler/crd/gen-types.ts) from the openAPIV3Schema of
// data/karpenter-crds/*.yaml with json-schema-to-typescript. DO NOT EDIT: regenerate instead.
// The Kubernetes CEL rules of the CRDs (x-kubernetes-validations) are not expressed here.
import type { ObjectMeta } from './k8s.ts';
`;

/** The content core/api/karpenter.ts must have for the shipped CRDs. */
export async function generateKarpenterTypes(): Promise<string> {
  const definitions: Record<string, Schema> = {};
  const roots = GENERATED_KINDS.map((kind) => prepare(kind, definitions));
  // One schema whose properties are the three kinds: shared definitions are emitted once.
  const bundle: Schema = {
    title: 'KarpenterResources',
    type: 'object',
    properties: Object.fromEntries(roots.map((root) => [root.title!, root])),
    definitions,
  };
  const source = await compile(bundle as JSONSchema, 'KarpenterResources', {
    bannerComment: BANNER,
    additionalProperties: false,
    declareExternallyReferenced: true,
    unreachableDefinitions: true,
    strictIndexSignatures: false,
    // minItems would become tuple types; the schema validation enforces them instead.
    ignoreMinAndMaxItems: true,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
  });
  // The bundle interface itself is scaffolding, not an API type, and so are the notes
  // json-schema-to-typescript adds about it.
  return source
    .replace(/export interface KarpenterResources \{[^}]*\}\n\n?/, '')
    .replace(/\/\*\*\n \* This interface was referenced by `KarpenterResources`'s JSON-Schema\n \* via the `definition` "\w+"\.\n \*\/\n/g, '')
    .replace(/ \*\n \* This interface was referenced by `KarpenterResources`'s JSON-Schema\n \* via the `definition` "\w+"\.\n/g, '');
}

async function main(argv: string[]): Promise<number> {
  const expected = await generateKarpenterTypes();
  const current = (() => {
    try {
      return readFileSync(GENERATED_TYPES_PATH, 'utf8');
    } catch {
      return '';
    }
  })();
  if (argv.includes('--check')) {
    if (current === expected) return 0;
    process.stderr.write('core/api/karpenter.ts is stale: run `npm run gen:types` and commit the result\n');
    return 1;
  }
  if (current !== expected) writeFileSync(GENERATED_TYPES_PATH, expected);
  process.stdout.write(`core/api/karpenter.ts ${current === expected ? 'is up to date' : 'written'}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
