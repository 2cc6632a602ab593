// Informer start-up at scale: the production KubernetesCluster (InformerStore fed by
// @kubernetes/client-node's paged lists of every kind the reconciler watches) lists a
// cluster the size of the simulator's, served by bench/lib/list-server.ts in a child
// process, then the reconciler's cluster view is built from its caches (clusterState, as
// the first reconcile does). Reports the time to sync, the time of the view, and the heap
// and RSS the caches and the view add.

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesCluster } from '../../reconciler/adapters/kubernetes/cluster.ts';
import { kindResources } from '../../reconciler/adapters/kubernetes/resources.ts';
import { KINDS, type ClusterCache } from '../../reconciler/ports/cluster.ts';
import { clusterState } from '../../reconciler/views/cluster-state.ts';

export interface InformerStartup {
  readonly objects: number;
  readonly pageSize: number;
  /** From starting the informers to every kind listed and stored (waitForSync). */
  readonly syncSeconds: number;
  /** CPU seconds of this process (not the list server's) over the sync. */
  readonly syncCpuSeconds: number;
  /** clusterState over the synced caches (the first reconcile's view). */
  readonly viewSeconds: number;
  readonly managedNodes: number;
  /** Heap and RSS after a full GC, holding the caches and the view, minus before. */
  readonly heapAddedMiB: number;
  readonly rssAddedMiB: number;
}

function kubeConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'bench', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'bench' }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  });
  return kc;
}

type Memory = () => { rssMiB: number; heapUsedMiB: number };

/**
 * Builds a cluster (the production adapter), waits for its informers to sync and builds
 * the cluster view, as a reconciler's start does: the times, and the heap and RSS the
 * caches and view add after a full GC. The caller stops the cluster.
 */
export async function measureSync(makeCluster: () => KubernetesCluster, memory: Memory): Promise<Omit<InformerStartup, 'objects' | 'pageSize'> & { cluster: KubernetesCluster }> {
  const before = memory();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const cluster = makeCluster();
  await cluster.waitForSync();
  const synced = performance.now();
  const used = process.cpuUsage(cpu);
  const state = clusterState(cluster);
  const viewed = performance.now();
  const after = memory();
  return {
    cluster,
    syncSeconds: (synced - started) / 1000,
    syncCpuSeconds: (used.user + used.system) / 1e6,
    viewSeconds: (viewed - synced) / 1000,
    managedNodes: state.nodes.length,
    heapAddedMiB: after.heapUsedMiB - before.heapUsedMiB,
    rssAddedMiB: after.rssMiB - before.rssMiB,
  };
}

export async function informerStartup(source: ClusterCache, memory: Memory, pageSize = 500): Promise<InformerStartup> {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-bench-scale-'));
  const paths = kindResources(kubeConfig(0));
  const lists: Record<string, unknown> = {};
  let objects = 0;
  for (const k of KINDS) {
    const items = source.list(k);
    objects += items.length;
    lists[paths[k].path] = items;
  }
  writeFileSync(join(dir, 'lists.json'), JSON.stringify(lists));
  const child = fork(resolve('bin/tsx-run.js'), [resolve('bench/lib/list-server.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((ok, fail) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) ok(Number(m[1]));
      });
      child.once('exit', (code) => fail(new Error(`the list server exited (${code}) before listening`)));
    });
    const { cluster, ...measured } = await measureSync(() => new KubernetesCluster({ kubeConfig: kubeConfig(port), pageSize }), memory);
    await cluster.stop();
    return { objects, pageSize, ...measured };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
