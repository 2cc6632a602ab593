// `joinery explain` against a live cluster: the production adapters (the Kubernetes API
// through informers, EC2 for the instance catalog and prices), read once, then closed.
// Nothing is written to the cluster or to EC2.

import type { KubeConfig } from '@kubernetes/client-node';
import { AwsCloudProvider } from '../adapters/aws/index.ts';
import { ClusterIntentSource } from '../adapters/cluster-intent/index.ts';
import { KubernetesCluster, loadKubeConfig } from '../adapters/kubernetes/index.ts';
import type { IntentSource } from '../ports/intent.ts';
import type { ReconcilerOptions } from '../runtime/context.ts';
import { SystemClock } from '../runtime/system-clock.ts';
import { readOnlyContext } from './context.ts';
import { explainNode, NoIntentError, type NodeExplanation } from './explain-node.ts';
import { explainPod, PodNotFoundError, type PodEvent, type PodExplanation } from './explain-pod.ts';
import type { Pod } from '../../core/api/k8s.ts';
import { FixedIntentSource, intentFromGeneratedDir } from './intent.ts';

type ExplainIntentSource = { readonly kind: 'cluster' } | { readonly kind: 'generated'; readonly dir: string };

export interface LiveExplainOptions {
  readonly name: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly intent: ExplainIntentSource;
  readonly ec2: {
    readonly region: string;
    readonly endpoint?: string;
    /** Minor version AMI aliases resolve for; default: asked from the API server. */
    readonly kubernetesVersion?: string;
    /** SSM endpoint override: AMI aliases and ssmParameter terms are read from SSM. */
    readonly ssmEndpoint?: string;
  };
  /** The reconciler's settings that change what disruption decides. */
  readonly options?: Partial<ReconcilerOptions>;
}

async function serverMinor(kc: KubeConfig): Promise<string | undefined> {
  const { VersionApi } = await import('@kubernetes/client-node');
  try {
    const v = await kc.makeApiClient(VersionApi).getCode();
    return `${v.major.replace(/\D/g, '')}.${v.minor.replace(/\D/g, '')}`;
  } catch {
    return undefined;
  }
}

export async function explainLiveNode(o: LiveExplainOptions): Promise<NodeExplanation> {
  const clock = new SystemClock();
  const kubeConfig = loadKubeConfig(o.kubeconfig ? { kubeconfigPath: o.kubeconfig } : {});
  if (o.context) kubeConfig.setCurrentContext(o.context);
  const cluster = new KubernetesCluster({ kubeConfig, clock });
  const kubernetesVersion = o.ec2.kubernetesVersion ?? (await serverMinor(kubeConfig));
  // Read-only: the catalog and prices only. Nothing is listed, launched or tagged, so the
  // cluster's name and the nodes' bootstrap settings are never used.
  const cloud = new AwsCloudProvider({
    clusterName: 'joinery-explain',
    region: o.ec2.region,
    ...(o.ec2.endpoint ? { endpoint: o.ec2.endpoint } : {}),
    bootstrap: { name: 'joinery-explain', endpoint: kubeConfig.getCurrentCluster()?.server ?? 'https://unused', certificateAuthority: '' },
    ...(kubernetesVersion ? { kubernetesVersion } : {}),
    checkInstanceProfiles: false,
    ...(o.ec2.ssmEndpoint ? { ssmEndpoint: o.ec2.ssmEndpoint } : {}),
    clock,
  });
  let intent: IntentSource;
  let clusterIntent: ClusterIntentSource | undefined;
  if (o.intent.kind === 'generated') {
    intent = new FixedIntentSource(await intentFromGeneratedDir(o.intent.dir, clock));
  } else {
    clusterIntent = new ClusterIntentSource({ kubeConfig, clock, debounceMs: 0 });
    intent = clusterIntent;
  }
  try {
    await Promise.all([cluster.waitForSync(), clusterIntent?.start()]);
    if (clusterIntent && (clusterIntent.current()?.nodePools.length ?? 0) === 0) {
      const r = clusterIntent.current() ? undefined : clusterIntent.lastRejection();
      throw new NoIntentError(
        r
          ? `the cluster's NodePools and EC2NodeClasses do not validate:\n${r.problems.map((p) => `  ${p.file}: ${p.field}: ${p.message}`).join('\n')}`
          : 'the cluster holds no NodePools; pass --generated <dir> with the compiled manifests the reconciler follows',
      );
    }
    return await explainNode(readOnlyContext({ clock, cluster, cloud, intent, options: o.options }), o.name);
  } finally {
    await Promise.all([cluster.stop(), clusterIntent?.stop()]);
  }
}

export interface LivePodExplainOptions {
  readonly namespace: string;
  readonly name: string;
  readonly kubeconfig?: string;
  readonly context?: string;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  const v = e?.code ?? e?.statusCode ?? e?.response?.statusCode;
  return typeof v === 'number' ? v : undefined;
}

/** `joinery explain pod`: the pod and the Events on it, read once (two GETs); nothing written. */
export async function explainLivePod(o: LivePodExplainOptions): Promise<PodExplanation> {
  const kubeConfig = loadKubeConfig(o.kubeconfig ? { kubeconfigPath: o.kubeconfig } : {});
  if (o.context) kubeConfig.setCurrentContext(o.context);
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let pod: Pod;
  try {
    pod = JSON.parse(JSON.stringify(await core.readNamespacedPod({ namespace: o.namespace, name: o.name }))) as Pod;
  } catch (err) {
    if (statusOf(err) === 404) throw new PodNotFoundError(`${o.namespace}/${o.name}`);
    throw err;
  }
  const list = await core.listNamespacedEvent({ namespace: o.namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${o.name}` });
  const uid = pod.metadata.uid;
  const time = (d: Date | string | undefined): number => (d === undefined ? 0 : new Date(d).getTime());
  const events: PodEvent[] = list.items
    // An earlier pod of the same name is another pod.
    .filter((e) => !uid || !e.involvedObject.uid || e.involvedObject.uid === uid)
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      timeMs: time(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp),
    }));
  return explainPod(pod, events);
}
