// Consolidation against the real test environment (kube-apiserver, kube-scheduler,
// kube-controller-manager's Deployments and ReplicaSets, kwok kubelets, moto EC2): a
// Deployment scaled down by half leaves under-used nodes. While its pods carry
// karpenter.sh/do-not-disrupt nothing is consolidated and the reconciler says why; once
// the annotation is gone the nodes are consolidated, the fleet's $/h drops, and no pod is
// left pending.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, DisruptionObserver, FAST_DISRUPTION, disruptionPool, explainCli, fleetCost, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('consolidation after a scale-down', () => {
  const id = runId();
  const pool = `${id}-web`;
  const workload = new Workload(kc, `${id}-consolidate`);
  const apps = new Apps(kc, workload.namespace);
  const observer = new DisruptionObserver(kc, [pool]);
  const cli = explainCli(env);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let before = { instances: 0, perHour: 0, types: [] as string[] };

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const files = generatedFiles(
      // m5.large only (2 vCPU): two 700m pods per node, so 8 replicas need 4 nodes.
      [disruptionPool(pool, { nodeClass: `${id}-default`, requirements: onlyType('m5.large'), consolidateAfter: '2s', budgets: [{ nodes: '100%' }] })],
      [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
    );
    repo.push(files, 'web pool, consolidation WhenEmptyOrUnderutilized after 2s');
    cli.write(files);
    await workload.createNamespace();
    await observer.start();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-consolidate`, options: FAST_DISRUPTION });
    await apps.createDeployment('web', {
      replicas: 8,
      cpu: '700m',
      memory: '512Mi',
      nodeSelector: { 'karpenter.sh/nodepool': pool },
      podAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' },
    });
    await eventually('8 web pods Running', async () => {
      const pods = await workload.pods();
      return pods.length === 8 && notRunning(pods).length === 0 ? true : undefined;
    }, {
      timeoutMs: 100_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
    before = await fleetCost(ec2, [pool]);
  });

  afterAll(async () => {
    await observer.stop();
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
    cli.remove();
  });

  test('while the pods carry karpenter.sh/do-not-disrupt, scaling down by half consolidates nothing, and each skip says why', async () => {
    expect(before.instances).toBe(4);
    // Two pods per node. The ReplicaSet deletes pods with the lowest deletion cost first:
    // one per node, so every node keeps one pod (none is simply empty).
    const byNode = new Map<string, string[]>();
    for (const p of await workload.pods()) byNode.set(p.spec!.nodeName!, [...(byNode.get(p.spec!.nodeName!) ?? []), p.metadata!.name!]);
    expect([...byNode.values()].map((x) => x.length)).toEqual([2, 2, 2, 2]);
    for (const [, [first]] of byNode) {
      await workload.core.patchNamespacedPod({ name: first!, namespace: workload.namespace, body: { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1000' } } } }, MERGE);
    }
    await apps.scale('web', 4);
    await eventually('4 web pods left, one per node', async () => {
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === 4 && new Set(pods.map((p) => p.spec?.nodeName)).size === 4 ? true : undefined;
    }, { timeoutMs: 30_000 });
    // Every node now runs one 700m pod: without the annotation two nodes would go (see the
    // next test). Give the reconciler several disruption passes (poll 1 s, consolidateAfter
    // 2 s, stabilisation 2 s) to prove it leaves them.
    const skipped = await eventually(
      'a consolidation skip naming do-not-disrupt',
      async () => running!.decisions.find((d) => d.controller === 'disruption' && d.action === 'skip' && d.reason === 'do-not-disrupt'),
      { timeoutMs: 30_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    expect(skipped.message).toMatch(/consolidation blocked: pod .+\/web-.+ is annotated karpenter.sh\/do-not-disrupt/);
    // `joinery explain node` says the same, and that the pods would otherwise fit elsewhere.
    const node = (await workload.pods())[0]!.spec!.nodeName!;
    const e = await cli.explain(node);
    expect(e.verdict).toBe('not-disruptable');
    expect(e.summary).toMatch(/pod .+\/web-.+ is annotated karpenter.sh\/do-not-disrupt/);
    expect(e.checks.find((c) => c.check === 'do-not-disrupt')?.status).toBe('blocks');
    expect(e.checks.find((c) => c.check === 'placement')).toMatchObject({ status: 'ok', message: 'its 1 pod(s) fit on the other nodes' });
    expect(e.facts).toMatchObject({ nodePool: pool, instanceType: 'm5.large', capacityType: 'on-demand', pods: 1, pricePerHour: 0.096 });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(observer.maxConcurrent()).toBe(0);
    expect((await fleetCost(ec2, [pool])).instances).toBe(4);
    expect(running!.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'delete' || d.action === 'replace'))).toEqual([]);
  });

  test('without the annotation the nodes are consolidated: $/h drops, and no pod is left pending', async () => {
    for (const p of await workload.pods()) {
      await workload.core.patchNamespacedPod({ name: p.metadata!.name!, namespace: workload.namespace, body: { metadata: { annotations: { 'karpenter.sh/do-not-disrupt': null } } } }, MERGE);
    }
    // Four pods of 700m fit on two m5.large: two nodes go.
    const after = await eventually(
      'the fleet consolidated to 2 nodes',
      async () => {
        const cost = await fleetCost(ec2, [pool]);
        const claims = (await workload.nodeClaims([pool])).filter((c) => !c.metadata.deletionTimestamp);
        return cost.instances === 2 && claims.length === 2 ? cost : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `fleet: ${JSON.stringify(await fleetCost(ec2, [pool]))}\ndisruption:\n${observer.describe()}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(after.perHour).toBeLessThan(before.perHour);
    expect(after.perHour).toBeCloseTo(before.perHour / 2, 4);
    const consolidations = running!.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'delete' || d.action === 'replace'));
    expect(consolidations.length).toBeGreaterThan(0);
    for (const d of consolidations) expect(d.reason).toBe('underutilized');

    // Running, not Pending: readiness is kwok's and kube-controller-manager's business (on a
    // loaded machine kwok's heartbeats lag, the node lifecycle controller marks pods NotReady
    // and kwok does not mark them Ready again).
    await eventually('the 4 web pods Running', async () => {
      const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === 4 && notRunning(pods).length === 0 ? true : undefined;
    }, {
      timeoutMs: 30_000,
      intervalMs: 500,
      describe: async () =>
        `pods:\n${(await workload.pods())
          .map((p) => `  ${p.metadata?.name} ${p.status?.phase} on ${p.spec?.nodeName ?? '-'} ready=${p.status?.conditions?.find((c) => c.type === 'Ready')?.status}${p.metadata?.deletionTimestamp ? ' deleting' : ''}`)
          .join('\n')}\nnodes: ${(await workload.core.listNode()).items.map((n) => `${n.metadata?.name}${n.spec?.taints?.length ? ` taints=${n.spec.taints.map((t) => t.key).join(',')}` : ''}`).join(', ')}`,
    });
    // Nothing pending anywhere in the namespace, and every pod on one of the two remaining nodes.
    const claims = (await workload.nodeClaims([pool])).filter((c) => !c.metadata.deletionTimestamp);
    const nodes = new Set(claims.map((c) => c.status?.nodeName));
    for (const p of await workload.pods()) expect(nodes.has(p.spec?.nodeName)).toBe(true);
  });
});
