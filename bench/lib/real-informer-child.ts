// The measured process of bench:scale's `--real-env` stage (forked by bench/lib/real-scale.ts,
// so it holds nothing but the caches): the production KubernetesCluster, built from the
// kubeconfig file as `joinery run --kubeconfig` builds it (RetryingKubeConfig), lists every
// kind the reconciler watches from the real kube-apiserver; then the reconciler's cluster
// view is built (clusterState, as the first reconcile does). Sends one InformerStartup (plus
// the objects listed per kind) to the parent over IPC and exits.
// usage: real-informer-child.ts <kubeconfig path> <page size>

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KubernetesCluster } from '../../reconciler/adapters/kubernetes/cluster.ts';
import { KINDS } from '../../reconciler/ports/cluster.ts';
import { clusterState } from '../../reconciler/views/cluster-state.ts';
import type { InformerStartup } from './informer-startup.ts';

export interface RealInformerStartup extends InformerStartup {
  readonly byKind: Record<string, number>;
}

const [kubeconfigPath, pageArg] = process.argv.slice(2);
const pageSize = Number(pageArg);
if (!kubeconfigPath || !Number.isInteger(pageSize) || pageSize < 1 || !process.send) {
  process.stderr.write('usage (forked with IPC): real-informer-child.ts <kubeconfig path> <page size>\n');
  process.exit(2);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 2 ** 20;
function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB };
}

const before = memory();
const cpu = process.cpuUsage();
const started = performance.now();
const cluster = new KubernetesCluster({ kubeconfigPath, pageSize });
await cluster.waitForSync();
const synced = performance.now();
const used = process.cpuUsage(cpu);
const state = clusterState(cluster);
const viewed = performance.now();
const after = memory();
const byKind = Object.fromEntries(KINDS.map((k) => [k, cluster.cache.list(k).length]));
const result: RealInformerStartup = {
  objects: Object.values(byKind).reduce((a, b) => a + b, 0),
  pageSize,
  syncSeconds: (synced - started) / 1000,
  syncCpuSeconds: (used.user + used.system) / 1e6,
  viewSeconds: (viewed - synced) / 1000,
  managedNodes: state.nodes.length,
  heapAddedMiB: after.heapUsedMiB - before.heapUsedMiB,
  rssAddedMiB: after.rssMiB - before.rssMiB,
  byKind,
};
await cluster.stop();
process.send(result, () => process.exit(0));
