// A static NodePool (spec.replicas) against the real test environment (kube-apiserver with
// the Karpenter CRDs and their CEL rules, kwok, moto's EC2): replicas 0 -> 2 in git launches
// two nodes although no pod asks for them; 2 -> 1 removes one; the node left is empty, its
// pool says WhenEmpty after 2s with consolidation polled every 2 s, and it is not
// consolidated; the NodePool's status says desired and current.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NodeClaim, NodePool } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { FAST_DISRUPTION, disruptionPool, onlyType } from './support/disruption.ts';
import { generatedFiles, nodeClass } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('a static NodePool', () => {
  const id = runId();
  const poolName = `${id}-static`;
  const className = `${id}-default`;
  const workload = new Workload(kc, `${id}-static`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  // Empty nodes would be consolidated after 2 s if the pool were not static.
  const pool = (replicas: number): NodePool => {
    const p = disruptionPool(poolName, { nodeClass: className, requirements: onlyType('m5.large'), limits: { nodes: 3 }, consolidationPolicy: 'WhenEmpty', consolidateAfter: '2s', budgets: [{ nodes: '100%' }] });
    return { ...p, spec: { ...p.spec, replicas } };
  };
  /** What a commit and Argo CD's sync of it do: generated/ in git, the NodePool object in the cluster. */
  const commit = async (replicas: number) => {
    repo.push(generatedFiles([pool(replicas)], [nodeClass(className, env.network!.discoveryTag.value)]), `replicas ${replicas}`);
    await custom.patchClusterCustomObject({ ...NODEPOOLS, name: poolName, body: { spec: { replicas } } }, MERGE);
  };
  const claims = async (): Promise<NodeClaim[]> => workload.nodeClaims([poolName]);
  const live = (cs: NodeClaim[]) => cs.filter((c) => !c.metadata.deletionTimestamp);
  const initialized = (c: NodeClaim) => c.status?.conditions?.some((x) => x.type === 'Initialized' && x.status === 'True') ?? false;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(generatedFiles([pool(0)], [nodeClass(className, env.network.discoveryTag.value)]), 'a static pool of 0');
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: pool(0) });
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-static`, options: FAST_DISRUPTION });
  });

  afterAll(async () => {
    await running?.stop();
    await custom.patchClusterCustomObject({ ...NODEPOOLS, name: poolName, body: { metadata: { finalizers: null } } }, MERGE).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: poolName }).catch(() => undefined);
    await cleanUpPools(kc, ec2, [poolName]);
    repo?.remove();
  });

  test('replicas 0 -> 2 launches two nodes without pods; 2 -> 1 removes one; the empty node left is not consolidated', async () => {
    const describe = async () => `claims: ${(await claims()).map((c) => `${c.metadata.name}${c.metadata.deletionTimestamp ? ' (deleting)' : ''}${initialized(c) ? ' (initialized)' : ''}`).join(', ')}\ndecisions:\n${describeDecisions(running!)}`;
    expect(await claims()).toEqual([]);
    const t0 = Date.now();
    await commit(2);
    const two = await eventually('2 initialized nodes, no pod', async () => {
      const cs = live(await claims());
      return cs.length === 2 && cs.every(initialized) ? cs : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1_000, describe });
    expect(running!.decisions).toContainEqual(expect.objectContaining({ controller: 'static', action: 'launch', reason: 'static-replicas', nodePool: poolName }));
    expect(await instancesOfPools(ec2, [poolName])).toHaveLength(2);
    const t1 = Date.now();

    await commit(1);
    const [left] = await eventually('one NodeClaim and one instance left', async () => {
      const cs = await claims();
      return cs.length === 1 && (await instancesOfPools(ec2, [poolName])).length === 1 ? cs : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1_000, describe });
    expect(two.map((c) => c.metadata.name)).toContain(left!.metadata.name);
    expect(running!.decisions).toContainEqual(expect.objectContaining({ controller: 'static', action: 'delete', reason: 'static-scale-down', nodePool: poolName }));
    const t2 = Date.now();

    // The node left is empty: under WhenEmpty/2s it would go within seconds. While the status
    // catches up (written at most every 30 s), it stays, and nothing else is launched.
    await eventually('status: desired 1, current 1', async () => {
      const cs = await claims();
      if (cs.length !== 1 || cs[0]!.metadata.name !== left!.metadata.name || cs[0]!.metadata.deletionTimestamp) throw new Error(`the static node was disrupted: ${await describe()}`);
      const status = ((await custom.getClusterCustomObject({ ...NODEPOOLS, name: poolName })) as NodePool).status;
      const ready = status?.conditions?.find((c) => c.type === 'joinery.dev/ReplicasReady');
      return status?.nodes === 1 && ready?.status === 'True' && ready.message.startsWith('desired 1, current 1') ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000, describe });
    expect(running!.decisions.filter((d) => d.controller === 'disruption' && d.action !== 'skip')).toEqual([]);
    // eslint-disable-next-line no-console
    console.log(`static pool: 0 -> 2 initialized in ${((t1 - t0) / 1000).toFixed(1)} s, 2 -> 1 in ${((t2 - t1) / 1000).toFixed(1)} s, status desired 1 current 1 (node kept, empty) after ${((Date.now() - t2) / 1000).toFixed(1)} s more`);
  });
});
