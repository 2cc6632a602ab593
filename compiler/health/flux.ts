// Flux: the health of a NodePool as CEL expressions for a Kustomization's
// spec.healthCheckExprs (kustomize-controller, Flux >= 2.5), equivalent to the Argo CD Lua
// check. The three are mutually exclusive, so the result does not depend on the order
// Flux evaluates them in; when status has no conditions yet none applies and Flux waits.

import {
  CONDITION_COMMIT_ACCEPTED,
  CONDITION_READY,
  CONDITION_NODECLASS_READY,
  CONDITION_ROLLED_OUT,
  KARPENTER_API_VERSION,
  NODEPOOL_KIND,
} from '../../core/contract/index.ts';

export interface FluxHealthCheckExpr {
  readonly apiVersion: string;
  readonly kind: string;
  readonly current: string;
  readonly inProgress: string;
  readonly failed: string;
}

const conditions = 'status.conditions';
const exists = (test: string) => `${conditions}.exists(c, ${test})`;
/** The condition describes this generation of the spec (or does not say which it describes). */
const fresh = '(!has(c.observedGeneration) || c.observedGeneration >= metadata.generation)';

const rejected = exists(`c.type == '${CONDITION_COMMIT_ACCEPTED}' && c.status == 'False'`);
const nodeClassNotReady = exists(`c.type == '${CONDITION_NODECLASS_READY}' && c.status == 'False'`);
const reportsRollout = exists(`c.type == '${CONDITION_ROLLED_OUT}'`);
const rolledOut = exists(`c.type == '${CONDITION_ROLLED_OUT}' && c.status == 'True' && ${fresh}`);
const karpenterReady = (status: 'True' | 'False') => exists(`c.type == '${CONDITION_READY}' && c.status == '${status}'`);

/** Healthy: the latest commit accepted and the pool rolled out (without joinery's conditions: Karpenter's Ready). */
const NODEPOOL_CURRENT = `has(${conditions}) && !${rejected} && !${nodeClassNotReady} && (${reportsRollout} ? ${rolledOut} : ${karpenterReady('True')})`;
/** Failed: the latest policy commit was rejected, or the pool's EC2NodeClass does not resolve (without joinery's conditions: Ready is False). */
const NODEPOOL_FAILED = `has(${conditions}) && (${rejected} || ${nodeClassNotReady} || (!${reportsRollout} && ${karpenterReady('False')}))`;
/** In progress: rolling out, or the rollout condition is about an older generation of the spec. */
const NODEPOOL_IN_PROGRESS = `has(${conditions}) && !${rejected} && !${nodeClassNotReady} && (${reportsRollout} ? !${rolledOut} : !(${karpenterReady('True')} || ${karpenterReady('False')}))`;

export function nodePoolHealthCheckExpr(): FluxHealthCheckExpr {
  return { apiVersion: KARPENTER_API_VERSION, kind: NODEPOOL_KIND, current: NODEPOOL_CURRENT, inProgress: NODEPOOL_IN_PROGRESS, failed: NODEPOOL_FAILED };
}

/** spec fields of the Flux Kustomization that gates on the pools' rollout. */
export function fluxHealthSpec(nodePools: readonly string[]): Record<string, unknown> {
  return {
    healthChecks: [...nodePools].sort().map((name) => ({ apiVersion: KARPENTER_API_VERSION, kind: NODEPOOL_KIND, name })),
    healthCheckExprs: [nodePoolHealthCheckExpr()],
  };
}
