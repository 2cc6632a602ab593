// bench:scale's `--real-env` stage: informer start-up against the real kube-apiserver of the
// test environment (bench/lib/real-env.ts: the one JOINERY_TESTENV_STATE names, else a
// private one started for the run and stopped at the end).
//   1. seed: the bench:scale cluster (bench/lib/real-seed.ts), N/10 Nodes with their
//      NodeClaims and N pods bound to them, `concurrency` writes in flight, "as far as it
//      holds": the seeding stops at the first sustained write failure or at the time budget,
//      and what was seeded is measured.
//   2. measure: in a child process (bench/lib/real-informer-child.ts) the production
//      KubernetesCluster lists everything and the cluster view is built: sync wall and CPU
//      seconds, view seconds, heap and RSS the caches and view add after a full GC.
//   3. clean up, always (failure, SIGINT): the run's pods (force-deleted), Nodes and
//      NodeClaims (by the run's label), and its namespace; timed.
// A first SIGINT stops the seeding or the measurement and cleans up; a second exits at once
// (printing how to delete what is left).

import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { KARPENTER_GROUP, KARPENTER_VERSION, LABEL_ZONE } from '../../core/contract/index.ts';
import { runId as newRunId } from '../../test/integration/support/workload.ts';
import type { RealInformerStartup } from './real-informer-child.ts';
import { STATE_ENV_VAR, readState } from '../../test/env/state.ts';
import { controlPlaneCpu, cpuSpent } from './process-cpu.ts';
import { realEnv } from './real-env.ts';
import { DEPLOYMENTS, PODS_PER_NODE } from './scale-cluster.ts';
import { RUN_LABEL, ZONES, ScaleObjects, seedScaleCluster, seedingKubeConfig, type SeedProgress } from './real-seed.ts';

export interface RealScaleOptions {
  /** Workload pods to seed (nodes: a tenth, rounded up). */
  readonly pods: number;
  /** Seeding stops once this many seconds have gone (the objects seeded are measured). */
  readonly budgetSeconds: number;
  /** Writes in flight while seeding. */
  readonly concurrency: number;
  /** Items per list page of the informers (the production default). */
  readonly pageSize?: number;
  /** The measurement is abandoned after this long. */
  readonly syncTimeoutSeconds?: number;
  readonly log: (line: string) => void;
}

export interface RealScale {
  /** Everything asked for was seeded and listed. */
  readonly held: boolean;
  /** Why not, when held is false. */
  readonly reason: string | null;
  readonly interrupted: boolean;
  readonly runId: string;
  readonly namespace: string;
  /** Whether this run started (and stopped) a private environment, and its start-up seconds. */
  readonly privateEnv: boolean;
  readonly envStartSeconds: number;
  readonly requested: { readonly nodes: number; readonly pods: number };
  readonly seeded: { readonly nodes: number; readonly nodeClaims: number; readonly pods: number; readonly objects: number; readonly requests: number; readonly retries: number };
  readonly concurrency: number;
  readonly seedSeconds: number;
  readonly seedObjectsPerSecond: number;
  /** CPU seconds of this (the seeding) process over the seeding. */
  readonly seedCpuSeconds: number;
  /** CPU seconds of the environment's control-plane processes over the seeding and over the measurement (empty for an external cluster). */
  readonly controlPlaneCpuSeconds: { readonly seeding: Record<string, number>; readonly measurement: Record<string, number> };
  /** The child's measurement (objects: everything listed, the environment's own objects included). */
  readonly startup: RealInformerStartup | null;
  readonly cleanupSeconds: number;
  /** Nothing of the run left in the API server. */
  readonly cleanupComplete: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The child's InformerStartup, or an error: it failed, it was killed, or it ran out of time. */
function measure(kubeconfigPath: string, pageSize: number, timeoutSeconds: number, onChild: (c: ChildProcess | undefined) => void): Promise<RealInformerStartup> {
  const child = fork(resolve('bin/tsx-run.js'), [resolve('bench/lib/real-informer-child.ts'), kubeconfigPath, String(pageSize)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onChild(child);
  return new Promise<RealInformerStartup>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the informers did not sync within ${timeoutSeconds} s`));
    }, timeoutSeconds * 1000);
    child.once('message', (m) => {
      clearTimeout(timer);
      ok(m as RealInformerStartup);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the measuring process exited (${signal ?? code}) before reporting`));
    });
  }).finally(() => onChild(undefined));
}

