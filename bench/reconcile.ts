// Benchmark 3 of BENCHMARKS.md (`npm run bench:reconcile`): reconcile latency on the real
// test environment (kube-apiserver, kube-scheduler, kwok, moto behind the environment's
// EC2 endpoint, a real git repository for the intent). A burst of pending pods is created;
// per pod it measures the time from its creation (the create call returning) to the
// CreateFleet call of the NodeClaim whose node ends up hosting it, and to Running (first
// seen by a watch). Prints p50/p99/max of both, instances launched and their $/h.
//
// The reconciler runs in this process: the production controllers (reconciler/reconciler.ts)
// over the production adapters, wired as the integration tests wire them
// (test/integration/support/reconciler.ts). Uses the environment named by
// JOINERY_TESTENV_STATE, else starts one (and stops it afterwards).

import { writeFileSync } from 'node:fs';
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { NodeClaim } from '../core/api/karpenter.ts';
import { generatedFiles, nodeClass, nodePool } from '../test/integration/support/manifests.ts';
import { createPolicyRepo } from '../test/integration/support/policy-repo.ts';
import { TEST_SPOT_PRICING, startReconciler } from '../test/integration/support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from '../test/integration/support/workload.ts';
import { machine, table } from './lib/cli.ts';
import { realEnv } from './lib/real-env.ts';
import { STATE_ENV_VAR } from '../test/env/state.ts';
import { Rng } from './lib/rng.ts';
import { DEFAULT_OPTIONS } from '../reconciler/runtime/context.ts';
import { LABEL_ARCH, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_INSTANCE_GENERATION, TAG_NODEPOOL } from '../core/contract/index.ts';

const USAGE = `usage: npm run bench:reconcile -- [--pods N] [--small] [--batch-idle-ms MS] [--batch-max-ms MS] [--seed N] [--timeout-s S] [--rate PODS_PER_S] [--trace FILE] [--json]
  --pods           pending pods in the burst (default 1000; --small: 100, for CI)
  --batch-idle-ms  batching window: closes after this long without new pending pods (default: the reconciler's, 1000)
  --batch-max-ms   batching window: closes this long after it opened at the latest (default: the reconciler's, 1000)
  --timeout-s      give up waiting for every pod to run after this long (default 900)
  --rate N         create the pods no faster than N per second (default: as fast as 32 concurrent creates go), so
                   runs of different code see the same burst
  --trace FILE     also write one CSV row per pod (seconds from the first pod's creation: created, its planned
                   NodeClaim's creation and launch call, the hosting node's launch call, Running) to FILE
  --json           print one JSON object instead of the table
Uses the test environment of ${STATE_ENV_VAR} when set, else starts one (first run builds it: see test/env/README.md).`;

interface Args {
  pods: number;
  idleMs: number;
  maxMs: number;
  seed: number;
  timeoutS: number;
  trace: string | undefined;
  rate: number | undefined;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { pods: 1000, idleMs: DEFAULT_OPTIONS.batchWindow.idleMs, maxMs: DEFAULT_OPTIONS.batchWindow.maxMs, seed: 7, timeoutS: 900, trace: undefined, rate: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (name: string): number => {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isFinite(n) || n < 0) fail(`${name} expects a number, got ${String(raw)}`);
      return n;
    };
    if (arg === '--json') a.json = true;
    else if (arg === '--trace') a.trace = argv[++i] ?? fail('--trace expects a file');
    else if (arg === '--small') a.pods = 100;
    else if (arg.startsWith('--pods')) a.pods = Math.max(1, Math.floor(num('--pods')));
    else if (arg.startsWith('--batch-idle-ms')) a.idleMs = num('--batch-idle-ms');
    else if (arg.startsWith('--batch-max-ms')) a.maxMs = num('--batch-max-ms');
    else if (arg.startsWith('--seed')) a.seed = num('--seed');
    else if (arg.startsWith('--timeout-s')) a.timeoutS = num('--timeout-s');
    else if (arg.startsWith('--rate')) a.rate = num('--rate') || undefined;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  return a;
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`bench:reconcile: ${line}\n`);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

function summary(values: number[]): Summary {
  const s = [...values].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length };
}

/**
 * Calls `onRunning` the first time each pod of the namespace is seen Running, through an
 * informer (list, then watch) that is replaced when its watch fails, so no phase change is
 * missed on a loaded API server.
 */
function observeRunning(kc: KubeConfig, namespace: string, onRunning: (pod: string) => void): () => Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  let current: ListWatch<V1Pod> | undefined;
  let stopped = false;
  const start = () => {
    const lw = new ListWatch<V1Pod>(`/api/v1/namespaces/${namespace}/pods`, new Watch(kc), () => core.listNamespacedPod({ namespace }), false);
    const seen = (p: V1Pod) => {
      if (p.status?.phase === 'Running' && p.metadata?.name) onRunning(p.metadata.name);
    };
    lw.on('add', seen);
    lw.on('update', seen);
    lw.on('error', () => {
      if (!stopped && current === lw) setTimeout(start, 500);
    });
    current = lw;
    void lw.start();
  };
  start();
  return async () => {
    stopped = true;
    await current?.stop();
  };
}

