// `kubectl delete node` against the real test environment: the Node joinery registered
// carries the termination finalizer `karpenter.sh/termination`, so the API server only
// marks it deleting; as in Karpenter, the reconciler deletes its NodeClaim, drains the node
// through the Eviction API, terminates the instance in EC2 (moto) and releases the Node,
// which then disappears. The evicted pod runs again on a new node.
import { FINALIZER_TERMINATION } from '../../core/contract/index.ts';
import { REASON_NODE_DELETED } from '../../reconciler/controllers/termination/controller.ts';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, disruptionPool, instanceState, notRunning, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('kubectl delete node', () => {
  const id = runId();
  const poolName = `${id}-nd`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-nd`);
  const apps = new Apps(kc, workload.namespace);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' })],
        [nodeClass(className, env.network.discoveryTag.value)],
      ),
      'node-delete pool',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-node-delete`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('drains the node, deletes its NodeClaim, terminates the instance in EC2 and removes the Node', async () => {
    await apps.createDeployment('app', { replicas: 1, cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    const [nodeName, claimName, providerID] = await eventually(
      'the app pod Running on a node of the pool that carries the termination finalizer',
      async () => {
        const pods = await workload.pods();
        const claims = await workload.nodeClaims([poolName]);
        const nodeName = pods[0]?.spec?.nodeName;
        if (pods.length !== 1 || notRunning(pods).length > 0 || claims.length !== 1 || !nodeName) return undefined;
        const node = await workload.core.readNode({ name: nodeName });
        return node.metadata?.finalizers?.includes(FINALIZER_TERMINATION) ? ([nodeName, claims[0]!.metadata.name!, node.spec!.providerID!] as const) : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, describe: () => describeDecisions(running!) },
    );
    expect(await instanceState(ec2, providerID)).toBe('running');

    const deletedAt = Date.now();
    await workload.core.deleteNode({ name: nodeName }); // what `kubectl delete node` sends
    // The finalizer holds it: it is marked deleting, not gone.
    const marked = await workload.core.readNode({ name: nodeName });
    expect(marked.metadata?.deletionTimestamp).toBeTruthy();

    await eventually(
      'the instance terminated, the NodeClaim and the Node gone',
      async () => {
        const state = await instanceState(ec2, providerID);
        const claims = await workload.nodeClaims([poolName]);
        const nodes = (await workload.core.listNode()).items.map((n) => n.metadata!.name!);
        return (state === 'shutting-down' || state === 'terminated') && !claims.some((c) => c.metadata.name === claimName) && !nodes.includes(nodeName) ? true : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        describe: async () => `instance ${await instanceState(ec2, providerID)}; claims ${(await workload.nodeClaims([poolName])).map((c) => `${c.metadata.name}${c.metadata.deletionTimestamp ? ' (deleting)' : ''}`).join(', ')}\n${describeDecisions(running!)}`,
      },
    );
    const elapsedMs = Date.now() - deletedAt;

    const decided = running!.decisions.find((d) => d.controller === 'termination' && d.reason === REASON_NODE_DELETED);
    expect(decided?.action).toBe('delete');
    expect(decided?.nodes).toEqual([nodeName]);
    expect(decided?.nodeClaims).toEqual([claimName]);
    expect(decided?.message).toContain('node deleted by a user');
    expect(running!.decisions.find((d) => d.controller === 'termination' && d.action === 'terminated')?.nodeClaims).toEqual([claimName]);
    expect(running!.logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(elapsedMs).toBeLessThan(60_000);
    // Drained through the Eviction API before the instance went.
    const evicted = (await running!.metrics.evictions.get()).values.filter((v) => v.labels.result === 'evicted').reduce((a, v) => a + v.value, 0);
    expect(evicted).toBeGreaterThanOrEqual(1);

    // The pod was evicted (not lost with the node): its Deployment's replacement runs on a new node.
    await eventually(
      'the app pod Running again on another node',
      async () => {
        const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
        return pods.length === 1 && notRunning(pods).length === 0 && pods[0]!.spec?.nodeName !== nodeName ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running!)}` },
    );
  });
});
