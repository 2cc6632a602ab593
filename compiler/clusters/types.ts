// What evaluating a repository that declares clusters gives: the declarations (as written,
// with where), and one intent per declared cluster, built from the policies that apply to
// it. Plain data: the policy worker posts it to the compiler.
import type { ClusterInfo, ClustersProps } from '../api/clusters.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { IntentModel, SourceRef } from '../intent.ts';

/** One `defineClusters(...)` file. */
export interface ClustersDeclaration {
  /** The file and the line of the defineClusters call. */
  source: SourceRef;
  props: ClustersProps;
}

/** A place that names clusters: a definePolicy's `clusters`, or a perCluster call's overrides. */
export interface ClusterReference {
  source: SourceRef;
  kind: 'selection' | 'override';
  names: string[];
}

export interface ClusterIntent {
  cluster: ClusterInfo;
  /** Where the cluster is declared (its defineClusters call). */
  source: SourceRef;
  model: IntentModel;
  /** Invalid values found while collecting this cluster's intent. */
  diagnostics: Diagnostic[];
  /** The policy files built for this cluster. */
  policyFiles: string[];
}

export interface ClustersEvaluation {
  declarations: ClustersDeclaration[];
  /** One per distinct declared name, in declaration order (a name declared twice is built once). */
  clusters: ClusterIntent[];
  references: ClusterReference[];
}
