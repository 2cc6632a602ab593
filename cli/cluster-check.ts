// Before a command waits on a live cluster (informers retry forever, quietly), it asks the
// API server once, with a deadline: a cluster that is not there is a clear error naming
// the server, the kubeconfig and the context, not a process that ends with a bare code.

export class ClusterUnreachableError extends Error {
  override name = 'ClusterUnreachableError';
}

export interface ClusterCheckOptions {
  kubeconfig?: string;
  context?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

function describeFailure(error: unknown): string {
  const e = error as { code?: number | string; cause?: { code?: string }; message?: string; body?: unknown };
  const code = e.cause?.code ?? (typeof e.code === 'string' ? e.code : undefined);
  if (code) return code;
  if (e.code === 401 || e.code === 403) return `HTTP ${e.code}: the credentials were refused`;
  return (e.message ?? String(error)).split('\n')[0]!;
}

/** Loads the kubeconfig and asks the API server for its version; throws ClusterUnreachableError when either fails. */
export async function checkApiServer(options: ClusterCheckOptions = {}): Promise<{ server: string; context: string }> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  const source = options.kubeconfig ?? (process.env.KUBECONFIG ? `KUBECONFIG (${process.env.KUBECONFIG})` : '~/.kube/config');
  try {
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw new ClusterUnreachableError(`cannot load the kubeconfig ${source}: ${(error as Error).message.split('\n')[0]}; pass --kubeconfig <file> or set KUBECONFIG`);
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new ClusterUnreachableError(`the kubeconfig ${source} has no context "${options.context}" (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    config.setCurrentContext(options.context);
  }
  const server = config.getCurrentCluster()?.server;
  const context = config.getCurrentContext() || '(none)';
  if (!server) throw new ClusterUnreachableError(`the kubeconfig ${source} names no cluster for context ${context}; pass --kubeconfig or --context`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      config.makeApiClient(k8s.VersionApi).getCode(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new ClusterUnreachableError(`cannot reach the Kubernetes API server ${server} (context ${context}, kubeconfig ${source}): ${describeFailure(error)}; check that the cluster is up and the kubeconfig points at it`);
  } finally {
    clearTimeout(timer);
  }
  return { server, context };
}
