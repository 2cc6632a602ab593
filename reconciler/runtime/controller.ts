// What a controller is to the manager: a level-triggered reconcile over the cached
// cluster state, woken by watch events, intent changes, its own requeue, or an explicit
// wake from its event hook (the provisioning batching window uses this).

import type { WatchEvent, Kind } from '../ports/cluster.ts';
import type { IntentEvent } from '../ports/intent.ts';

export interface ReconcileResult {
  /** Reconcile again after this long even if nothing changes. */
  readonly requeueAfterMs?: number;
}

/** Wakes the controller after `delayMs` (0: as soon as possible). */
export type Wake = (delayMs?: number) => void;

export interface Controller {
  readonly name: string;
  /** Changes to these kinds wake the controller at once. */
  readonly watches?: readonly Kind[];
  /** Sees every watch event before the manager applies `watches`; may wake on its own terms. */
  onEvent?(event: WatchEvent, wake: Wake): void;
  onIntent?(event: IntentEvent, wake: Wake): void;
  reconcile(): Promise<ReconcileResult | void>;
}
