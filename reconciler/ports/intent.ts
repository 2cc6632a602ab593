// The IntentSource port: the declared NodePools and EC2NodeClasses at a commit.
//
// Adapters: git via simple-git (clone, fetch on an interval and on demand, parse and
// validate generated/), the cluster's own NodePool/EC2NodeClass objects (for teams whose
// Argo CD or Flux applies them), and the simulator. A commit that fails to parse or
// validate is rejected: the last good intent stays in force and the rejection is
// delivered to subscribers, so a bad commit never tears down a fleet.

import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';

export interface Intent {
  /** The commit (or resourceVersion-derived identity) the intent was read at. */
  readonly commit: string;
  readonly nodePools: readonly NodePool[];
  readonly nodeClasses: readonly EC2NodeClass[];
  /** NodeOverlays (karpenter.sh/v1alpha1): price and capacity adjustments applied before scheduling. */
  readonly nodeOverlays?: readonly NodeOverlay[];
  /** When the adapter accepted this intent (epoch ms, from its Clock). */
  readonly acceptedAt: number;
}

/** One problem with a rejected commit, located by file and field. */
export interface IntentProblem {
  /** File path within the repository (e.g. generated/nodepool-web.yaml). */
  readonly file: string;
  /** Field path within the manifest (e.g. spec.template.spec.requirements[0].operator). */
  readonly field: string;
  readonly message: string;
}

export interface IntentRejection {
  readonly commit: string;
  readonly problems: readonly IntentProblem[];
  readonly rejectedAt: number;
}

export type IntentEvent =
  | { readonly type: 'accepted'; readonly intent: Intent }
  | { readonly type: 'rejected'; readonly rejection: IntentRejection };

export interface IntentSource {
  /** The last accepted intent; undefined until the first commit has been accepted. */
  current(): Intent | undefined;
  /** The most recent rejection not yet superseded by an accepted commit, if any. */
  lastRejection(): IntentRejection | undefined;
  /** Delivers accepted and rejected commits as they are observed. Returns an unsubscribe. */
  subscribe(listener: (event: IntentEvent) => void): () => void;
  /** Fetches now (on demand) instead of waiting for the next interval. */
  refresh(): Promise<void>;
}
