// The what-if workload read from a live cluster (`joinery plan --cluster`): the pods, nodes
// and DaemonSets of every namespace, with the claims, volumes, storage classes and CSINodes, through the kubeconfig (KUBECONFIG or ~/.kube/config)
// with @kubernetes/client-node. The same snapshot shape as a `kubectl get -o json` file.
import type { CSINode, DaemonSet, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../core/api/k8s.ts';
import { WorkloadError, type WorkloadSnapshot } from './workload.ts';

export interface LiveClusterOptions {
  /** A kubeconfig context other than the current one. */
  context?: string;
  /** A kubeconfig file other than the default. */
  kubeconfig?: string;
}

export async function readLiveWorkload(options: LiveClusterOptions = {}): Promise<WorkloadSnapshot> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    if (options.context) config.setCurrentContext(options.context);
  } catch (error) {
    throw new WorkloadError(options.kubeconfig ?? 'kubeconfig', `cannot be loaded: ${(error as Error).message}`);
  }
  const context = config.getCurrentContext();
  if (options.context && !config.getContextObject(options.context)) {
    throw new WorkloadError(options.kubeconfig ?? 'kubeconfig', `has no context "${options.context}" (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`);
  }
  const source = `cluster ${context || config.getCurrentCluster()?.server || '(default)'}`;
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const storage = config.makeApiClient(k8s.StorageV1Api);
  try {
    const [pods, nodes, daemonSets, claims, volumes, storageClasses, csiNodes] = await Promise.all([
      core.listPodForAllNamespaces(),
      core.listNode(),
      apps.listDaemonSetForAllNamespaces(),
      core.listPersistentVolumeClaimForAllNamespaces(),
      core.listPersistentVolume(),
      storage.listStorageClass(),
      storage.listCSINode(),
    ]);
    // The client's models carry the API's JSON field names, so they are the structural types.
    return {
      source,
      pods: pods.items as unknown as Pod[],
      nodes: nodes.items as unknown as Node[],
      daemonSets: daemonSets.items as unknown as DaemonSet[],
      claims: claims.items as unknown as PersistentVolumeClaim[],
      volumes: volumes.items as unknown as PersistentVolume[],
      storageClasses: storageClasses.items as unknown as StorageClass[],
      csiNodes: csiNodes.items as unknown as CSINode[],
    };
  } catch (error) {
    const body = (error as { body?: unknown }).body;
    const detail = typeof body === 'string' ? body.slice(0, 300) : (error as Error).message;
    throw new WorkloadError(source, `listing pods, nodes, DaemonSets and storage objects failed: ${detail} (the plan needs list on pods, nodes, daemonsets, persistentvolumeclaims and persistentvolumes in all namespaces, and on storage.k8s.io storageclasses and csinodes)`);
  }
}
