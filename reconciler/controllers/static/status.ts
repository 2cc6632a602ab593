// What a static NodePool's status says of its count (written by the status controller with
// the rest of NodePool status): desired (spec.replicas) and current, as the condition
// joinery.dev/ReplicasReady. status.nodes holds the launched nodes, as for every pool.

import { CONDITION_REPLICAS_READY, REASON_REPLICAS_READY, REASON_SCALING } from '../../../core/contract/index.ts';
import type { StaticPoolCount } from '../../views/static-pools.ts';

export interface StaticCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export function staticReplicasCondition(count: StaticPoolCount): StaticCondition {
  const ready = count.ready === count.desired && count.launching === 0 && count.leaving === 0 && count.staying.length === count.desired;
  return {
    type: CONDITION_REPLICAS_READY,
    status: ready ? 'True' : 'False',
    reason: ready ? REASON_REPLICAS_READY : REASON_SCALING,
    message: `desired ${count.desired}, current ${count.ready} in service (${count.launching} launching, ${count.leaving} leaving)${count.claims + 1 > count.limit && count.present < count.desired ? `; limits.nodes ${count.limit} reached` : ''}`,
  };
}
