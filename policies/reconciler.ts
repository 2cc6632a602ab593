// The joinery reconciler in this cluster: the image every replica runs (pinned: upgrades are
// reviewed like any other change), its AWS identity, and the repository it pulls these
// policies from. `joinery compile` writes generated/reconciler/ and the IAM policy its role
// needs (generated/reconciler/iam-policy.json).
import { definePolicy, ReconcilerDeployment } from '../compiler/api/index.ts';
import { CLUSTER_NAME, NODE_ROLE } from './_cluster.ts';

const ACCOUNT = '111122223333';

export default definePolicy((policy) => {
  new ReconcilerDeployment(policy, 'reconciler', {
    image: 'ghcr.io/joinery-dev/joinery:0.1.0',
    clusterName: CLUSTER_NAME,
    region: 'us-east-1',
    clusterEndpoint: 'https://EXAMPLE0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com',
    aws: { irsaRoleArn: `arn:aws:iam::${ACCOUNT}:role/joinery-reconciler-${CLUSTER_NAME}` },
    nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/${NODE_ROLE}`,
    git: {
      url: 'https://github.com/joinery-dev/platform-capacity.git',
      branch: 'main',
      path: 'generated',
      credentialsSecret: 'joinery-git-credentials',
    },
    // Only Prometheus (in the monitoring namespace) may reach the metrics and health port;
    // every other ingress to the reconciler's Pods is denied.
    networkPolicy: {
      metricsFrom: [{ namespaces: { 'kubernetes.io/metadata.name': 'monitoring' }, pods: { 'app.kubernetes.io/name': 'prometheus' } }],
    },
    // A ServiceMonitor for prometheus-operator and the capacity, cost and rollout dashboards
    // (generated/monitoring/); they query Karpenter's metric names where joinery shares them.
    monitoring: { serviceMonitor: { labels: { release: 'kube-prometheus-stack' } }, grafanaDashboards: true },
  });
});
