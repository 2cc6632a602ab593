// GPU capacity for training and inference: on-demand NVIDIA instances (g5, g6, g6e),
// tainted nvidia.com/gpu so only pods requesting GPUs land there, with a larger root
// volume for CUDA images.
import { definePolicy, DiscoveryEC2NodeClass, GpuNodePool, Never, days } from '../compiler/api/index.ts';
import { AMI, CLUSTER_NAME, NODE_ROLE } from './_cluster.ts';

export default definePolicy((policy) => {
  const nodeClass = new DiscoveryEC2NodeClass(policy, 'gpu', {
    clusterName: CLUSTER_NAME,
    role: NODE_ROLE,
    ami: AMI,
    rootVolumeSize: '300Gi',
    tags: { 'cost-center': 'ml-platform' },
  });

  new GpuNodePool(policy, 'gpu', {
    nodeClass,
    instances: { families: ['g5', 'g6', 'g6e'], gpu: { manufacturers: ['nvidia'], count: { min: 1, max: 8 } } },
    limits: { gpus: 64, cpu: 1024, memory: '8192Gi' },
    expireAfter: days(30),
    disruption: { consolidateAfter: Never, budgets: [{ nodes: 1 }] },
    acknowledge: {
      'consolidation-disabled':
        'GPU capacity in us-east-1 is scarce: a node given back may not be obtainable again, so jobs keep their nodes until the pool is scaled down by hand or the node expires.',
    },
  });
});
