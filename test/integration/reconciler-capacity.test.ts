// Insufficient capacity, as EC2 reports it: the environment's fault proxy in front of moto
// answers an instant CreateFleet as EC2 does when offerings have no capacity (an
// InsufficientInstanceCapacity error per such override, an instance from the others, no
// instance when none has capacity). moto itself never runs out; the proxy is the only
// fault injected, at the EC2 boundary.
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
/** Cheapest first: c6a.large $0.0765, c5.large $0.085, m5.large $0.096 (on-demand, us-east-1). */
const TYPES = ['c6a.large', 'c5.large', 'm5.large'];
const UNAVAILABLE_TTL_MS = 20_000;

describe('capacity errors', () => {
  const id = runId();
  const pool = `${id}-ice`;
  const workload = new Workload(kc, `${id}-ice`);
  let repo: PolicyRepo;
  let running: RunningReconciler;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-default`,
            requirements: [
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: TYPES },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
            ],
          }),
        ],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'three instance types',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-capacity`, unavailableTtlMs: UNAVAILABLE_TTL_MS });
  });

  afterAll(async () => {
    await env.ec2Faults.clear();
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  const typeOptions = (claim: { spec: { requirements: { key: string; values?: string[] }[] } }) =>
    claim.spec.requirements.find((r) => r.key === 'node.kubernetes.io/instance-type')?.values ?? [];

  test('a type without capacity falls back to the next cheapest in the same launch, and is left out of the next claims', async () => {
    await env.ec2Faults.setUnavailableOfferings([{ instanceType: 'c6a.large', capacityType: 'on-demand' }]);
    await workload.createPods([podManifest('first', workload.namespace, { cpu: '1', memory: '1Gi' })]);
    const describe = async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running)}`;
    await eventually('the first pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000, describe });

    const [first] = await workload.nodeClaims([pool]);
    expect(typeOptions(first!)).toContain('c6a.large'); // the cheapest option the solver gave ...
    expect(first!.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('c5.large'); // ... EC2 had none: the next one
    const skipped = running.logs.find((l) => l.msg === 'fleet skipped offerings without capacity');
    expect(skipped?.offerings).toEqual(expect.arrayContaining(['c6a.large/us-east-1a/on-demand']));

    // A second node: c6a.large is now known short and not offered to the new claim at all.
    await workload.createPods([podManifest('second', workload.namespace, { cpu: '1', memory: '1Gi' })]);
    await eventually('both pods Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), { timeoutMs: 90_000, intervalMs: 1_000, describe });
    const claims = await workload.nodeClaims([pool]);
    expect(claims).toHaveLength(2);
    const second = claims.find((c) => c.metadata.name !== first!.metadata.name)!;
    expect(typeOptions(second)).not.toContain('c6a.large');
    expect(second.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('c5.large');
    const instances = await instancesOfPools(ec2, [pool]);
    expect(instances.map((i) => i.InstanceType).sort()).toEqual(['c5.large', 'c5.large']);
  });

  test('when no offering has capacity the claim is dropped and the pod waits; it launches once capacity is back', async () => {
    await env.ec2Faults.setUnavailableOfferings(TYPES.map((instanceType) => ({ instanceType })));
    const before = new Set((await workload.nodeClaims([pool])).map((c) => c.metadata.name));
    await workload.createPods([podManifest('third', workload.namespace, { cpu: '1', memory: '1Gi' })]);

    const failed = await eventually('a launch-failed decision for insufficient capacity', async () =>
      running.decisions.find((d) => d.action === 'launch-failed' && d.reason === 'insufficient-capacity'),
      { timeoutMs: 60_000, describe: () => describeDecisions(running) },
    );
    const failedClaim = failed.nodeClaims?.[0] ?? '';
    expect(before.has(failedClaim)).toBe(false);
    expect(failed.message).toMatch(/insufficient capacity/i);
    // The claim is gone, no instance was launched for it, the pod is still pending.
    await eventually('the failed claim deleted', async () => ((await workload.nodeClaims([pool])).some((c) => c.metadata.name === failedClaim) ? undefined : true));
    expect((await instancesOfPools(ec2, [pool])).filter((i) => tagsOf(i)['karpenter.sh/nodeclaim'] === failedClaim)).toEqual([]);
    expect((await workload.pods()).find((p) => p.metadata!.name === 'third')?.status?.phase).toBe('Pending');

    // Capacity returns; after the offerings' unavailability expires the pod is solved again.
    await env.ec2Faults.clear();
    await eventually('the third pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 100_000,
      intervalMs: 1_000,
      describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running)}`,
    });
    const third = (await workload.nodeClaims([pool])).filter((c) => !before.has(c.metadata.name));
    expect(third).toHaveLength(1);
    expect(third[0]!.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('c6a.large');
  });
});
