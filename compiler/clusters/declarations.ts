// Checks what defineClusters declares: each cluster's name (a directory of generated/,
// declared once across every declaration), region (one joinery has an instance catalog
// for), account, Kubernetes version and discovery tags. Each error points at the line of
// the cluster's entry (or its field) in the declaring file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterProps } from '../api/clusters.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { SourceRef } from '../intent.ts';
import type { ClustersDeclaration } from './types.ts';

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** Directories of generated/ that the cluster trees share. */
export const RESERVED_CLUSTER_NAMES: ReadonlySet<string> = new Set(['argocd', 'flux']);

/** Finds `text` (a quoted string, the n-th time) after `from`, returning its 1-based line and column. */
function locate(content: string | undefined, from: SourceRef, needle: RegExp, occurrence: number): SourceRef {
  if (content === undefined || from.line === undefined) return from;
  const lines = content.split('\n');
  let offset = lines.slice(0, from.line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  let match: RegExpExecArray | null = null;
  for (let i = 0; i <= occurrence; i += 1) {
    const re = new RegExp(needle.source, 'g');
    re.lastIndex = offset;
    match = re.exec(content);
    if (!match) return from;
    offset = match.index + match[0].length;
  }
  const before = content.slice(0, match!.index);
  return { file: from.file, line: before.split('\n').length, column: match!.index - before.lastIndexOf('\n') };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface DeclarationCheckOptions {
  root: string;
  /** Whether joinery has an instance catalog for a region. */
  hasCatalog: (region: string) => boolean;
  /** The regions it has catalogs for (for the fix). */
  catalogRegions: readonly string[];
}

export function declarationDiagnostics(declarations: readonly ClustersDeclaration[], options: DeclarationCheckOptions): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const first = new Map<string, SourceRef>();
  for (const declaration of declarations) {
    let content: string | undefined;
    try {
      content = readFileSync(join(options.root, declaration.source.file), 'utf8');
    } catch {
      content = undefined;
    }
    const clusters: readonly ClusterProps[] = Array.isArray(declaration.props.clusters) ? declaration.props.clusters : [];
    const error = (where: SourceRef, name: string, field: string, message: string, fix: string): void => {
      // No column: the line is the entry's (or its field's) already, not a construct call to refine.
      diagnostics.push({ severity: 'error', code: 'cluster-declaration', message, fix, file: where.file, line: where.line, object: { kind: 'Cluster', name }, field });
    };
    if (clusters.length === 0) error(declaration.source, '?', 'clusters', 'declares no cluster', 'list the clusters, e.g. clusters: [{ name: "dev", region: "us-east-1", account: "111122223333", kubernetesVersion: "1.33" }]');
    const occurrences = new Map<string, number>();
    for (const [i, cluster] of clusters.entries()) {
      const name = String(cluster?.name);
      const n = occurrences.get(name) ?? 0;
      occurrences.set(name, n + 1);
      const entry = locate(content, declaration.source, new RegExp(`name\\s*:\\s*['"\`]${escape(name)}['"\`]`), n);
      const fieldAt = (field: string): SourceRef => (entry === declaration.source ? entry : locate(content, entry, new RegExp(`${field}\\s*:`), 0));
      const seen = first.get(name);
      if (seen) {
        error(entry, name, `clusters[${i}].name`, `cluster "${name}" is declared twice; the first is at ${seen.file}:${seen.line ?? ''}`, 'give each cluster its own name (it is also its directory under generated/)');
        continue;
      }
      first.set(name, entry);
      if (!NAME.test(name) || RESERVED_CLUSTER_NAMES.has(name)) {
        error(entry, name, `clusters[${i}].name`, RESERVED_CLUSTER_NAMES.has(name) ? `"${name}" is reserved (generated/${name}/ holds what the clusters share)` : `"${name}" is not a cluster name`, 'use lower-case letters, digits and "-" (at most 63), not argocd or flux');
      }
      const region = String(cluster.region);
      if (!REGION.test(region)) {
        error(fieldAt('region'), name, `clusters[${i}].region`, `"${region}" is not an AWS region`, "write a region code such as 'us-east-1'");
      } else if (!options.hasCatalog(region)) {
        error(fieldAt('region'), name, `clusters[${i}].region`, `joinery has no instance catalog for region ${region}: its guardrails and plan could not check the pools`, `use a region with a catalog (${options.catalogRegions.join(', ')}), or add the region's catalog (data/README.md)`);
      }
      if (!/^\d{12}$/.test(String(cluster.account))) error(fieldAt('account'), name, `clusters[${i}].account`, `"${String(cluster.account)}" is not an AWS account id`, 'write the 12-digit account id as a string');
      if (!/^1\.\d{1,2}$/.test(String(cluster.kubernetesVersion))) error(fieldAt('kubernetesVersion'), name, `clusters[${i}].kubernetesVersion`, `"${String(cluster.kubernetesVersion)}" is not a Kubernetes minor version`, "write it like '1.33'");
      if (cluster.discoveryTags !== undefined && Object.keys(cluster.discoveryTags).length === 0) {
        error(fieldAt('discoveryTags'), name, `clusters[${i}].discoveryTags`, 'is empty: it would select every subnet and security group', "leave it out (default { 'karpenter.sh/discovery': <name> }) or give the tags");
      }
    }
  }
  return diagnostics;
}