const CPU = ['100m', '250m', '500m', '1', '2'];
const MEMORY = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const real = await realEnv(log);
  const env = real.env;
  if (!env.network) fail('the benchmark needs the EC2 network the test environment seeds in moto');
  const kc = env.kubeConfig();
  const id = runId();
  const pool = `${id}-bench`;
  const workload = new Workload(kc, `${id}-bench`);
  const repo = createPolicyRepo('joinery-bench-');
  const commit = repo.push(
    generatedFiles(
      [
        nodePool(pool, {
          nodeClass: `${id}-default`,
          requirements: [
            { key: LABEL_ARCH, operator: 'In', values: ['amd64'] },
            { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
            { key: LABEL_INSTANCE_CATEGORY, operator: 'In', values: ['c', 'm', 'r'] },
            { key: LABEL_INSTANCE_GENERATION, operator: 'Gt', values: ['4'] },
          ],
        }),
      ],
      [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
    ),
    'bench pool',
  );

  // Every CreateFleet, by client token (the NodeClaim's UID): when the call left.
  const fleetCalls = new Map<string, number>();
  const fleetReturns = new Map<string, number>();
  // Every EC2 call of the run by operation: how many and how long each took (ms).
  const callsByOperation = new Map<string, { n: number; ms: number[] }>();
  // Every NodeClaim the reconciler created, by name: when the create call returned, and its UID.
  const claimCreated = new Map<string, { at: number; uid: string }>();
  const ec2 = env.ec2();
  ec2.middlewareStack.add(
    (next, context) => async (input) => {
      const started = Date.now();
      const name = (context.commandName ?? '?').replace(/Command$/, '');
      const done = () => {
        const c = callsByOperation.get(name) ?? { n: 0, ms: [] };
        c.n += 1;
        c.ms.push(Date.now() - started);
        callsByOperation.set(name, c);
      };
      if (context.commandName === 'CreateFleetCommand') {
        const token = (input.input as { ClientToken?: string }).ClientToken;
        if (token && !fleetCalls.has(token)) fleetCalls.set(token, Date.now());
        const out = await next(input).finally(done);
        if (token && !fleetReturns.has(token)) fleetReturns.set(token, Date.now());
        return out;
      }
      return next(input).finally(done);
    },
    { step: 'initialize', name: 'benchFleetTimes' },
  );

  let running: Awaited<ReturnType<typeof startReconciler>> | undefined;
  let stopWatch: (() => Promise<void>) | undefined;
  try {
    await workload.createNamespace();
    running = await startReconciler({
      env,
      repo,
      ec2Client: ec2,
      logName: `bench-reconcile-${id}`,
      options: { batchWindow: { idleMs: args.idleMs, maxMs: args.maxMs } },
    });
    // The phases of the latency (which part of the path a change moved): the adapter's
    // create call is wrapped to note when each claim existed.
    const createNodeClaim = running.cluster.createNodeClaim.bind(running.cluster);
    running.cluster.createNodeClaim = async (manifest) => {
      const claim = await createNodeClaim(manifest);
      claimCreated.set(claim.metadata.name!, { at: Date.now(), uid: claim.metadata.uid ?? '' });
      return claim;
    };
    log(`reconciler running (commit ${commit.slice(0, 12)}); creating ${args.pods} pods in ${workload.namespace}`);

    // Running times, first seen by an informer on the namespace.
    const runningAt = new Map<string, number>();
    stopWatch = observeRunning(kc, workload.namespace, (name) => {
      if (!runningAt.has(name)) runningAt.set(name, Date.now());
    });

    const rng = new Rng(args.seed);
    const pods = Array.from({ length: args.pods }, (_, i) => podManifest(`p-${i}`, workload.namespace, { cpu: rng.pick(CPU), memory: rng.pick(MEMORY) }));
    const t0 = Date.now();
    const createdAt = await workload.createPods(pods, 32, args.rate);
    log(`created ${pods.length} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for every pod to run`);

    const deadline = Date.now() + args.timeoutS * 1000;
    let lastReport = 0;
    while (runningAt.size < pods.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        const listed = (await workload.pods()).filter((p) => p.status?.phase === 'Running').length;
        log(`${runningAt.size}/${pods.length} seen running (${listed} per the API), ${fleetCalls.size} launch calls`);
      }
    }

    // Pod -> node -> NodeClaim (by providerID) -> its CreateFleet call.
    const podList = await workload.pods();
    const nodes = new Map((await workload.core.listNode()).items.map((n) => [n.metadata!.name!, n.spec?.providerID ?? '']));
    const claims = await workload.nodeClaims([pool]);
    const claimByProvider = new Map<string, NodeClaim>(claims.filter((c) => c.status?.providerID).map((c) => [c.status!.providerID!, c]));
    const toLaunch: number[] = [];
    const toRunning: number[] = [];
    let unattributed = 0;
    const hosting = new Set<string>();
    for (const p of podList) {
      if (p.spec?.nodeName) hosting.add(nodes.get(p.spec.nodeName) ?? '');
    }
    // Nodes launched that host none of the burst's pods: launched for nothing (goal 0).
    const unneeded = claims.filter((c) => c.status?.providerID && !hosting.has(c.status.providerID)).length;
    for (const p of podList) {
      const name = p.metadata!.name!;
      const created = createdAt.get(name);
      if (created === undefined) continue;
      const ran = runningAt.get(name);
      if (ran !== undefined) toRunning.push((ran - created) / 1000);
      const claim = claimByProvider.get(nodes.get(p.spec?.nodeName ?? '') ?? '');
      const sent = claim?.metadata.uid ? fleetCalls.get(claim.metadata.uid) : undefined;
      if (sent !== undefined) toLaunch.push(Math.max(0, sent - created) / 1000);
      else unattributed += 1;
    }
    // Phases. The claim planned for a pod is read from its first Nominated event (written for
    // at most 20 pods per claim, as Karpenter), so those pods alone are judged there.
    const plannedClaim = new Map<string, string>();
    const events = (await workload.core.listNamespacedEvent({ namespace: workload.namespace })).items
      .filter((e) => e.reason === 'Nominated')
      .sort((x, y) => String(x.eventTime ?? x.firstTimestamp ?? '').localeCompare(String(y.eventTime ?? y.firstTimestamp ?? '')));
    for (const e of events) {
      const m = /nodeclaim\/(\S+)/.exec(e.message ?? '');
      const pod = e.involvedObject.name ?? '';
      if (m && !plannedClaim.has(pod)) plannedClaim.set(pod, m[1]!);
    }
    const toPlanned: number[] = [];
    let boundToPlanned = 0;
    for (const p of podList) {
      const name = p.metadata!.name!;
      const created = createdAt.get(name);
      const claim = plannedClaim.get(name);
      const at = claim ? claimCreated.get(claim)?.at : undefined;
      if (created === undefined || at === undefined) continue;
      toPlanned.push(Math.max(0, at - created) / 1000);
      const host = claimByProvider.get(nodes.get(p.spec?.nodeName ?? '') ?? '');
      if (host?.metadata.name === claim) boundToPlanned += 1;
    }
    if (args.trace) {
      const t0 = Math.min(...createdAt.values());
      const rel = (t: number | undefined) => (t === undefined ? '' : ((t - t0) / 1000).toFixed(2));
      const claimByName = new Map(claims.map((c) => [c.metadata.name!, c]));
      const rows = ['pod,created,planned_claim,planned_claim_created,planned_claim_call,host_claim,host_claim_call,running'];
      for (const p of podList) {
        const name = p.metadata!.name!;
        const planned = plannedClaim.get(name);
        const host = claimByProvider.get(nodes.get(p.spec?.nodeName ?? '') ?? '');
        const plannedUid = planned ? (claimCreated.get(planned)?.uid ?? claimByName.get(planned)?.metadata.uid) : undefined;
        rows.push([name, rel(createdAt.get(name)), planned ?? '', rel(planned ? claimCreated.get(planned)?.at : undefined), rel(plannedUid ? fleetCalls.get(plannedUid) : undefined), host?.metadata.name ?? '', rel(host?.metadata.uid ? fleetCalls.get(host.metadata.uid) : undefined), rel(runningAt.get(name))].join(','));
      }
      writeFileSync(args.trace, `${rows.join('\n')}\n`);
    }
    const claimToCall: number[] = [];
    const callDuration: number[] = [];
    for (const { at, uid } of claimCreated.values()) {
      const sent = fleetCalls.get(uid);
      if (sent !== undefined) claimToCall.push(Math.max(0, sent - at) / 1000);
      const back = fleetReturns.get(uid);
      if (sent !== undefined && back !== undefined) callDuration.push((back - sent) / 1000);
    }
    const instances = (await running.cloud.list()).filter((i) => i.tags[TAG_NODEPOOL] === pool);
    const byType = new Map<string, number>();
    for (const i of instances) byType.set(`${i.instanceType} ${i.capacityType}`, (byType.get(`${i.instanceType} ${i.capacityType}`) ?? 0) + 1);
    const costPerHour = instances.reduce((s, i) => s + i.pricePerHour, 0);
    const solves = running.logs.filter((l) => l.msg === 'solved a batch').length;
    const result = {
      benchmark: 'reconcile',
      machine: machine(),
      pods: pods.length,
      batchWindow: { idleMs: args.idleMs, maxMs: args.maxMs },
      spotPricing: TEST_SPOT_PRICING,
      createRatePerSecond: args.rate ?? null,
      creationSpanSeconds: Math.round((Math.max(...createdAt.values()) - Math.min(...createdAt.values())) / 10) / 100,
      creationToLaunchCallSeconds: round(summary(toLaunch)),
      creationToRunningSeconds: round(summary(toRunning)),
      phases: {
        creationToPlannedClaimSeconds: round(summary(toPlanned)),
        claimCreatedToLaunchCallSeconds: round(summary(claimToCall)),
        launchCallSeconds: round(summary(callDuration)),
        podsBoundToPlannedClaim: boundToPlanned,
      },
      ec2Calls: Object.fromEntries(
        [...callsByOperation].sort((x, y) => y[1].n - x[1].n).map(([op, c]) => [op, round(summary(c.ms.map((m) => m / 1000)))]),
      ),
      podsRunning: runningAt.size,
      podsNotAttributedToALaunch: unattributed,
      solves,
      launchCalls: fleetCalls.size,
      nodeClaims: claims.length,
      instancesLaunched: instances.length,
      nodesHostingNoPod: unneeded,
      instanceTypes: Object.fromEntries([...byType].sort((x, y) => y[1] - x[1])),
      costPerHour: Math.round(costPerHour * 10_000) / 10_000,
      targetP99LaunchSeconds: (args.maxMs + 1_000) / 1000,
      podsWithinLaunchTarget: toLaunch.filter((x) => x <= (args.maxMs + 1_000) / 1000).length,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        [
          `reconcile latency: ${result.pods} pending pods created in ${result.creationSpanSeconds} s; batching window idle ${args.idleMs} ms, max ${args.maxMs} ms`,
          `machine: ${result.machine.nproc} CPU (${result.machine.cpuModel}), node ${result.machine.node}, load ${result.machine.loadAverage.join(' ')}`,
          '',
          table(
            ['from pod creation to', 'p50 s', 'p90 s', 'p99 s', 'max s', 'pods'],
            [
              ['EC2 launch call', ...[result.creationToLaunchCallSeconds].flatMap((x) => [x.p50, x.p90, x.p99, x.max, x.n])],
              ['Running', ...[result.creationToRunningSeconds].flatMap((x) => [x.p50, x.p90, x.p99, x.max, x.n])],
              ['the NodeClaim planned for it (Nominated)', ...[result.phases.creationToPlannedClaimSeconds].flatMap((x) => [x.p50, x.p90, x.p99, x.max, x.n])],
            ],
          ),
          '',
          table(
            ['per NodeClaim', 'p50 s', 'p90 s', 'p99 s', 'max s', 'claims'],
            [
              ['created to its launch call', ...[result.phases.claimCreatedToLaunchCallSeconds].flatMap((x) => [x.p50, x.p90, x.p99, x.max, x.n])],
              ['launch call (CreateFleet) duration', ...[result.phases.launchCallSeconds].flatMap((x) => [x.p50, x.p90, x.p99, x.max, x.n])],
            ],
          ),
          `EC2 calls: ${Object.entries(result.ec2Calls).map(([op, c]) => `${op} ${c.n} (p50 ${c.p50} s, max ${c.max} s)`).join(', ')}`,
          `pods bound to the NodeClaim planned for them: ${result.phases.podsBoundToPlannedClaim}/${result.phases.creationToPlannedClaimSeconds.n} (of those with a Nominated event)`,
          '',
          `target: p99 to the launch call <= ${result.targetP99LaunchSeconds} s (the window's max + 1 s); within it: ${result.podsWithinLaunchTarget}/${result.pods} pods`,
          `solves: ${solves}, launch calls: ${result.launchCalls}, NodeClaims: ${result.nodeClaims}, instances: ${result.instancesLaunched} (${unneeded} hosting no pod), $/h: ${result.costPerHour}`,
          `instance types: ${[...byType].map(([t, n]) => `${n} x ${t}`).join(', ')}`,
          `pods running: ${result.podsRunning}/${result.pods}${unattributed ? `, ${unattributed} pod(s) on no launched node` : ''}`,
          '',
        ].join('\n'),
      );
    }
    if (runningAt.size < pods.length) process.exitCode = 1;
  } finally {
    await stopWatch?.();
    await running?.stop();
    log('cleaning up');
    await workload.deleteNamespace();
    await cleanUpPools(kc, env.ec2(), [pool]);
    repo.remove();
    await real.release();
  }
}

function round(s: Summary): Summary {
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max), n: s.n };
}

await main();
process.exit(process.exitCode ?? 0);
