// The Cluster over a real API server: `new KubernetesCluster({ kubeconfigPath })`.
export { KubernetesCluster, loadKubeConfig } from './cluster.ts';
