// Intent that survives, against the real test environment: a commit that removes every
// NodePool is rejected the way bad commits are (log line with the commit, metric, NodePool
// condition), and the pool in force stays.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const NODECLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };

const discovery = () => {
  if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
  return env.network.discoveryTag.value;
};

describe('a commit that removes every NodePool', () => {
  const id = runId();
  const pool = `${id}-web`;
  const cls = `${id}-default`;
  let repo: PolicyRepo;
  let running: RunningReconciler;
  let good = '';

  beforeAll(async () => {
    repo = createPolicyRepo();
    const webPool: NodePool = nodePool(pool, { nodeClass: cls });
    const webClass: EC2NodeClass = nodeClass(cls, discovery());
    good = repo.push(generatedFiles([webPool], [webClass]), 'web pool');
    // As Argo CD would: the same objects in the cluster, so their status can carry conditions.
    await custom.createClusterCustomObject({ ...NODECLASSES, body: webClass });
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: webPool });
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-intent-survives` });
  });

  afterAll(async () => {
    await running?.stop();
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: pool }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODECLASSES, name: cls }).catch(() => undefined);
    repo?.remove();
  });

  test('is rejected and reported (log, metric, condition); the pool in force stays', async () => {
    expect(running.intent.current()?.commit).toBe(good);
    const empty = repo.push(generatedFiles([], [nodeClass(cls, discovery())]), 'remove every pool');
    await running.intent.refresh();

    expect(running.intent.current()?.commit).toBe(good);
    expect(running.intent.current()?.nodePools.map((p) => p.metadata.name)).toEqual([pool]);
    expect(running.intent.lastRejection()?.commit).toBe(empty);
    const logged = running.logs.find((l) => l.msg === 'policy commit rejected; the last good intent stays in force');
    expect(logged).toMatchObject({ commit: empty, commitInForce: good });
    expect(String(logged?.problems)).toMatch(/no NodePool is declared/);
    expect(await running.metrics.registry.getSingleMetricAsString('joinery_intent_rejected_commits_total')).toMatch(/joinery_intent_rejected_commits_total 1$/m);

    const condition = await eventually('the NodePool condition naming the rejected commit', async () => {
      const np = (await custom.getClusterCustomObject({ ...NODEPOOLS, name: pool })) as NodePool;
      const c = np.status?.conditions?.find((x) => x.type === 'joinery.dev/PolicyCommitAccepted');
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.message).toContain(empty.slice(0, 12));
    expect(condition.message).toContain('no NodePool is declared');
  });
});
