// The chaos suite: the real `joinery reconcile` process (generated RBAC, its ServiceAccount,
// leader election) against the real environment, while a burst of pending pods is being
// provisioned, under
//   - EC2 faults through the fault proxy: CreateFleet answered 500 after it took effect,
//     CreateFleet and DescribeInstances throttled, and two short outages of the whole EC2
//     endpoint (503 Unavailable, then connections closed unanswered);
//   - three SIGKILLs of the reconciler, each at a seeded random delay: while the burst's
//     first launches are in flight, while the restarted replica starts up and resyncs, and
//     during the second outage; each followed by a restart of the same replica (a container
//     restarted in its Pod);
//   - a restart of the kube-apiserver (stopped by PID, down 2 s, started again) while a
//     second wave of pods, launched into the first outage, is pending.
// The seed is printed (JOINERY_CHAOS_SEED=<seed> replays the delays). Asserted, and
// printed with the kills and faults as one `chaos summary` line:
//   duplicates   two live instances tagged for the same NodeClaim (after the run, before GC)
//   orphans      live joinery instances of the pool whose NodeClaim does not exist, after one
//                GC pass of the production garbage collector
//   claims lost  a NodeClaim seen during the run that is gone although it had launched (a
//                provider ID, or a live instance tagged for it); one deleted before any
//                instance existed and replaced by another is counted as replaced
//   pods         every pod created is Running (none Pending, none evicted)
import { randomBytes } from 'node:crypto';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { TAG_NODECLAIM } from '../../core/contract/index.ts';
import { eventually, testEnv, type InjectedFault } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { deployReconciler, type ReconcileDeployment, type ReconcileReplica } from './support/reconcile-process.ts';
import { runGcPass } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';
import { mulberry32 } from '../../reconciler/adapters/in-memory/random.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const id = runId();
const pool = `${id}-chaos`;
const workload = new Workload(kc, `${id}-chaos`);

/** A seeded PRNG (the simulator's mulberry32), so a failing schedule can be replayed. */
const prng = mulberry32;

const SEED = process.env.JOINERY_CHAOS_SEED ? Number(process.env.JOINERY_CHAOS_SEED) : randomBytes(4).readUInt32BE(0);
const random = prng(SEED);
const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));

