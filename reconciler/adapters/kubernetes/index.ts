// The Cluster over a real API server: `new KubernetesCluster({ kubeconfigPath })`.
export { KubernetesCluster, loadKubeConfig, patchedFinalizers, patchedTaints, type KubernetesClusterConfig } from './cluster.ts';
export { InformerStore } from './store.ts';
export { compareResourceVersions, toPlain } from './plain.ts';
export { KubernetesApiError } from './errors.ts';
