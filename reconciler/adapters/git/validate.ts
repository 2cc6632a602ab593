// From parsed manifests to an intent, or to the problems that reject it. The compiler's
// parser checks each object against its CRD schema and CEL rules; what only the set of
// objects can show is checked here: every NodePool's nodeClassRef names an EC2NodeClass
// of the same intent. Shared by the git and the cluster IntentSources.

import type { EC2NodeClass, NodePool } from '../../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../../core/api/node-overlay.ts';
import type { IntentParseResult, ManifestError } from '../../../compiler/manifests/index.ts';
import type { IntentProblem } from '../../ports/intent.ts';
import { EC2NODECLASS_KIND, KARPENTER_AWS_GROUP } from '../../../core/contract/index.ts';

export interface LocatedObject<T> {
  /** Where the object came from: a repository path, or Kind/name for cluster objects. */
  readonly file: string;
  readonly object: T;
}

export type IntentValidation =
  | { readonly ok: true; readonly nodePools: NodePool[]; readonly nodeClasses: EC2NodeClass[]; readonly nodeOverlays: NodeOverlay[] }
  | { readonly ok: false; readonly problems: IntentProblem[] };

/** A parser error as an IntentProblem: the file, the field, the line, what is wrong and the fix. */
export function manifestProblem(e: ManifestError): IntentProblem {
  const line = e.line !== undefined ? `line ${e.line}: ` : '';
  const what = e.kind ? `${e.kind}${e.name ? ` ${e.name}` : ''}: ` : '';
  return { file: e.file, field: e.field || '(document)', message: `${line}${what}${e.message}${e.fix ? `; fix: ${e.fix}` : ''}` };
}

/** NodePools whose EC2NodeClass is missing (or whose reference is not to an EC2NodeClass). */
export function referenceProblems(pools: readonly LocatedObject<NodePool>[], classes: readonly LocatedObject<EC2NodeClass>[]): IntentProblem[] {
  const names = new Set(classes.map((c) => c.object.metadata.name));
  const problems: IntentProblem[] = [];
  for (const { file, object } of pools) {
    const ref = object.spec.template.spec.nodeClassRef;
    const pool = object.metadata.name ?? '';
    if (ref.group !== KARPENTER_AWS_GROUP || ref.kind !== EC2NODECLASS_KIND) {
      problems.push({
        file,
        field: 'spec.template.spec.nodeClassRef',
        message: `NodePool ${pool}: refers to ${ref.group}/${ref.kind}, which joinery cannot launch; fix: use group karpenter.k8s.aws, kind EC2NodeClass`,
      });
    } else if (!names.has(ref.name)) {
      problems.push({
        file,
        field: 'spec.template.spec.nodeClassRef.name',
        message: `NodePool ${pool}: EC2NodeClass "${ref.name}" is not defined${names.size ? ` (defined: ${[...names].sort().join(', ')})` : ''}; fix: add it or point nodeClassRef at an existing one`,
      });
    }
  }
  return problems;
}

/** The intent the manifests declare, or every problem found in them. */
export function validateParsedIntent(result: IntentParseResult): IntentValidation {
  const problems = result.errors.map(manifestProblem);
  const pools = result.manifests.nodePools.map((m) => ({ file: m.path, object: m.object }));
  const classes = result.manifests.ec2NodeClasses.map((m) => ({ file: m.path, object: m.object }));
  problems.push(...referenceProblems(pools, classes));
  if (problems.length > 0) return { ok: false, problems };
  const byName = <T extends { metadata: { name?: string } }>(a: T, b: T) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);
  return {
    ok: true,
    nodePools: pools.map((p) => p.object).sort(byName),
    nodeClasses: classes.map((c) => c.object).sort(byName),
    nodeOverlays: result.manifests.nodeOverlays.map((m) => m.object).sort(byName),
  };
}
