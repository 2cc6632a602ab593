// `npm run bench:fidelity` (issue 18, item 4): does joinery plan what the real
// kube-scheduler then does? A seeded workload (bench/lib/fidelity-workload.ts) mixing host
// ports, claims bound to zonal volumes, zone spread, hostname anti-affinity, a tainted
// pool's tolerating pods and priorities runs through the production reconciler against the
// real kube-apiserver, kube-scheduler, kwok and moto of the test environment (wired as
// bench/reconcile.ts and the integration tests wire it). Low-priority pods come first; once
// they run (or the wait ends), the high-priority wave arrives, which kube-scheduler may
// place by preemption.
//
// Reports, once every launched node is Ready and nothing was launched for a while:
// - pods still Pending (goal 0): pods kube-scheduler could not place on what was launched;
// - launched nodes hosting none of the workload's pods (goal 0): launched for nothing;
// - the share of pods bound to another node than planned: for each pod joinery's Nominated
//   event names a NodeClaim ("Pod should schedule on: nodeclaim/<name>", at most 20 per
//   claim, as Karpenter), whether it runs on that claim's node;
// - $/h of what was launched against $/h of the plan (each launch's cheapest option).
//
// Uses the environment named by JOINERY_TESTENV_STATE, else starts one (and stops it afterwards).

import { SchedulingV1Api } from '@kubernetes/client-node';
import { generatedFiles, nodeClass, nodePool } from '../test/integration/support/manifests.ts';
import { createPolicyRepo } from '../test/integration/support/policy-repo.ts';
import { startReconciler, type RunningReconciler } from '../test/integration/support/reconciler.ts';
import { Workload, cleanUpPools, runId } from '../test/integration/support/workload.ts';
import { machine, table } from './lib/cli.ts';
import { realEnv } from './lib/real-env.ts';
import { STATE_ENV_VAR } from '../test/env/state.ts';
import { FIDELITY_KINDS, fidelityWorkload, type FidelityKind } from './lib/fidelity-workload.ts';
import { LABEL_ARCH, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_INSTANCE_GENERATION, TAG_NODEPOOL } from '../core/contract/index.ts';

const USAGE = `usage: npm run bench:fidelity -- [--pods N] [--seed N] [--settle-s S] [--timeout-s S] [--json]
  --pods       pods in the workload (default 200, at most 1000)
  --seed       workload seed (default 7)
  --settle-s   the result is read once every launched node is Ready and nothing was launched for this long (default 20)
  --timeout-s  give up waiting for each wave after this long (default 600)
  --json       print one JSON object instead of the table
Uses the test environment of ${STATE_ENV_VAR} when set, else starts one (first run builds it: see test/env/README.md).`;

interface Args {
  pods: number;
  seed: number;
  settleS: number;
  timeoutS: number;
  json: boolean;
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { pods: 200, seed: 7, settleS: 20, timeoutS: 600, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = (name: string): number => {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isFinite(n) || n < 0) fail(`${name} expects a non-negative number, got ${String(raw)}`);
      return n;
    };
    if (arg === '--json') a.json = true;
    else if (arg.startsWith('--pods')) {
      a.pods = Math.floor(num('--pods'));
      if (a.pods < 1 || a.pods > 1000) fail(`--pods expects 1 to 1000, got ${a.pods}`);
    } else if (arg.startsWith('--seed')) a.seed = num('--seed');
    else if (arg.startsWith('--settle-s')) a.settleS = num('--settle-s');
    else if (arg.startsWith('--timeout-s')) a.timeoutS = num('--timeout-s');
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  return a;
}