/** How many objects of the run are left: pods of its namespace, its Nodes and NodeClaims (each up to 1). */
async function remaining(core: CoreV1Api, custom: CustomObjectsApi, namespace: string, selector: string): Promise<number> {
  const ref = { group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodeclaims' };
  const [pods, nodes, claims] = await Promise.all([
    core.listNamespacedPod({ namespace, limit: 1 }).catch(() => ({ items: [] })),
    core.listNode({ labelSelector: selector, limit: 1 }),
    custom.listClusterCustomObject({ ...ref, labelSelector: selector, limit: 1 }) as Promise<{ items: unknown[] }>,
  ]);
  return pods.items.length + nodes.items.length + claims.items.length;
}

/**
 * Deletes the run's pods (grace period 0: no kubelet would confirm them), Nodes and
 * NodeClaims (by label) and its namespace; repeats until none is left (a large
 * delete-collection may outlive its request) or `rounds` ran out.
 */
async function cleanUp(kc: KubeConfig, objects: ScaleObjects, log: (line: string) => void, rounds = 6): Promise<boolean> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const selector = `${RUN_LABEL}=${objects.runId}`;
  const ref = { group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodeclaims' };
  const namespace = objects.namespace;
  const quietly = (p: Promise<unknown>) => p.catch((e: unknown) => log(`real env: clean-up call failed (retried): ${e instanceof ApiException ? `HTTP ${e.code}` : String(e)}`));
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  for (let round = 1; round <= rounds; round++) {
    // The API server deletes a collection's items one by one: small collections side by
    // side (the pods Deployment by Deployment, Nodes and NodeClaims zone by zone), all at once.
    await Promise.all([
      ...Array.from({ length: DEPLOYMENTS }, (_, d) =>
        quietly(core.deleteCollectionNamespacedPod({ namespace, labelSelector: `${selector},app=svc-${d}`, gracePeriodSeconds: 0 }).catch((e: unknown) => {
          if (!(e instanceof ApiException && e.code === 404)) throw e;
        })),
      ),
      ...ZONES.flatMap((zone) => {
        const labelSelector = `${selector},${LABEL_ZONE}=${zone}`;
        return [quietly(core.deleteCollectionNode({ labelSelector })), quietly(custom.deleteCollectionClusterCustomObject({ ...ref, labelSelector }))];
      }),
    ]);
    const left = await remaining(core, custom, namespace, selector).catch(() => 1);
    log(`real env: clean-up round ${round}: pods, Nodes and NodeClaims deleted${left > 0 ? ', some remain' : ''} (${since()})`);
    if (left === 0) break;
    await sleep(2_000);
  }
  await core.deleteNamespace({ name: namespace, gracePeriodSeconds: 0 }).catch((e: unknown) => {
    if (!(e instanceof ApiException && e.code === 404)) log(`real env: deleting namespace ${namespace} failed: ${String(e)}`);
  });
  // The namespace controller finalizes an emptied namespace within seconds.
  for (let i = 0; i < 60; i++) {
    const gone = await core.readNamespace({ name: namespace }).then(
      () => false,
      (e: unknown) => e instanceof ApiException && e.code === 404,
    );
    if (gone) log(`real env: clean-up: namespace gone (${since()})`);
    if (gone) return (await remaining(core, custom, namespace, selector).catch(() => 1)) === 0;
    await sleep(1_000);
  }
  return false;
}

export async function realScale(o: RealScaleOptions): Promise<RealScale> {
  const log = o.log;
  const pageSize = o.pageSize ?? 500;
  const requested = { nodes: Math.ceil(o.pods / PODS_PER_NODE), pods: o.pods };
  const runId = newRunId();
  const namespace = `bench-scale-${runId}`;
  const objects = new ScaleObjects(runId, namespace);

  let interrupted = false;
  let child: ChildProcess | undefined;
  const onSigint = () => {
    if (interrupted) {
      log(`real env: second SIGINT, exiting; left behind: kubectl delete pods,nodes,nodeclaims -A -l ${RUN_LABEL}=${runId} --grace-period=0 --force; kubectl delete ns ${namespace}`);
      process.exit(130);
    }
    interrupted = true;
    log('real env: SIGINT: stopping, then cleaning up (SIGINT again to exit at once)');
    child?.kill('SIGKILL');
  };
  process.on('SIGINT', onSigint);

  const envStarted = performance.now();
  const env = await realEnv(log);
  const envStartSeconds = (performance.now() - envStarted) / 1000;
  const kc = seedingKubeConfig(env.env.kubeconfigPath, o.concurrency);

  let progress: SeedProgress = { nodes: 0, pods: 0, objects: 0, requests: 0, retries: 0 };
  let seedSeconds = 0;
  let seedCpuSeconds = 0;
  const state = readState(process.env[STATE_ENV_VAR]!);
  const cpuMarks: Record<string, number>[] = [controlPlaneCpu(state)];
  let startup: RealInformerStartup | null = null;
  let reason: string | null = null;
  let cleanupSeconds = 0;
  let cleanupComplete = false;
  try {
    log(`real env: seeding ${requested.nodes} nodes (+ NodeClaims) and ${requested.pods} pods, run ${runId}, ${o.concurrency} writes in flight, budget ${o.budgetSeconds} s`);
    const seedStarted = performance.now();
    const seedCpu = process.cpuUsage();
    const deadline = Date.now() + o.budgetSeconds * 1000;
    const stop = () => (interrupted ? 'interrupted (SIGINT)' : Date.now() > deadline ? `the time budget of ${o.budgetSeconds} s ran out` : undefined);
    progress = await seedScaleCluster(kc, objects, requested, o.concurrency, stop, log);
    seedSeconds = (performance.now() - seedStarted) / 1000;
    const used = process.cpuUsage(seedCpu);
    seedCpuSeconds = (used.user + used.system) / 1e6;
    cpuMarks.push(controlPlaneCpu(state));
    reason = progress.stopped ?? null;
    log(`real env: seeded ${progress.objects} objects in ${seedSeconds.toFixed(1)} s (${(progress.objects / seedSeconds).toFixed(0)}/s)${reason ? `; stopped: ${reason}` : ''}`);
    if (!interrupted) {
      log('real env: informer start-up in a child process');
      startup = await measure(env.env.kubeconfigPath, pageSize, o.syncTimeoutSeconds ?? 600, (c) => (child = c));
      cpuMarks.push(controlPlaneCpu(state));
      log(`real env: ${startup.objects} objects listed in ${startup.syncSeconds.toFixed(1)} s`);
    }
  } catch (e) {
    reason ??= interrupted ? 'interrupted (SIGINT)' : `failed: ${e instanceof ApiException ? `HTTP ${e.code} ${String(e.body).slice(0, 200)}` : e instanceof Error ? e.message : String(e)}`;
    log(`real env: ${reason}`);
  } finally {
    const cleanupStarted = performance.now();
    log('real env: cleaning up');
    cleanupComplete = await cleanUp(kc, objects, log).catch((e: unknown) => {
      log(`real env: clean-up failed: ${String(e)}; left behind: objects labelled ${RUN_LABEL}=${runId}, namespace ${namespace}`);
      return false;
    });
    cleanupSeconds = (performance.now() - cleanupStarted) / 1000;
    log(`real env: clean-up ${cleanupComplete ? 'complete' : 'INCOMPLETE'} in ${cleanupSeconds.toFixed(1)} s`);
    await env.release();
    process.off('SIGINT', onSigint);
  }
  return {
    held: reason === null && startup !== null && progress.pods === requested.pods && progress.nodes === requested.nodes,
    reason,
    interrupted,
    runId,
    namespace,
    privateEnv: env.started,
    envStartSeconds,
    requested,
    seeded: { nodes: progress.nodes, nodeClaims: progress.nodes, pods: progress.pods, objects: progress.objects, requests: progress.requests, retries: progress.retries },
    concurrency: o.concurrency,
    seedSeconds,
    seedObjectsPerSecond: seedSeconds > 0 ? progress.objects / seedSeconds : 0,
    seedCpuSeconds,
    controlPlaneCpuSeconds: {
      seeding: cpuMarks[1] ? cpuSpent(cpuMarks[0]!, cpuMarks[1]) : {},
      measurement: cpuMarks[2] ? cpuSpent(cpuMarks[1]!, cpuMarks[2]) : {},
    },
    startup,
    cleanupSeconds,
    cleanupComplete,
  };
}
