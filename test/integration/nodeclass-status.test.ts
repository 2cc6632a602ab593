// EC2NodeClass status as Karpenter writes it, against the real API server (the CRD's
// status subresource and schema) and moto: a class that resolves lists its subnets,
// security groups, AMIs and instance profile with every condition True; a class whose
// subnet selector matches nothing is Ready=False with SubnetsReady=False naming the term,
// each condition carrying the generation it judged, while a second pool keeps provisioning.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const CLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };

async function statusOf(name: string, what: string): Promise<EC2NodeClass> {
  return eventually(what, async () => {
    const c = (await custom.getClusterCustomObject({ ...CLASSES, name })) as EC2NodeClass;
    return c.status?.conditions?.some((x) => x.type === 'Ready') ? c : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
}

describe('EC2NodeClass status', () => {
  const id = runId();
  const classes = { good: `${id}-good`, broken: `${id}-broken` };
  const pools = { good: `${id}-good`, broken: `${id}-broken` };
  const unmatched = `${id}-no-such-subnets`;
  const workload = new Workload(kc, `${id}-status`);
  let repo: PolicyRepo;
  let running: RunningReconciler;

  beforeAll(async () => {
    const discovery = env.network.discoveryTag.value;
    const good = nodeClass(classes.good, discovery);
    const broken = nodeClass(classes.broken, discovery, { subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': unmatched } }] });
    repo = createPolicyRepo();
    repo.push(generatedFiles([nodePool(pools.good, { nodeClass: classes.good }), nodePool(pools.broken, { nodeClass: classes.broken })], [good, broken]), 'a class whose subnets match nothing');
    for (const c of [good, broken]) await custom.createClusterCustomObject({ ...CLASSES, body: c });
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-status` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, Object.values(pools));
    for (const name of Object.values(classes)) await custom.deleteClusterCustomObject({ ...CLASSES, name }).catch(() => undefined);
    repo?.remove();
  });

  test('an unmatched subnet selector: Ready=False and SubnetsReady=False naming the term, while the other pool keeps provisioning', async () => {
    const broken = await statusOf(classes.broken, 'the broken class has a status');
    const conditions = Object.fromEntries((broken.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.SubnetsReady).toEqual(expect.objectContaining({ status: 'False', reason: 'SubnetsNotFound', observedGeneration: broken.metadata.generation }));
    expect(conditions.SubnetsReady!.message).toContain('spec.subnetSelectorTerms');
    expect(conditions.SubnetsReady!.message).toContain(unmatched);
    expect(conditions.Ready).toEqual(expect.objectContaining({ status: 'False', reason: 'UnhealthyDependents' }));
    expect(conditions.Ready!.message).toContain(unmatched);
    // The parts that do resolve still say so.
    for (const type of ['SecurityGroupsReady', 'AMIsReady', 'InstanceProfileReady', 'ValidationSucceeded']) {
      expect({ type, status: conditions[type]?.status, observedGeneration: conditions[type]?.observedGeneration }).toEqual({ type, status: 'True', observedGeneration: broken.metadata.generation });
    }
    expect(broken.status?.subnets).toBeUndefined();
    expect(broken.status?.securityGroups).toEqual([{ id: env.network.securityGroupId }]);

    const good = await statusOf(classes.good, 'the good class has a status');
    expect(good.status?.conditions?.filter((c) => c.status !== 'True').map((c) => `${c.type}: ${c.message}`)).toEqual([]);
    expect((good.status?.subnets ?? []).map((s) => [s.id, s.zone]).sort()).toEqual(env.network.subnets.map((s) => [s.subnetId, s.zone]).sort());
    expect(good.status?.amis?.map((a) => a.requirements)).toEqual(expect.arrayContaining([[{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }]]));
    expect(good.status?.instanceProfile).toBeTruthy();

    // The second pool keeps provisioning; the broken class's pool launches nothing.
    const ns = workload.namespace;
    await workload.createPods([
      podManifest('good', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pools.good } }),
      podManifest('broken', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pools.broken } }),
    ]);
    await eventually(
      'the pod of the good pool Running',
      async () => ((await workload.pods()).find((p) => p.metadata!.name === 'good')?.status?.phase === 'Running' ? true : undefined),
      { timeoutMs: 100_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running)}` },
    );
    expect(await instancesOfPools(ec2, [pools.broken])).toEqual([]);
    expect(await workload.nodeClaims([pools.broken])).toEqual([]);
  });
});
