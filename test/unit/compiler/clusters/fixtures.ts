// A repository of clusters for the tests: dev and prod-use1 in us-east-1, a policy for all
// clusters with a per-cluster override, one for prod only, and the reconciler deployed in
// each cluster from one policy.
export const CLUSTERS = `import { defineClusters } from 'API';

export default defineClusters({
  argocd: { repoURL: 'https://github.com/acme/capacity.git', targetRevision: 'release' },
  clusters: [
    { name: 'dev', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33', labels: { env: 'dev' } },
    { name: 'prod-use1', region: 'us-east-1', account: '444455556666', kubernetesVersion: '1.32', labels: { env: 'prod' }, discoveryTags: { 'acme.com/cluster': 'prod-use1' } },
  ],
});
`;

export const GENERAL = `import { definePolicy, EC2NodeClass, GeneralPurposeNodePool, Ami } from 'API';

export default definePolicy((policy) => {
  const cluster = policy.cluster!;
  const nodeClass = new EC2NodeClass(policy, 'general', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: \`KarpenterNodeRole-\${cluster.name}\`,
    subnets: [{ tags: cluster.discoveryTags }],
    securityGroups: [{ tags: cluster.discoveryTags }],
  });
  new GeneralPurposeNodePool(policy, 'general', {
    nodeClass,
    limits: policy.perCluster({ cpu: 100, memory: '400Gi' }, { 'prod-use1': { cpu: 2000 } }),
    expireAfter: '720h',
  });
});
`;

export const PROD_ONLY = `import { definePolicy, EC2NodeClass, NodePool, Ami } from 'API';

export default definePolicy({ clusters: { labels: { env: 'prod' } } }, (policy) => {
  const nodeClass = new EC2NodeClass(policy, 'batch', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-prod-use1',
    subnets: [{ tags: policy.cluster!.discoveryTags }],
    securityGroups: [{ tags: policy.cluster!.discoveryTags }],
  });
  new NodePool(policy, 'batch', { nodeClass, instances: { categories: ['c'], generation: { min: 6 } }, limits: { cpu: 500 }, expireAfter: '720h' });
});
`;

export const RECONCILER = `import { definePolicy, ReconcilerDeployment } from 'API';

export default definePolicy((policy) => {
  const cluster = policy.cluster!;
  new ReconcilerDeployment(policy, 'reconciler', {
    image: 'ghcr.io/joinery-dev/joinery:0.1.0',
    clusterName: cluster.name,
    region: cluster.region,
    clusterEndpoint: \`https://\${cluster.name}.example.com\`,
    aws: { irsaRoleArn: \`arn:aws:iam::\${cluster.account}:role/joinery-reconciler\` },
    nodeRoleArn: \`arn:aws:iam::\${cluster.account}:role/KarpenterNodeRole-\${cluster.name}\`,
    git: { url: 'https://github.com/acme/capacity.git' },
  });
});
`;
