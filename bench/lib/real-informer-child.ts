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
import { measureSync, type InformerStartup } from './informer-startup.ts';

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

const { cluster, ...measured } = await measureSync(() => new KubernetesCluster({ kubeconfigPath, pageSize }), memory);
const byKind = Object.fromEntries(KINDS.map((k) => [k, cluster.cache.list(k).length]));
const result: RealInformerStartup = { objects: Object.values(byKind).reduce((a, b) => a + b, 0), pageSize, ...measured, byKind };
await cluster.stop();
process.send(result, () => process.exit(0));
