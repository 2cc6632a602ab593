// EC2 faults on launches, against the real test environment: the fault proxy in front of
// moto answers the first CreateFleet calls with a 500 after moto launched (the outcome is
// unknown to the reconciler), then with plain 500s and throttles. moto ignores the client
// token, so only the lookup of the claim's tag keeps a retry from launching twice. Then an
// extra instance tagged for a live claim (a repeated launch whose lookup missed) is left
// to garbage collection.
//
// Asserted, and printed as counts: every claim has exactly one live instance (0
// duplicates), no live instance without a claim after a GC pass (0 orphans), no NodeClaim
// lost (every claim provisioning created is still there, launched), no pod left Pending.
// Then 500s past every retry of one launch: the claim is kept (outcome unknown), and
// launches once EC2 answers again.
import { RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

const GC_GRACE_MS = 5_000;
const GC_INTERVAL_MS = 3_000;

function launched(claim: NodeClaim): boolean {
  return claim.status?.conditions?.some((c) => c.type === 'Launched' && c.status === 'True') ?? false;
}

describe('launches under EC2 faults (500 after success, 500, throttling)', () => {
  const id = runId();
  const pool = `${id}-faults`;
  const workload = new Workload(kc, `${id}-faults`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-default`,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              // Two vCPUs each: one 1500m pod per node, so every pod has a claim of its own.
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'c5.large'] },
            ],
          }),
        ],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'a pool for the EC2 fault test',
    );
    await workload.createNamespace();
    running = await startReconciler({
      env,
      repo,
      logName: `reconciler-${id}-faults`,
      options: { gcGraceMs: GC_GRACE_MS, gcIntervalMs: GC_INTERVAL_MS },
      aws: { backoff: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 } },
    });
  });

  afterAll(async () => {
    await env.ec2Faults.clear();
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('no duplicate, no orphan, no lost claim, no pending pod', async () => {
    await env.ec2Faults.setCallFaults([
      { action: 'CreateFleet', kind: 'error-after-success', count: 6 },
      { action: 'CreateFleet', kind: 'server-error', count: 2 },
      { action: 'CreateFleet', kind: 'throttle', count: 2 },
    ]);
    const pods = Array.from({ length: 10 }, (_, i) => podManifest(`faulty-${i}`, workload.namespace, { cpu: '1500m', memory: '1Gi' }));
    await workload.createPods(pods);

    await eventually('every pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).slice(0, 10).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
    const faults = await env.ec2Faults.callFaults();
    const injected = (kind: string) => faults.injected.filter((f) => f.kind === kind).length;
    // Every fault was met by a launch.
    expect(faults.pending).toEqual([]);
    expect(injected('error-after-success')).toBe(6);

    // A repeated launch whose lookup missed its first instance: one more instance tagged for a live claim.
    const claimsBefore = await workload.nodeClaims([pool]);
    const victim = claimsBefore.find((c) => c.status?.providerID)!;
    const own = (await instancesOfPools(ec2, [pool])).find((i) => victim.status!.providerID!.endsWith(`/${i.InstanceId}`))!;
    const extra = await ec2.send(new RunInstancesCommand({
      ImageId: own.ImageId!,
      InstanceType: own.InstanceType as _InstanceType,
      SubnetId: own.SubnetId!,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tagsOf(own)).filter(([k]) => !k.startsWith('aws:')).map(([Key, Value]) => ({ Key, Value })) }],
    }));
    const extraId = extra.Instances![0]!.InstanceId!;
    await eventually('the duplicate terminated by GC', async () => ((await instancesOfPools(ec2, [pool])).some((i) => i.InstanceId === extraId) ? undefined : true), {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      describe: () => describeDecisions(running!),
    });
    // One more full GC pass after that.
    await new Promise((r) => setTimeout(r, GC_INTERVAL_MS + 1_000));

    const claims = await workload.nodeClaims([pool]);
    const created = new Set(running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool).flatMap((d) => d.nodeClaims ?? []));
    const instances = await instancesOfPools(ec2, [pool]);
    const live = instances.filter((i) => i.State?.Name === 'pending' || i.State?.Name === 'running');
    const perClaim = new Map<string, string[]>();
    for (const i of live) {
      const tag = tagsOf(i)['karpenter.sh/nodeclaim'] ?? '';
      perClaim.set(tag, [...(perClaim.get(tag) ?? []), i.InstanceId!]);
    }
    const claimNames = new Set(claims.map((c) => c.metadata.name!));
    const counts = {
      pods: pods.length,
      claimsCreated: created.size,
      claims: claims.length,
      instances: live.length,
      duplicates: claims.reduce((n, c) => n + Math.max(0, (perClaim.get(c.metadata.name!) ?? []).length - 1), 0),
      orphans: [...perClaim].filter(([tag]) => !claimNames.has(tag)).reduce((n, [, ids]) => n + ids.length, 0),
      lostClaims: [...created].filter((n) => !claimNames.has(n)).length,
      pendingPods: (await workload.notRunning()).length,
      launchFailedDecisions: running!.decisions.filter((d) => d.action === 'launch-failed').length,
      injected: { errorAfterSuccess: injected('error-after-success'), serverError: injected('server-error'), throttle: injected('throttle') },
      adoptedAfter500: running!.logs.filter((l) => l.msg === 'CreateFleet answered an error but had launched; adopting its instance').length,
      gcDuplicates: running!.decisions.filter((d) => d.action === 'garbage-collect' && d.reason === 'duplicate-instance').length,
    };
    process.stdout.write(`ec2-faults counts: ${JSON.stringify(counts)}\n`);

    expect(counts.duplicates).toBe(0);
    expect(counts.orphans).toBe(0);
    expect(counts.lostClaims).toBe(0);
    expect(counts.pendingPods).toBe(0);
    expect(counts.launchFailedDecisions).toBe(0);
    expect(counts.claims).toBe(counts.claimsCreated);
    expect(counts.instances).toBe(counts.claims);
    // The launches answered 500 after launching were found by their tag, not launched again:
    // the only duplicate GC met is the one planted above.
    expect(counts.adoptedAfter500).toBe(6);
    expect(counts.gcDuplicates).toBe(1);
    // Each claim's one instance is the one it recorded.
    for (const c of claims) {
      expect(launched(c)).toBe(true);
      const ids = perClaim.get(c.metadata.name!) ?? [];
      expect(ids).toHaveLength(1);
      expect(c.status?.providerID?.endsWith(`/${ids[0]}`)).toBe(true);
    }
    // The duplicate was GC's, named as such, and its claim kept its own instance.
    const gc = running!.decisions.find((d) => d.action === 'garbage-collect' && d.details?.instanceId === extraId);
    expect(gc?.reason).toBe('duplicate-instance');
    expect(claims.find((c) => c.metadata.name === victim.metadata.name)?.status?.providerID).toBe(victim.status?.providerID);
  });

  test('CreateFleet failing with 500s past every retry: the claim is kept (outcome unknown, not failed) and launches once EC2 answers', async () => {
    const before = new Set((await workload.nodeClaims([pool])).map((c) => c.metadata.name!));
    // More 500s than one launch's attempts (4): the launch ends unknown at least once.
    await env.ec2Faults.setCallFaults([{ action: 'CreateFleet', kind: 'server-error', count: 6 }]);
    await workload.createPods([podManifest('late-0', workload.namespace, { cpu: '1500m', memory: '1Gi' })]);
    await eventually('the new pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
    const fresh = (await workload.nodeClaims([pool])).filter((c) => !before.has(c.metadata.name!));
    const unknown = running!.logs.filter((l) => l.msg === 'launch outcome unknown; keeping the claim and looking its instance up before trying again');
    const tagged = (await instancesOfPools(ec2, [pool])).filter((i) => tagsOf(i)['karpenter.sh/nodeclaim'] === fresh[0]?.metadata.name);
    process.stdout.write(`ec2-faults unknown-outcome counts: ${JSON.stringify({ claims: fresh.length, unknownOutcomes: unknown.length, instances: tagged.length, launchFailed: running!.decisions.filter((d) => d.action === 'launch-failed').length })}\n`);
    expect((await env.ec2Faults.callFaults()).pending).toEqual([]);
    expect(unknown.length).toBeGreaterThanOrEqual(1);
    expect(running!.decisions.filter((d) => d.action === 'launch-failed')).toEqual([]);
    // The one claim created for the pod is the one that launched (not deleted and solved again).
    expect(fresh).toHaveLength(1);
    expect(tagged).toHaveLength(1);
    expect(fresh[0]!.status?.providerID?.endsWith(`/${tagged[0]!.InstanceId}`)).toBe(true);
  });
});
