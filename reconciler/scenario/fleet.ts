// A scenario's initial fleet: nodes launched by the reconciler before the simulation
// starts (yesterday, or a month ago, so they reach expireAfter during the day). They are
// restored as the API server and EC2 would hold them: a NodeClaim with its launch,
// registration and initialization recorded, a running instance, a Ready node.

import { formatResourceQuantity } from '../../core/resources/quantity.ts';
import type { NewNode } from '../../core/scheduling/types.ts';
import { setCondition } from '../controllers/shared/conditions.ts';
import { nodeClaimFor, nodePoolUid } from '../controllers/shared/nodeclaim.ts';
import type { InMemoryWorld } from '../adapters/in-memory/world.ts';
import type { Intent } from '../ports/intent.ts';
import { indexIntent } from '../views/drift.ts';
import {
  CLUSTER_TAG_VALUE,
  CONDITION_INITIALIZED,
  CONDITION_LAUNCHED,
  CONDITION_REGISTERED,
  LABEL_CAPACITY_TYPE,
  LABEL_INITIALIZED,
  LABEL_INSTANCE_TYPE,
  LABEL_REGISTERED,
  LABEL_ZONE,
  TAG_NODECLAIM,
  TAG_NODEPOOL,
  TAG_POLICY_COMMIT,
  clusterTagKey,
} from '../../core/contract/index.ts';
import { ScenarioError, type FleetNodes } from './scenario.ts';

function quantities(list: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(list)) out[k] = formatResourceQuantity(k, v);
  return out;
}

export function restoreFleet(world: InMemoryWorld, intent: Intent, fleet: readonly FleetNodes[], scenarioFile: string): number {
  const idx = indexIntent(intent);
  let restored = 0;
  for (const [i, f] of fleet.entries()) {
    const pool = idx.pools.get(f.nodePool);
    if (!pool) throw new ScenarioError(scenarioFile, `fleet[${i}].nodePool`, `no NodePool ${f.nodePool} in the policies (have: ${[...idx.pools.keys()].join(', ')})`);
    const type = world.ec2.catalog().find((t) => t.name === f.instanceType);
    const offering = type?.offerings.find((o) => o.zone === f.zone && o.capacityType === f.capacityType);
    if (!type || !offering) {
      throw new ScenarioError(scenarioFile, `fleet[${i}]`, `${f.instanceType} is not offered as ${f.capacityType} in ${f.zone} (zones simulated: ${world.ec2.zones.join(', ')}); pick a type, capacity type and zone of the catalog`);
    }
    for (let n = 0; n < f.count; n++) {
      const createdMs = world.clock.now() - f.ageMs;
      const created = new Date(createdMs).toISOString();
      const newNode: NewNode = {
        name: `restored-${i}-${n}`,
        nodePool: f.nodePool,
        requirements: [
          ...pool.spec.template.spec.requirements
            .filter((r) => r.key !== LABEL_CAPACITY_TYPE)
            .map((r) => ({ key: r.key, operator: r.operator, ...(r.values ? { values: [...r.values] } : {}) })),
          { key: LABEL_CAPACITY_TYPE, operator: 'In' as const, values: [f.capacityType] },
          { key: LABEL_INSTANCE_TYPE, operator: 'In' as const, values: [f.instanceType] },
          { key: LABEL_ZONE, operator: 'In' as const, values: [f.zone] },
        ],
        labels: {},
        instanceTypeOptions: [{ name: f.instanceType, price: offering.price, offerings: [offering] }],
        pods: [],
        requests: {},
        price: offering.price,
      };
      const draft = nodeClaimFor({ newNode, pool, intent: idx, poolUid: nodePoolUid(world.api.cache, f.nodePool) });
      draft.metadata.creationTimestamp = created;
      draft.metadata.labels = { ...draft.metadata.labels, ...type.labels, [LABEL_ZONE]: f.zone, [LABEL_CAPACITY_TYPE]: f.capacityType };
      const claim = world.api.create('NodeClaim', draft, true);
      const name = claim.metadata.name!;
      const record = world.ec2.restore({
        clientToken: claim.metadata.uid!,
        nodeClaimName: name,
        instanceType: f.instanceType,
        zone: f.zone,
        capacityType: f.capacityType,
        launchTime: createdMs,
        tags: { [clusterTagKey(world.clusterName)]: CLUSTER_TAG_VALUE, [TAG_NODEPOOL]: f.nodePool, [TAG_NODECLAIM]: name, [TAG_POLICY_COMMIT]: intent.commit },
        userData: { labels: { ...claim.metadata.labels! }, taints: [...(claim.spec.taints ?? [])], startupTaints: [] },
      });
      const node = world.kubelets.restoreNode(record, { ...claim.metadata.labels!, [LABEL_REGISTERED]: 'true', [LABEL_INITIALIZED]: 'true' }, created);
      let conditions = setCondition(undefined, CONDITION_LAUNCHED, 'True', 'Launched', `${f.instanceType} ${f.capacityType} in ${f.zone}`, created);
      conditions = setCondition(conditions, CONDITION_REGISTERED, 'True', 'Registered', `node ${node.metadata.name}`, created);
      conditions = setCondition(conditions, CONDITION_INITIALIZED, 'True', 'Initialized', 'node ready', created);
      world.api.update('NodeClaim', name, undefined, (c) => {
        c.status = {
          providerID: record.instance.providerID,
          nodeName: node.metadata.name!,
          imageID: record.instance.imageID,
          capacity: quantities(type.capacity),
          allocatable: quantities(type.allocatable),
          conditions,
          lastPodEventTime: created,
        };
      });
      restored += 1;
    }
  }
  return restored;
}
