// `joinery import --cluster`: the NodePools and EC2NodeClasses of a live cluster, read
// through a kubeconfig with @kubernetes/client-node (v1 as the API server serves them).
import { ImportInputError, classifyDocument, type ImportedObject } from './read.ts';

export interface LiveImportOptions {
  kubeconfig?: string;
  context?: string;
}

export async function readClusterObjects(options: LiveImportOptions = {}): Promise<ImportedObject[]> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  const source = options.kubeconfig ?? 'kubeconfig';
  try {
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw new ImportInputError(source, undefined, `cannot be loaded: ${(error as Error).message}`, 'pass --kubeconfig <file>, or set KUBECONFIG');
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new ImportInputError(source, undefined, `has no context "${options.context}" (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`, 'pick one of the contexts listed');
    }
    config.setCurrentContext(options.context);
  }
  const cluster = `cluster ${config.getCurrentContext() || config.getCurrentCluster()?.server || '(default)'}`;
  const api = config.makeApiClient(k8s.CustomObjectsApi);
  const list = async (group: string, plural: string): Promise<unknown[]> => {
    try {
      const out = (await api.listClusterCustomObject({ group, version: 'v1', plural })) as { items?: unknown[] };
      return out.items ?? [];
    } catch (error) {
      const code = (error as { code?: number }).code;
      const detail = code === 404 ? `the API server does not serve ${plural}.${group}/v1 (is Karpenter v1 installed?)` : (error as Error).message;
      throw new ImportInputError(cluster, undefined, `listing ${plural} failed: ${detail}`, code === 404 ? 'install Karpenter v1 CRDs, or import the YAML files instead' : 'check the kubeconfig, the context and that the API server is reachable; import needs list on nodepools and ec2nodeclasses');
    }
  };
  const [pools, classes] = await Promise.all([list('karpenter.sh', 'nodepools'), list('karpenter.k8s.aws', 'ec2nodeclasses')]);
  return [...classes, ...pools].map((item) => {
    const o = classifyDocument(item, cluster, undefined);
    return { ...o, origin: `${cluster} ${o.kind}/${o.name}` };
  });
}
