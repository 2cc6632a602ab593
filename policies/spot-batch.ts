// Spot capacity for interruption-tolerant batch jobs: many c/m/r families kept open so
// spot interruptions can be replaced from other pools, tainted so only batch jobs (which
// tolerate joinery.dev/workload=batch) are scheduled there, consolidated only when empty.
import { definePolicy, DiscoveryEC2NodeClass, SpotBatchNodePool } from '../compiler/api/index.ts';
import { AMI, CLUSTER_NAME, NODE_ROLE } from './_cluster.ts';

export default definePolicy((policy) => {
  const nodeClass = new DiscoveryEC2NodeClass(policy, 'batch', {
    clusterName: CLUSTER_NAME,
    role: NODE_ROLE,
    ami: AMI,
    tags: { 'cost-center': 'data-platform' },
  });

  new SpotBatchNodePool(policy, 'spot-batch', {
    nodeClass,
    limits: { cpu: 4000, memory: '16000Gi' },
    weight: 10,
  });
});
