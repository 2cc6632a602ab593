// Pod deletion cost management (the PodDeletionCostManagement feature gate) against the real
// test environment: the reconciler writes controller.kubernetes.io/pod-deletion-cost on the
// Deployment's pods, ranked by node, and when the Deployment is scaled down the real
// kube-controller-manager's ReplicaSet controller deletes the pods of the node joinery
// ranked first. That node is left empty and goes; no other pod is moved.
//
// Five pods of 700m on m5.large (two fit on a node) make three nodes holding 2, 2 and 1.
// Without the annotation the ReplicaSet controller prefers a pod whose node runs more of its
// pods (a "doubled-up" one, from a full node), so the lone pod would stay and consolidation
// would have to evict it; with joinery's ranking the lone pod, whose node is ranked first
// (fewest pods), carries the lowest cost and is the one deleted.
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { ANNOTATION_MANAGED_DELETION_COST, ANNOTATION_POD_DELETION_COST } from '../../core/contract/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, fleetCost, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const live = (pods: readonly V1Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);
const ready = (p: V1Pod) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const costOf = (p: V1Pod) => p.metadata?.annotations?.[ANNOTATION_POD_DELETION_COST];
const describePods = (pods: readonly V1Pod[]) =>
  pods.map((p) => `  ${p.metadata?.name} on ${p.spec?.nodeName ?? '-'} ${p.status?.phase} cost=${costOf(p) ?? '-'} managed=${p.metadata?.annotations?.[ANNOTATION_MANAGED_DELETION_COST] ?? '-'}${p.metadata?.deletionTimestamp ? ' deleting' : ''}`).join('\n');

/** The pods' node ranking as the annotations say it, if every pod carries a managed cost consistent per node. */
function rankingOf(pods: readonly V1Pod[]): { node: string; cost: number; pods: string[] }[] | undefined {
  const byNode = new Map<string, { cost: number; pods: string[] }>();
  for (const p of pods) {
    const cost = costOf(p);
    if (!p.spec?.nodeName || cost === undefined || p.metadata?.annotations?.[ANNOTATION_MANAGED_DELETION_COST] !== 'true') return undefined;
    const e = byNode.get(p.spec.nodeName);
    if (e && e.cost !== Number(cost)) return undefined; // a pass is half-way through
    byNode.set(p.spec.nodeName, { cost: Number(cost), pods: [...(e?.pods ?? []), p.metadata!.name!] });
  }
  return [...byNode].map(([node, e]) => ({ node, ...e })).sort((a, b) => a.cost - b.cost);
}

describe('pod deletion cost management', () => {
  const id = runId();
  const pool = `${id}-pdc`;
  const workload = new Workload(kc, `${id}-pdc`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(pool, { nodeClass: `${id}-default`, requirements: onlyType('m5.large'), consolidateAfter: '2s', budgets: [{ nodes: '100%' }] })],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'one m5.large pool',
    );
    await workload.createNamespace();
    running = await startReconciler({
      env,
      repo,
      logName: `reconciler-${id}-pod-deletion-cost`,
      options: { ...FAST_DISRUPTION, podDeletionCostManagement: true, podDeletionCostIntervalMs: 1_000 },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test("scaling the Deployment down deletes the pods of the node joinery ranked first; that node goes and no other pod moves", async () => {
    await apps.createDeployment('web', { replicas: 5, cpu: '700m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pool } });
    // Every pod Ready (the ReplicaSet deletes a pod that is not Ready before any other) and
    // carrying its node's rank.
    const ranking = await eventually(
      'five Ready pods, each with its node rank',
      async () => {
        const pods = live(await workload.pods());
        if (pods.length !== 5 || !pods.every(ready)) return undefined;
        return rankingOf(pods);
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: async () => `pods:\n${describePods(await workload.pods())}\ndecisions:\n${describeDecisions(running!)}` },
    );
    // Ranks: the node with the fewest pods first, each node its own rank.
    expect(ranking.map((r) => r.pods.length)).toEqual([...ranking.map((r) => r.pods.length)].sort((a, b) => a - b));
    expect(new Set(ranking.map((r) => r.cost)).size).toBe(ranking.length);
    expect(ranking.every((r) => r.cost < 0)).toBe(true);
    const first = ranking[0]!;
    expect(first.pods.length).toBeLessThan(ranking[ranking.length - 1]!.pods.length);
    const before = await fleetCost(ec2, [pool]);
    expect(before.instances).toBe(ranking.length);
    const kept = ranking.slice(1).flatMap((r) => r.pods).sort();
    const firstClaim = (await workload.nodeClaims([pool])).find((c) => c.status?.nodeName === first.node)?.metadata.name;
    expect(firstClaim).toBeDefined();

    await apps.scale('web', 5 - first.pods.length);
    // kube-controller-manager's ReplicaSet controller deleted exactly the first node's pods.
    await eventually(
      `the pods of ${first.node} (${first.pods.join(', ')}) deleted, the others kept`,
      async () => {
        const names = live(await workload.pods()).map((p) => p.metadata!.name!).sort();
        return JSON.stringify(names) === JSON.stringify(kept) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, describe: async () => `pods:\n${describePods(await workload.pods())}` },
    );
    // The emptied node goes, and with it its instance.
    await eventually(
      `${first.node} removed`,
      async () => {
        const claims = (await workload.nodeClaims([pool])).filter((c) => !c.metadata.deletionTimestamp);
        const cost = await fleetCost(ec2, [pool]);
        return claims.length === ranking.length - 1 && !claims.some((c) => c.status?.nodeName === first.node) && cost.instances === ranking.length - 1 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, describe: async () => `decisions:\n${describeDecisions(running!)}` },
    );
    const removal = running!.decisions.find((d) => d.controller === 'disruption' && d.action === 'delete' && d.nodeClaims?.includes(firstClaim!));
    expect(removal?.reason).toBe('empty');
    // No pod was moved: the survivors are the very pods that ran before the scale-down.
    expect(live(await workload.pods()).map((p) => p.metadata!.name!).sort()).toEqual(kept);
  });

  test('a cost the user sets on a pod is left as set', async () => {
    const [pod] = live(await workload.pods());
    await workload.core.patchNamespacedPod(
      { name: pod!.metadata!.name!, namespace: workload.namespace, body: { metadata: { annotations: { [ANNOTATION_POD_DELETION_COST]: '5000', [ANNOTATION_MANAGED_DELETION_COST]: null } } } },
      MERGE,
    );
    // Several passes (one a second) later the user's value is still there, unmarked.
    await new Promise((r) => setTimeout(r, 4_000));
    const now = await workload.core.readNamespacedPod({ name: pod!.metadata!.name!, namespace: workload.namespace });
    expect(costOf(now)).toBe('5000');
    expect(now.metadata?.annotations?.[ANNOTATION_MANAGED_DELETION_COST]).toBeUndefined();
  });
});
