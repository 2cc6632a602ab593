// NodePools in each state the health checks tell apart, with the verdict each tool must
// give: the unit tests run the Argo CD Lua and the Flux CEL expressions on them.

import {
  CONDITION_COMMIT_ACCEPTED,
  CONDITION_READY,
  CONDITION_ROLLED_OUT,
  KARPENTER_API_VERSION,
  NODEPOOL_KIND,
  REASON_COMMIT_REJECTED,
  REASON_ROLLED_OUT,
  REASON_ROLLING_OUT,
  TAG_DISCOVERY,
  LABEL_CAPACITY_TYPE,
  KARPENTER_AWS_GROUP,
  EC2NODECLASS_KIND,
  REASON_COMMIT_ACCEPTED,
  CONDITION_NODECLASS_READY,
  REASON_NODECLASS_NOT_READY,
} from '../../core/contract/index.ts';

export type ArgoHealthStatus = 'Healthy' | 'Progressing' | 'Degraded';
export type FluxHealthStatus = 'Current' | 'InProgress' | 'Failed';

export interface HealthFixture {
  /** File name stem of its testdata. */
  readonly name: string;
  readonly object: Record<string, unknown>;
  readonly argo: { readonly status: ArgoHealthStatus; readonly message: string };
  /** Undefined: the expressions cannot be evaluated yet (no status): Flux keeps waiting. */
  readonly flux: FluxHealthStatus | undefined;
}

const T = '2026-03-02T09:00:00Z';

function pool(generation: number, conditions?: Record<string, unknown>[]): Record<string, unknown> {
  return {
    apiVersion: KARPENTER_API_VERSION,
    kind: NODEPOOL_KIND,
    metadata: { name: 'general-purpose', generation },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: 'default' },
          requirements: [{ key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] }],
        },
      },
    },
    ...(conditions ? { status: { nodes: 3, conditions } } : {}),
  };
}

function condition(type: string, status: string, reason: string, message: string, observedGeneration?: number): Record<string, unknown> {
  return { type, status, reason, message, lastTransitionTime: T, ...(observedGeneration !== undefined ? { observedGeneration } : {}) };
}

const accepted = condition(CONDITION_COMMIT_ACCEPTED, 'True', REASON_COMMIT_ACCEPTED, 'commit 3f9c2a1b7d4e in force');
const done = 'commit 3f9c2a1b7d4e: 3/3 nodes up to date, 0 drifted, 0 being replaced';
const rolling = 'commit 3f9c2a1b7d4e: 1/3 nodes up to date, 1 drifted, 1 being replaced';
const rejectedMessage = 'commit 8e1d0c5a2b3f rejected, 3f9c2a1b7d4e stays in force: generated/nodepools/general-purpose.yaml: spec.template.spec.nodeClassRef.name: EC2NodeClass "gp" is not defined';

const nodeClassMessage = `EC2NodeClass default: spec.subnetSelectorTerms matched no subnet ([{"tags":{"${TAG_DISCOVERY}":"nope"}}]); tag the cluster subnets to match`;

export const HEALTH_FIXTURES: readonly HealthFixture[] = [
  {
    name: 'nodeclass-not-ready',
    object: pool(2, [condition(CONDITION_NODECLASS_READY, 'False', REASON_NODECLASS_NOT_READY, nodeClassMessage, 2), condition(CONDITION_ROLLED_OUT, 'True', REASON_ROLLED_OUT, done, 2), accepted]),
    argo: { status: 'Degraded', message: nodeClassMessage },
    flux: 'Failed',
  },
  {
    name: 'rolled-out',
    object: pool(2, [condition(CONDITION_ROLLED_OUT, 'True', REASON_ROLLED_OUT, done), accepted]),
    argo: { status: 'Healthy', message: done },
    flux: 'Current',
  },
  {
    name: 'rolling-out',
    object: pool(2, [condition(CONDITION_ROLLED_OUT, 'False', REASON_ROLLING_OUT, rolling), accepted]),
    argo: { status: 'Progressing', message: rolling },
    flux: 'InProgress',
  },
  {
    name: 'commit-rejected',
    object: pool(3, [condition(CONDITION_ROLLED_OUT, 'True', REASON_ROLLED_OUT, done), condition(CONDITION_COMMIT_ACCEPTED, 'False', REASON_COMMIT_REJECTED, rejectedMessage)]),
    argo: { status: 'Degraded', message: rejectedMessage },
    flux: 'Failed',
  },
  {
    name: 'older-generation',
    object: pool(3, [condition(CONDITION_ROLLED_OUT, 'True', REASON_ROLLED_OUT, done, 2), accepted]),
    argo: { status: 'Progressing', message: 'waiting for the joinery reconciler to observe generation 3' },
    flux: 'InProgress',
  },
  {
    name: 'not-reported-yet',
    object: pool(1),
    argo: { status: 'Progressing', message: `waiting for the joinery reconciler to report the rollout (condition ${CONDITION_ROLLED_OUT})` },
    flux: undefined,
  },
  {
    name: 'karpenter-ready',
    object: pool(1, [condition(CONDITION_READY, 'True', 'Ready', 'NodePool is ready')]),
    argo: { status: 'Healthy', message: 'NodePool is ready' },
    flux: 'Current',
  },
  {
    name: 'karpenter-not-ready',
    object: pool(1, [condition(CONDITION_READY, 'False', 'NodeClassNotReady', 'NodeClass is not ready')]),
    argo: { status: 'Degraded', message: 'NodeClass is not ready' },
    flux: 'Failed',
  },
];
