// Pods, namespaces and clean-up for the reconciler tests, through the Kubernetes API
// (not through the adapter under test), and what moto holds, through EC2 directly.

import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { NodeClaim } from '../../../core/api/karpenter.ts';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface PodSpecOptions {
  readonly cpu: string;
  readonly memory: string;
  readonly labels?: Record<string, string>;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: V1Pod['spec'] extends infer S ? (S extends { tolerations?: infer T } ? T : never) : never;
  readonly affinity?: NonNullable<V1Pod['spec']>['affinity'];
}

export function podManifest(name: string, namespace: string, o: PodSpecOptions): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name.replace(/-\d+$/, ''), ...(o.labels ?? {}) } },
    spec: {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: o.cpu, memory: o.memory } } }],
      terminationGracePeriodSeconds: 0,
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
    },
  };
}

export class Workload {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async createNamespace(labels?: Record<string, string>): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name: this.namespace, ...(labels ? { labels } : {}) } } });
  }

  /**
   * Creates the pods, `concurrency` at a time; returns when each create call returned (ms).
   * A pod of that name left by a failed first attempt of the test (jest retries a test once,
   * in the same namespace) is deleted and created anew, so the retry starts from its own pod.
   */
  /** Creates the pods, `concurrency` calls at a time, no faster than `perSecond` when given; returns when each create returned. */
  async createPods(pods: readonly V1Pod[], concurrency = 16, perSecond?: number): Promise<Map<string, number>> {
    const createdAt = new Map<string, number>();
    const start = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < pods.length) {
        const i = next++;
        const pod = pods[i]!;
        if (perSecond) {
          const due = start + (i * 1000) / perSecond;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
        await this.core.createNamespacedPod({ namespace: this.namespace, body: pod }).catch(async (err: unknown) => {
          if ((err as { code?: number }).code !== 409) throw err;
          await this.recreatePod(pod);
        });
        createdAt.set(pod.metadata!.name!, Date.now());
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pods.length) }, worker));
    return createdAt;
  }

  private async recreatePod(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    await this.core.deleteNamespacedPod({ namespace: this.namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.core.createNamespacedPod({ namespace: this.namespace, body: pod });
        return;
      } catch (err) {
        // 409 while the old pod is still being deleted.
        if ((err as { code?: number }).code !== 409 || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async pods(): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: this.namespace })).items;
  }

  async nodeClaims(pools?: readonly string[]): Promise<NodeClaim[]> {
    const list = (await this.custom.listClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' })) as { items: NodeClaim[] };
    return list.items.filter((c) => !pools || pools.includes(c.metadata.labels?.['karpenter.sh/nodepool'] ?? ''));
  }

  async podEvents(reason: string): Promise<{ pod: string; message: string }[]> {
    const list = await this.core.listNamespacedEvent({ namespace: this.namespace });
    return list.items.filter((e) => e.reason === reason).map((e) => ({ pod: e.involvedObject.name ?? '', message: e.message ?? '' }));
  }

  /** Pods not Running, as "name: phase (reason)" lines; [] when every pod runs. */
  async notRunning(): Promise<string[]> {
    return (await this.pods())
      .filter((p) => p.status?.phase !== 'Running')
      .map((p) => {
        const cond = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
        return `${p.metadata?.name}: ${p.status?.phase} ${cond ? `(${cond.reason ?? ''} ${cond.message ?? ''})` : ''}`;
      });
  }

  /** Deletes every pod of the namespace at once (grace 0) and waits until none is left. */
  async deleteAllPods(timeoutMs = 60_000): Promise<void> {
    await this.core.deleteCollectionNamespacedPod({ namespace: this.namespace, gracePeriodSeconds: 0 });
    const deadline = Date.now() + timeoutMs;
    while ((await this.pods()).length > 0) {
      if (Date.now() > deadline) throw new Error(`pods of ${this.namespace} still exist ${timeoutMs} ms after their deletion`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async deleteNamespace(): Promise<void> {
    await this.core.deleteCollectionNamespacedPod({ namespace: this.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await this.core.deleteNamespace({ name: this.namespace }).catch(() => undefined);
  }
}

/** Instances in the test EC2 tagged for these pools, terminated ones excluded. */
export async function instancesOfPools(ec2: EC2Client, pools: readonly string[]): Promise<Instance[]> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:karpenter.sh/nodepool', Values: [...pools] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

export function tagsOf(i: Instance): Record<string, string> {
  return Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/**
 * Removes everything a test's pools left: NodeClaims (finalizers dropped), their Nodes,
 * and their instances. The reconciler must be stopped first.
 */
export async function cleanUpPools(kc: KubeConfig, ec2: EC2Client, pools: readonly string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' };
  const claims = ((await custom.listClusterCustomObject(ref)) as { items: NodeClaim[] }).items.filter((c) =>
    pools.includes(c.metadata.labels?.['karpenter.sh/nodepool'] ?? ''),
  );
  for (const c of claims) {
    const name = c.metadata.name!;
    await custom.patchClusterCustomObject({ ...ref, name, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...ref, name }).catch(() => undefined);
  }
  const nodes = (await core.listNode()).items.filter((n) => pools.includes(n.metadata?.labels?.['karpenter.sh/nodepool'] ?? ''));
  for (const n of nodes) {
    const name = n.metadata!.name!;
    await core.patchNode({ name, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
    await core.deleteNode({ name }).catch(() => undefined);
  }
  const ids = (await instancesOfPools(ec2, pools)).map((i) => i.InstanceId!).filter(Boolean);
  if (ids.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  // A NodePool object left in the cluster carries joinery's termination finalizer, which only a
  // running reconciler removes: lift it, so a pool a test deletes does not stay Terminating.
  const pools_ = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
  for (const name of pools) await custom.patchClusterCustomObject({ ...pools_, name, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
}

export function runId(): string {
  return `r${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
}
