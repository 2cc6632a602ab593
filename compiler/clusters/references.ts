// A policy that names a cluster the repository does not declare (in definePolicy's
// `clusters`, or as a key of a perCluster override) is an error at that line: a typo there
// would otherwise silently apply nothing.
import type { Diagnostic } from '../diagnostics.ts';
import type { ClusterReference } from './types.ts';

export function clusterReferenceDiagnostics(declared: readonly string[], references: readonly ClusterReference[]): Diagnostic[] {
  const known = new Set(declared);
  const diagnostics: Diagnostic[] = [];
  for (const reference of references) {
    for (const name of reference.names) {
      if (known.has(name)) continue;
      const what = reference.kind === 'override' ? 'an override for' : 'the policy applies to';
      diagnostics.push({
        severity: 'error',
        code: 'unknown-cluster',
        message:
          declared.length === 0
            ? `${what} cluster "${name}", but this repository declares no clusters`
            : `${what} cluster "${name}", which is not declared (declared: ${declared.join(', ')})`,
        fix:
          declared.length === 0
            ? 'declare the clusters in a policies/ file that default-exports defineClusters({ clusters: [...] }), or remove the cluster name'
            : `use one of ${declared.join(', ')}, or declare "${name}" in defineClusters`,
        ...reference.source,
        field: reference.kind === 'override' ? `perCluster["${name}"]` : 'clusters',
      });
    }
  }
  return diagnostics;
}
