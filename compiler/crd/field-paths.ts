// Every field path of a Karpenter CRD's spec, enumerated from the shipped CRDs in
// data/karpenter-crds/: `spec.template.spec.taints[].key`. Arrays add `[]`; a map
// (additionalProperties) is one path. The table of honoured fields
// (compiler/guardrails/honoured-fields.ts) is checked against this list, so a field the
// CRDs gain cannot be missing from it.
import { karpenterCrd, type KarpenterKind, type OpenApiSchema } from './crds.ts';

function walk(schema: OpenApiSchema, path: string, out: string[]): void {
  out.push(path);
  if (schema.items) walk(schema.items, `${path}[]`, out);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`, out);
}

/** The spec field paths of one kind, in schema order, `spec` itself excluded. */
export function specFieldPaths(kind: KarpenterKind): string[] {
  const spec = karpenterCrd(kind).schema.properties?.spec;
  if (!spec) return [];
  const out: string[] = [];
  walk(spec, 'spec', out);
  return out.filter((p) => p !== 'spec' && !/^spec(\[\])+$/.test(p));
}
