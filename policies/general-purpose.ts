// General-purpose capacity: the default home of stateless services. On-demand and spot,
// amd64 and arm64 (Graviton is cheaper per vCPU for multi-arch images), c/m/r generation
// 6+, 2 to 64 vCPUs, consolidated when under-used.
import { definePolicy, DiscoveryEC2NodeClass, GeneralPurposeNodePool } from '../compiler/api/index.ts';
import { AMI, CLUSTER_NAME, NODE_ROLE } from './_cluster.ts';

export default definePolicy((policy) => {
  const nodeClass = new DiscoveryEC2NodeClass(policy, 'general-purpose', {
    clusterName: CLUSTER_NAME,
    role: NODE_ROLE,
    ami: AMI,
    tags: { 'cost-center': 'platform' },
  });

  new GeneralPurposeNodePool(policy, 'general-purpose', {
    nodeClass,
    architectures: ['amd64', 'arm64'],
    capacityTypes: ['spot', 'on-demand'],
    limits: { cpu: 2000, memory: '8000Gi' },
    // Node auto-repair: a node NotReady (or failing a node-monitoring condition) past its
    // toleration is replaced (with the reconciler's NodeRepair feature gate).
    nodeRepair: true,
    disruption: {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '1m',
      budgets: [
        { nodes: '10%' },
        // No consolidation moves during the weekday peak (UTC); drift and emptiness still proceed.
        { nodes: 0, schedule: '0 13 * * mon-fri', duration: '8h', reasons: ['Underutilized'] },
      ],
    },
  });
});