const WAVE_1 = 10;
const WAVE_2 = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos: EC2 faults, reconciler kills and an apiserver restart during a burst of pending pods', () => {
  let repo: PolicyRepo;
  let deployment: ReconcileDeployment;
  let replica: ReconcileReplica;
  const replicas: ReconcileReplica[] = [];
  /** While true, a replica that exits on its own is started again (see start() in the test). */
  let supervising = true;
  /** The test's attempt (jest retries a failed test once, in the same namespace and pool). */
  let attempt = 0;

  /** No more faults, no more supervision, every replica started so far gone. */
  const stopEverything = async () => {
    supervising = false;
    await env.ec2Faults.clear();
    for (const r of replicas) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exited;
    }
  };

  /** What an earlier attempt left: its replicas stopped, its pods, claims, nodes and instances gone. */
  const undoEarlierAttempt = async () => {
    await stopEverything();
    await workload.deleteAllPods();
    await cleanUpPools(kc, ec2, [pool]);
    supervising = true;
  };

  beforeAll(async () => {
    if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
    repo = createPolicyRepo();
    // An AMI moto ships (amd64), selected by id: the process resolves aliases from Amazon's owner only.
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
    const image = (images.Images ?? []).find((i) => i.ImageId && i.Architecture === 'x86_64' && /amzn/.test(i.Name ?? ''));
    if (!image?.ImageId) throw new Error('moto lists no amd64 Amazon Linux image');
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-class`,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              // Two vCPUs each: one 1500m pod per node, so every pod has a claim of its own.
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'c5.large'] },
            ],
          }),
        ],
        [nodeClass(`${id}-class`, env.network.discoveryTag.value, { amiFamily: 'AL2023', amiSelectorTerms: [{ id: image.ImageId }] })],
      ),
      'capacity for the chaos test',
    );
    deployment = await deployReconciler(env, { id, gitUrl: repo.url });
    await workload.createNamespace();
  }, 120_000);

  afterAll(async () => {
    await stopEverything();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    await deployment?.remove();
    repo?.remove();
  }, 120_000);

  test('0 duplicates, 0 orphans after one GC pass, 0 NodeClaims lost, 0 pods Pending', async () => {
    attempt += 1;
    if (attempt > 1) await undoEarlierAttempt();
    const t0 = Date.now();
    const log: string[] = [];
    const note = (line: string) => log.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
    // The replica, supervised as its Pod's container would be: one that exits on its own
    // (e.g. it lost the apiserver for longer than its renew deadline) is started again.
    let killing = false;
    let selfExits = 0;
    const start = (): ReconcileReplica => {
      const r = deployment.start('0', `chaos-${id}-reconcile`);
      replica = r;
      replicas.push(r);
      void r.exited.then((how) => {
        if (!supervising || killing || replica !== r) return;
        selfExits += 1;
        note(`reconciler exited by itself (${String(how)}); restarted`);
        start();
      });
      return r;
    };
    start();
    /** Readiness of the current replica (informers synced, intent loaded, leading). */
    const ready = () =>
      eventually('the reconciler ready', async () => ((await fetch(`${await replica.url}/readyz`)).status === 200 ? true : undefined), {
        timeoutMs: 90_000,
        intervalMs: 200,
        describe: () => replica.logs.slice(-8).map((l) => JSON.stringify(l)).join('\n'),
      });
    await ready();

    // Every NodeClaim of the pool seen during the run, with its provider ID once it had one.
    const seen = new Map<string, string | undefined>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          for (const c of await workload.nodeClaims([pool])) seen.set(c.metadata.name!, c.status?.providerID ?? seen.get(c.metadata.name!));
        } catch {
          // the apiserver is restarting
        }
        await sleep(300);
      }
    })();

    const faults = [
      { action: 'CreateFleet', kind: 'error-after-success' as const, count: 4 },
      { action: 'CreateFleet', kind: 'throttle' as const, count: 2 },
      { action: 'DescribeInstances', kind: 'throttle' as const, count: 3 },
    ];
    await env.ec2Faults.setCallFaults(faults);
    let kills = 0;
    let apiserverUnavailableMs = 0;
    let created = 0;
    const createWave = async (n: number, prefix: string) => {
      const pods = Array.from({ length: n }, (_, i) => podManifest(`${prefix}${attempt}-${i}`, workload.namespace, { cpu: '1500m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pool } }));
      await workload.createPods(pods);
      created += n;
      note(`${n} pods created (${prefix})`);
    };

    const kill = async () => {
      if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
      const pid = replica.child.pid;
      killing = true;
      replica.child.kill('SIGKILL');
      await replica.exited;
      kills += 1;
      note(`reconciler pid ${pid} SIGKILLed; restarted`);
      start();
      killing = false;
    };
    const pause = async (lo: number, hi: number) => {
      const ms = between(lo, hi);
      await sleep(ms);
      return ms;
    };

    // The steps, each at a seeded random delay after the reconciler is (back) at work.
    await createWave(WAVE_1, 'burst');
    const burstAt = Date.now();
    await pause(500, 3_000);
    await kill(); // while the burst's first launches are in flight
    await pause(2_000, 15_000);
    await kill(); // while the restarted replica starts up (informers, intent, Lease) and resyncs
    await ready();
    await pause(0, 2_000);
    // Each outage lasts until the reconciler has met it (one call refused), 30 s at most:
    // whether a call falls into a fixed window depends on timing the test does not control.
    await env.ec2Faults.setOutage(5_000, 'unavailable', { untilRefused: 1, maxMs: 30_000 });
    note('EC2 outage: 503 for 5 s, and on until a call was refused');
    // The second wave is launched into the outage, and pending while the apiserver restarts.
    await createWave(WAVE_2, 'second');
    await pause(3_000, 10_000);
    const restarted = await env.restartApiServer({ downMs: 2_000 });
    apiserverUnavailableMs = restarted.unavailableMs;
    note(`kube-apiserver restarted (unavailable ${restarted.unavailableMs} ms)`);
    await ready();
    await env.ec2Faults.setOutage(4_000, 'reset', { untilRefused: 1, maxMs: 30_000 });
    note('EC2 outage: connections closed for 4 s, and on until a call was refused');
    await pause(500, 3_000);
    await kill(); // during the second outage, with pods pending
    note('chaos over; waiting for every pod to run');

    await eventually(
      'every pod Running',
      async () => {
        const pods = await workload.pods();
        return pods.length === created && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
      },
      {
        timeoutMs: 180_000,
        intervalMs: 1_000,
        describe: async () =>
          `${(await workload.pods()).length} of ${created} pods exist; not running:\n  ${(await workload.notRunning()).slice(0, 10).join('\n  ')}\n` +
          `events:\n  ${log.join('\n  ')}\nlast logs:\n${replica.logs.slice(-15).map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}`,
      },
    );
    const convergedAfterMs = Date.now() - burstAt;
    watching = false;
    await watcher;
    const injected: InjectedFault[] = (await env.ec2Faults.callFaults()).injected;
    await env.ec2Faults.clear();

    // The reconciler stops (SIGTERM: as a rollout would); what it left is counted.
    supervising = false;
    replica.child.kill('SIGTERM');
    await replica.exited;
    const claims = await workload.nodeClaims([pool]);
    const live = await instancesOfPools(ec2, [pool]);
    const byClaim = new Map<string, string[]>();
    for (const i of live) {
      const claim = tagsOf(i)[TAG_NODECLAIM] ?? '';
      byClaim.set(claim, [...(byClaim.get(claim) ?? []), i.InstanceId!]);
    }
    const duplicates = [...byClaim.entries()].filter(([, ids]) => ids.length > 1).map(([claim, ids]) => `${claim}: ${ids.join(', ')}`);
    const existing = new Set(claims.map((c) => c.metadata.name!));
    for (const c of claims) seen.set(c.metadata.name!, c.status?.providerID ?? seen.get(c.metadata.name!));
    const gone = [...seen.keys()].filter((name) => !existing.has(name));
    const lost = gone.filter((name) => seen.get(name) !== undefined || byClaim.has(name));
    const orphansBeforeGc = live.filter((i) => !existing.has(tagsOf(i)[TAG_NODECLAIM] ?? '')).map((i) => i.InstanceId!);

    // One pass of the production garbage collector over the production adapters, nothing
    // else running (grace 0: nothing is in flight any more).
    const gcDecisions = await runGcPass(env, { logName: `chaos-${id}-gc`, gcGraceMs: 0 });
    const gcTerminated = gcDecisions.filter((d) => d.action === 'garbage-collect').map((d) => `${d.reason} ${String((d.details as { instanceId?: string } | undefined)?.instanceId ?? '')}`);
    const claimsAfterGc = new Set((await workload.nodeClaims([pool])).map((c) => c.metadata.name!));
    const orphansAfterGc = (await instancesOfPools(ec2, [pool])).filter((i) => i.State?.Name !== 'shutting-down' && !claimsAfterGc.has(tagsOf(i)[TAG_NODECLAIM] ?? '')).map((i) => i.InstanceId!);
    const pods = await workload.pods();

    const faultCounts: Record<string, number> = {};
    for (const f of injected) faultCounts[`${f.action} ${f.kind}`] = (faultCounts[`${f.action} ${f.kind}`] ?? 0) + 1;
    const summary = {
      seed: SEED,
      kills,
      reconcilerSelfExits: selfExits,
      apiserverRestarts: 1,
      apiserverUnavailableMs,
      faultsInjected: injected.length,
      faults: faultCounts,
      pods: created,
      podsRunning: pods.filter((p) => p.status?.phase === 'Running').length,
      podsPending: pods.filter((p) => p.status?.phase === 'Pending').length,
      podsGone: created - pods.length,
      nodeClaimsSeen: seen.size,
      nodeClaimsAtEnd: claims.length,
      nodeClaimsReplaced: gone.length - lost.length,
      nodeClaimsLost: lost.length,
      instancesLive: live.length,
      duplicates: duplicates.length,
      orphansBeforeGc: orphansBeforeGc.length,
      gcTerminated,
      orphansAfterGc: orphansAfterGc.length,
      convergedAfterMs,
    };
    process.stdout.write(`chaos events:\n  ${log.join('\n  ')}\nchaos summary ${JSON.stringify(summary)}\n`);

    expect(kills).toBeGreaterThanOrEqual(3);
    expect(faultCounts['CreateFleet error-after-success']).toBeGreaterThanOrEqual(1);
    expect(injected.filter((f) => f.kind === 'outage').length).toBeGreaterThanOrEqual(1);
    expect(duplicates).toEqual([]);
    expect(lost).toEqual([]);
    expect(orphansAfterGc).toEqual([]);
    expect(pods.filter((p) => p.status?.phase !== 'Running').map((p) => p.metadata?.name)).toEqual([]);
    expect(pods).toHaveLength(created);
    // Every pod on a node of one of the claims that exist.
    expect(claims.length).toBeGreaterThanOrEqual(created);
  }, 400_000);
});
