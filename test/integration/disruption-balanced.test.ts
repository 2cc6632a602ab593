// consolidationPolicy: Balanced against the real test environment (kube-apiserver,
// kube-scheduler, kube-controller-manager's Deployments, kwok kubelets, moto EC2): a
// replacement that saves a few percent of the pool's cost while moving many pods is not
// taken, and says why; a scale-down that empties a node is consolidated (the node goes).
//
// The pool starts on m5.2xlarge only; three zone-pinned workloads put one node in each zone.
// A commit then also allows c5.2xlarge ($0.340/h against $0.384/h): under
// WhenEmptyOrUnderutilized each node would be replaced by one (the pods fit); under Balanced
// the zone-a replacement saves 3.8% of the pool's $1.152/h for 8 of its 14 units of
// disruption (score 0.07, threshold 0.5), so nothing is replaced.
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, fleetCost, notRunning } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const ZONE = 'topology.kubernetes.io/zone';
const TYPE = 'node.kubernetes.io/instance-type';

describe('consolidationPolicy Balanced', () => {
  const id = runId();
  const pool = `${id}-bal`;
  const workload = new Workload(kc, `${id}-balanced`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  function files(types: string[]): Record<string, unknown> {
    return generatedFiles(
      [
        disruptionPool(pool, {
          nodeClass: `${id}-default`,
          requirements: [
            { key: TYPE, operator: 'In', values: types },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
          ],
          consolidationPolicy: 'Balanced',
          consolidateAfter: '2s',
          budgets: [{ nodes: '100%' }],
        }),
      ],
      [nodeClass(`${id}-default`, env.network!.discoveryTag.value)],
    );
  }
  const selector = (zone: string) => ({ 'karpenter.sh/nodepool': pool, [ZONE]: zone });
  const live = async () => (await workload.nodeClaims([pool])).filter((c) => !c.metadata.deletionTimestamp);
  const nodeOf = async (app: string) => (await workload.pods()).find((p) => p.metadata?.labels?.app === app && !p.metadata?.deletionTimestamp)?.spec?.nodeName;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(files(['m5.2xlarge']), 'balanced pool on m5.2xlarge');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-balanced`, options: FAST_DISRUPTION });
    // Zone a: 6 pods of 1150m (6.9 of the node's ~7.9 allocatable CPU); zones b and c: 2 pods of 3 CPU.
    await apps.createDeployment('many', { replicas: 6, cpu: '1150m', memory: '512Mi', nodeSelector: selector('us-east-1a') });
    await apps.createDeployment('steady', { replicas: 2, cpu: '3', memory: '1Gi', nodeSelector: selector('us-east-1b') });
    await apps.createDeployment('burst', { replicas: 2, cpu: '3', memory: '1Gi', nodeSelector: selector('us-east-1c') });
    await eventually('10 pods Running on one m5.2xlarge per zone', async () => {
      const pods = await workload.pods();
      const claims = await live();
      return pods.length === 10 && notRunning(pods).length === 0 && claims.length === 3 && new Set(pods.map((p) => p.spec?.nodeName)).size === 3 ? true : undefined;
    }, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('a replacement saving a few percent of the pool while moving 6 pods is not taken, and the skip says why', async () => {
    const zoneA = await nodeOf('many');
    const claimA = (await live()).find((c) => c.status?.nodeName === zoneA)!.metadata.name!;
    repo.push(files(['m5.2xlarge', 'c5.2xlarge']), 'balanced pool: c5.2xlarge too');
    // Once the commit is in force the zone-a node has a cheaper replacement; Balanced scores it.
    const skip = await eventually(
      'a balanced-score skip of the zone-a node',
      async () => running!.decisions.find((d) => d.controller === 'disruption' && d.action === 'skip' && d.reason === 'balanced-score' && d.nodeClaims?.includes(claimA)),
      { timeoutMs: 60_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    const m = /Balanced score ([\d.]+) [<>]=? threshold ([\d.]+)/.exec(skip.message);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]));
    expect(Number(m![2])).toBe(0.5);
    expect(skip.message).toMatch(/saves 3\.8% of the pool's cost \(\$0\.0440\/h\)/);
    // Every node is still the m5.2xlarge it was, and no replacement was launched.
    const claims = await live();
    expect(claims.map((c) => c.metadata.labels?.[TYPE])).toEqual(['m5.2xlarge', 'm5.2xlarge', 'm5.2xlarge']);
    expect(running!.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'))).toEqual([]);
  });

  test('a scale-down that empties a node is consolidated; the marginal replacement still is not', async () => {
    const zoneA = await nodeOf('many');
    const zoneC = await nodeOf('burst');
    const before = await fleetCost(ec2, [pool]);
    expect(before.instances).toBe(3);
    await apps.scale('burst', 0);
    const after = await eventually(
      'the emptied zone-c node removed',
      async () => {
        const cost = await fleetCost(ec2, [pool]);
        const claims = await live();
        return cost.instances === 2 && claims.length === 2 && !claims.some((c) => c.status?.nodeName === zoneC) ? cost : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `fleet: ${JSON.stringify(await fleetCost(ec2, [pool]))}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(after.perHour).toBeCloseTo(before.perHour - 0.384, 4);
    const removals = running!.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'));
    expect(removals.map((d) => d.action)).toEqual(['delete']);
    // The 6 pods of zone a never moved, and the other workloads still run.
    expect(await nodeOf('many')).toBe(zoneA);
    const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods.length).toBe(8);
    expect(notRunning(pods)).toEqual([]);
    expect((await live()).map((c) => c.metadata.labels?.[TYPE])).toEqual(['m5.2xlarge', 'm5.2xlarge']);
  });
});
