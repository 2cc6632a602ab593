// Node auto-repair on the real environment. A node is made unhealthy as a kubelet going
// bad would leave it: the test takes the Node out of kwok's care (removes the
// kwok.x-k8s.io/node annotation, as the node-join simulator does for a stopped instance;
// otherwise kwok's next heartbeat would set Ready=True again) and patches its status
// Ready=False through the API. Tolerations are shortened to seconds through the
// reconciler's repairPolicies option (production: 30 min). The NodePools are also applied
// to the cluster (as Argo CD would) so the reconciler can write their status.
import { PatchStrategy, setHeaderOptions, CustomObjectsApi } from '@kubernetes/client-node';
import type { NodePool } from '../../core/api/karpenter.ts';
import { ANNOTATION_NODE_REPAIR } from '../../core/contract/index.ts';
import { eventually, testEnv, KWOK_MANAGED_ANNOTATION } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, instanceState, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const TOLERATION_MS = 4_000;

describe('node auto-repair', () => {
  const id = runId();
  const poolName = `${id}-rp`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-repair`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let r: RunningReconciler;
  let pool: NodePool;

  async function makeUnhealthy(node: string): Promise<void> {
    await workload.core.patchNode({ name: node, body: { metadata: { annotations: { [KWOK_MANAGED_ANNOTATION.key]: null } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const now = new Date();
    await workload.core.patchNodeStatus(
      { name: node, body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down', lastHeartbeatTime: now, lastTransitionTime: now }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }

  async function webNodes(replicas: number): Promise<string[]> {
    return eventually(`${replicas} web pods Running, one per node`, async () => {
      const pods = (await workload.pods()).filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
      const nodes = [...new Set(pods.map((p) => p.spec!.nodeName!))];
      return pods.length === replicas && nodes.length === replicas ? nodes : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });
  }

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const p = disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
    pool = { ...p, metadata: { ...p.metadata, annotations: { [ANNOTATION_NODE_REPAIR]: 'enabled' } } };
    const cls = nodeClass(className, env.network.discoveryTag.value);
    repo.push(generatedFiles([pool], [cls]), 'a pool with node auto-repair');
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: pool });
    await workload.createNamespace();
    r = await startReconciler({
      env,
      repo,
      logName: `reconciler-${id}-repair`,
      options: {
        ...FAST_DISRUPTION,
        nodeRepair: true,
        repairPolicies: [
          { conditionType: 'Ready', status: 'False', tolerationMs: TOLERATION_MS },
          { conditionType: 'Ready', status: 'Unknown', tolerationMs: TOLERATION_MS },
        ],
      },
    });
  });

  afterAll(async () => {
    await r?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: poolName }).catch(() => undefined);
    repo?.remove();
  });

  test('a node NotReady past its toleration is force-terminated and replaced; its pod runs on the new node', async () => {
    // 1.2 CPU each: one pod per m5.large.
    await apps.createDeployment('web', { replicas: 2, cpu: '1200m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    const nodes = await webNodes(2);
    const sick = nodes[0]!;
    const sickClaim = (await workload.nodeClaims([poolName])).find((c) => c.status?.nodeName === sick)!;
    const startedAt = Date.now();
    await makeUnhealthy(sick);

    await eventually('the sick node gone, its instance terminated, 2 web pods Running on healthy nodes', async () => {
      const pods = (await workload.pods()).filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
      const node = await workload.core.readNode({ name: sick }).catch(() => undefined);
      const claims = await workload.nodeClaims([poolName]);
      const state = await instanceState(ec2, sickClaim.status!.providerID!);
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName !== sick) && !node && !claims.some((c) => c.metadata.name === sickClaim.metadata.name) && state === 'terminated' ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(r)}` });
    const repair = r.decisions.find((d) => d.action === 'repair');
    expect(repair?.nodes).toEqual([sick]);
    // Not before its toleration.
    expect(repair!.time - startedAt).toBeGreaterThanOrEqual(TOLERATION_MS - 1_000);
    process.stdout.write(`NotReady -> repaired after ${((repair!.time - startedAt) / 1000).toFixed(1)} s (toleration ${TOLERATION_MS / 1000} s)\n`);
  });

  test('3 of 10 nodes NotReady: none is repaired, and the NodePool status says why', async () => {
    await apps.scale('web', 10);
    const nodes = await webNodes(10);
    const claimsBefore = (await workload.nodeClaims([poolName])).map((c) => c.metadata.name).sort();
    for (const n of nodes.slice(0, 3)) await makeUnhealthy(n);
    const condition = await eventually('NodeRepairAllowed=False on the NodePool', async () => {
      const live = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: poolName })) as NodePool;
      const c = live.status?.conditions?.find((x) => x.type === 'joinery.dev/NodeRepairAllowed');
      return c?.status === 'False' ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, describe: async () => describeDecisions(r) });
    expect(condition.reason).toBe('TooManyUnhealthyNodes');
    expect(condition.message).toMatch(/^3 of 10 nodes are unhealthy, more than 20%/);
    // Well past the toleration: still no repair.
    await new Promise((res) => setTimeout(res, TOLERATION_MS * 2));
    expect((await workload.nodeClaims([poolName])).filter((c) => !c.metadata.deletionTimestamp).map((c) => c.metadata.name).sort()).toEqual(claimsBefore);
    expect(r.decisions.filter((d) => d.action === 'repair')).toHaveLength(1); // the first test's only
    expect(r.decisions.some((d) => d.action === 'repair-blocked' && /3 of 10 nodes are unhealthy/.test(d.message))).toBe(true);
    const gauge = (await r.metrics.registry.getSingleMetric('joinery_node_repair_blocked')!.get()).values;
    expect(gauge).toContainEqual(expect.objectContaining({ value: 1, labels: { nodepool: poolName } }));
  });
});