const log = (line: string) => process.stderr.write(`bench:fidelity: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every pod is bound, or every NodeClaim of the pools is Ready with no launch
 * for `settleMs` (what was launched is all there will be), or the deadline.
 */
async function settle(workload: Workload, running: RunningReconciler, pools: readonly string[], settleMs: number, deadline: number): Promise<void> {
  let lastReport = 0;
  for (;;) {
    const pods = await workload.pods();
    const unbound = pods.filter((p) => !p.spec?.nodeName).length;
    const claims = await workload.nodeClaims(pools);
    const ready = claims.filter((c) => c.status?.conditions?.some((x) => x.type === 'Initialized' && x.status === 'True')).length;
    const quiet = Date.now() - lastSeenLaunch(running) >= settleMs;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`${pods.length - unbound}/${pods.length} bound, ${ready}/${claims.length} NodeClaims initialized`);
    }
    if (unbound === 0 && ready === claims.length) return;
    if (ready === claims.length && quiet) return;
    if (Date.now() > deadline) {
      log('gave up waiting (--timeout-s)');
      return;
    }
    await sleep(1_000);
  }
}

/** When the reconciler last decided a launch, as seen by this process (ms). */
const launchSeen = new WeakMap<RunningReconciler, { count: number; at: number }>();
function lastSeenLaunch(running: RunningReconciler): number {
  const n = running.decisions.filter((d) => d.action === 'launch').length;
  const seen = launchSeen.get(running);
  if (!seen || seen.count !== n) launchSeen.set(running, { count: n, at: Date.now() });
  return launchSeen.get(running)!.at;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const real = await realEnv(log);
  const env = real.env;
  if (!env.network) fail('the benchmark needs the EC2 network the test environment seeds in moto');
  const kc = env.kubeConfig();
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  const id = runId();
  const general = `${id}-general`;
  const batch = `${id}-batch`;
  const taintKey = 'joinery.dev/fidelity';
  const workload = new Workload(kc, `${id}-fidelity`);
  const names = {
    namespace: workload.namespace,
    taintKey,
    lowPriorityClass: `${id}-low`,
    highPriorityClass: `${id}-high`,
    volumePrefix: `${id}-pv`,
    zones: env.network.subnets.map((s) => s.zone),
  };
  const w = fidelityWorkload(args.pods, args.seed, names);
  const requirements = [
    { key: LABEL_ARCH, operator: 'In' as const, values: ['amd64'] },
    { key: LABEL_CAPACITY_TYPE, operator: 'In' as const, values: ['on-demand'] },
    { key: LABEL_INSTANCE_CATEGORY, operator: 'In' as const, values: ['c', 'm', 'r'] },
    { key: LABEL_INSTANCE_GENERATION, operator: 'Gt' as const, values: ['5'] },
  ];
  const repo = createPolicyRepo('joinery-bench-');
  repo.push(
    generatedFiles(
      [
        nodePool(general, { nodeClass: `${id}-default`, requirements }),
        nodePool(batch, { nodeClass: `${id}-default`, requirements, taints: [{ key: taintKey, value: 'batch', effect: 'NoSchedule' }], labels: { [taintKey]: 'batch' } }),
      ],
      [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
    ),
    'fidelity pools',
  );
  const pools = [general, batch];

  let running: RunningReconciler | undefined;
  try {
    await workload.createNamespace();
    await scheduling.createPriorityClass({ body: { metadata: { name: names.lowPriorityClass }, value: 10 } });
    await scheduling.createPriorityClass({ body: { metadata: { name: names.highPriorityClass }, value: 1000 } });
    for (const pv of w.volumes) await workload.core.createPersistentVolume({ body: pv });
    for (const pvc of w.claims) await workload.core.createNamespacedPersistentVolumeClaim({ namespace: workload.namespace, body: pvc });
    running = await startReconciler({ env, repo, logName: `bench-fidelity-${id}` });
    const t0 = Date.now();
    for (const wave of [1, 2] as const) {
      const pods = w.pods.filter((p) => p.wave === wave).map((p) => p.pod);
      log(`wave ${wave}: creating ${pods.length} pods`);
      await workload.createPods(pods, 16);
      await settle(workload, running, pools, args.settleS * 1000, Date.now() + args.timeoutS * 1000);
    }
    const seconds = (Date.now() - t0) / 1000;

    // What happened, read from the API.
    const pods = await workload.pods();
    const kindOf = new Map(w.pods.map((p) => [p.pod.metadata!.name!, p.kind]));
    const claims = await workload.nodeClaims(pools);
    const nodeOfClaim = new Map(claims.map((c) => [c.metadata.name!, c.status?.nodeName]));
    const hosting = new Set(pods.map((p) => p.spec?.nodeName).filter(Boolean));
    const emptyNodes = claims.filter((c) => !c.status?.nodeName || !hosting.has(c.status.nodeName)).map((c) => c.metadata.name!);
    const pending = pods.filter((p) => !p.spec?.nodeName);
    const pendingByKind: Partial<Record<FidelityKind, number>> = {};
    for (const p of pending) {
      const k = kindOf.get(p.metadata!.name!)!;
      pendingByKind[k] = (pendingByKind[k] ?? 0) + 1;
    }
    // Planned: the last Nominated event of each pod names its NodeClaim.
    const plannedClaim = new Map<string, string>();
    for (const e of await workload.podEvents('Nominated')) {
      const m = /nodeclaim\/(\S+)/.exec(e.message);
      if (m) plannedClaim.set(e.pod, m[1]!);
    }
    let judged = 0;
    let elsewhere = 0;
    const evicted = w.pods.length - pods.length;
    for (const p of pods) {
      const claim = plannedClaim.get(p.metadata!.name!);
      if (!claim || !p.spec?.nodeName) continue;
      judged += 1;
      if (nodeOfClaim.get(claim) !== p.spec.nodeName) elsewhere += 1;
    }
    // The kinds of the pods each empty node was planned for: which constraint the plan missed.
    const emptyPlannedFor: Record<string, string[]> = {};
    for (const [pod, claim] of plannedClaim) {
      if (emptyNodes.includes(claim)) (emptyPlannedFor[claim] ??= []).push(kindOf.get(pod) ?? pod);
    }
    const launches = running.decisions.filter((d) => d.action === 'launch' && pools.includes(d.nodePool ?? ''));
    const plannedPerHour = launches.reduce((s, d) => s + Number(d.details?.pricePerHour ?? 0), 0);
    const instances = (await running.cloud.list()).filter((i) => pools.includes(i.tags[TAG_NODEPOOL] ?? ''));
    const launchedPerHour = instances.reduce((s, i) => s + i.pricePerHour, 0);
    const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
    const result = {
      benchmark: 'fidelity',
      machine: machine(),
      seed: args.seed,
      pods: w.pods.length,
      kinds: Object.fromEntries(FIDELITY_KINDS.map((k) => [k, w.pods.filter((p) => p.kind === k).length])),
      seconds: Math.round(seconds),
      podsPending: pending.length,
      podsPendingByKind: pendingByKind,
      podsGone: evicted,
      nodeClaims: claims.length,
      nodeClaimsReady: claims.filter((c) => c.status?.conditions?.some((x) => x.type === 'Initialized' && x.status === 'True')).length,
      emptyNodes: emptyNodes.length,
      emptyNodesPlannedFor: emptyPlannedFor,
      podsWithAPlan: judged,
      podsBoundElsewhere: elsewhere,
      shareBoundElsewhere: judged > 0 ? r4(elsewhere / judged) : 0,
      plannedPerHour: r4(plannedPerHour),
      launchedPerHour: r4(launchedPerHour),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        [
          `fidelity: ${result.pods} pods (seed ${args.seed}: ${Object.entries(result.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}) in ${result.seconds} s`,
          `machine: ${result.machine.nproc} CPU (${result.machine.cpuModel}), node ${result.machine.node}, load ${result.machine.loadAverage.join(' ')}`,
          '',
          table(
            ['measure', 'value', 'goal'],
            [
              ['pods still Pending, every launched node Ready', `${result.podsPending}${pending.length ? ` (${Object.entries(pendingByKind).map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`, '0'],
              ['launched nodes hosting no pod', `${result.emptyNodes} of ${result.nodeClaims}`, '0'],
              ['pods bound to another node than planned', `${result.podsBoundElsewhere} of ${result.podsWithAPlan} (${(result.shareBoundElsewhere * 100).toFixed(1)}%)`, 'low'],
              ['$/h launched vs planned', `${result.launchedPerHour} vs ${result.plannedPerHour}`, 'equal'],
            ],
          ),
          '',
          `pods gone (preempted; bare pods are not recreated): ${evicted}`,
          ...Object.entries(emptyPlannedFor).map(([claim, kinds]) => `empty NodeClaim ${claim} was planned for: ${kinds.join(', ')}`),
          '',
        ].join('\n'),
      );
    }
  } finally {
    await running?.stop();
    log('cleaning up');
    await workload.deleteNamespace();
    await cleanUpPools(kc, env.ec2(), pools);
    for (const pv of w.volumes) await workload.core.deletePersistentVolume({ name: pv.metadata!.name! }).catch(() => undefined);
    await scheduling.deletePriorityClass({ name: names.lowPriorityClass }).catch(() => undefined);
    await scheduling.deletePriorityClass({ name: names.highPriorityClass }).catch(() => undefined);
    repo.remove();
    await real.release();
  }
}

await main();
process.exit(process.exitCode ?? 0);
