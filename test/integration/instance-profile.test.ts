// Nodes get their IAM identity, against moto's real IAM and EC2: the reconciler creates an
// instance profile for the EC2NodeClass's role (named and tagged as Karpenter does), the
// launch template of the launched instance names it, the EC2NodeClass status says so, and
// once the class is gone from the intent and no instance runs with it, garbage collection
// deletes it. A class whose role does not exist is not Ready (InstanceProfileReady=False
// naming the role, and a Warning Event) and launches nothing, while another pool keeps
// provisioning.
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import { instanceProfileName } from '../../core/contract/index.ts';
import { TEST_NODE_ROLES, eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const iam = env.iam();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const CLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };

async function liveClass(name: string): Promise<EC2NodeClass> {
  return (await custom.getClusterCustomObject({ ...CLASSES, name })) as EC2NodeClass;
}

async function profile(name: string) {
  try {
    return (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (err) {
    if (/^NoSuchEntity/.test((err as { name?: string }).name ?? '')) return undefined;
    throw err;
  }
}

describe('instance profiles for EC2NodeClass roles', () => {
  const id = runId();
  const classes = { ok: `${id}-identity`, noRole: `${id}-no-role` };
  const pools = { ok: `${id}-identity`, noRole: `${id}-no-role` };
  const missingRole = `${id}-MissingNodeRole`;
  const workload = new Workload(kc, `${id}-identity`);
  const expectedProfile = instanceProfileName(env.clusterName, env.region, classes.ok);
  let repo: PolicyRepo;
  let running: RunningReconciler;

  const manifests = () => {
    const discovery = env.network.discoveryTag.value;
    return {
      ok: nodeClass(classes.ok, discovery, { role: TEST_NODE_ROLES[0] }),
      noRole: nodeClass(classes.noRole, discovery, { role: missingRole }),
    };
  };

  beforeAll(async () => {
    const m = manifests();
    repo = createPolicyRepo();
    repo.push(
      generatedFiles([nodePool(pools.ok, { nodeClass: classes.ok }), nodePool(pools.noRole, { nodeClass: classes.noRole })], [m.ok, m.noRole]),
      'two classes, one whose role does not exist',
    );
    // As Argo CD applies them: the status goes on these objects.
    for (const c of [m.ok, m.noRole]) await custom.createClusterCustomObject({ ...CLASSES, body: c });
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-identity`, options: { gcIntervalMs: 3_000, gcGraceMs: 3_000 } });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, Object.values(pools));
    for (const name of Object.values(classes)) await custom.deleteClusterCustomObject({ ...CLASSES, name }).catch(() => undefined);
    repo?.remove();
  });

  test('the profile is created for the role with Karpenter\'s name and tags, used by the launch template, reported in status, and deleted once nothing uses it', async () => {
    const ns = workload.namespace;
    await workload.createPods([
      podManifest('with-identity', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pools.ok } }),
      podManifest('no-identity', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/nodepool': pools.noRole } }),
    ]);
    await eventually(
      'the pod of the pool with a role Running',
      async () => ((await workload.pods()).find((p) => p.metadata!.name === 'with-identity')?.status?.phase === 'Running' ? true : undefined),
      { timeoutMs: 100_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running)}` },
    );

    // Created for the role, named and tagged as Karpenter does.
    const p = await profile(expectedProfile);
    expect(p).toBeDefined();
    expect(p!.Roles?.map((r) => r.RoleName)).toEqual([TEST_NODE_ROLES[0]]);
    expect(p!.Path).toBe(`/karpenter/${env.region}/${env.clusterName}/${classes.ok}/`);
    const tags = Object.fromEntries((p!.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual(
      expect.objectContaining({
        [`kubernetes.io/cluster/${env.clusterName}`]: 'owned',
        'eks:eks-cluster-name': env.clusterName,
        'karpenter.k8s.aws/ec2nodeclass': classes.ok,
        'topology.kubernetes.io/region': env.region,
      }),
    );

    // The launched instance's launch template gives it that identity.
    const [instance, ...more] = await instancesOfPools(ec2, [pools.ok]);
    expect(more).toEqual([]);
    const templateName = tagsOf(instance!)['joinery.dev/launch-template'];
    expect(templateName).toBeDefined();
    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: templateName, Versions: ['$Latest'] }));
    expect(versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.IamInstanceProfile?.Name).toBe(expectedProfile);

    // Status: the class with a role is Ready with its profile; the one whose role does not exist is not, and says which role.
    const ok = await eventually('the status of the class with a role', async () => {
      const c = await liveClass(classes.ok);
      return c.status?.conditions?.some((x) => x.type === 'Ready') ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(ok.status?.instanceProfile).toBe(expectedProfile);
    expect(ok.status?.conditions?.find((c) => c.type === 'InstanceProfileReady')).toEqual(expect.objectContaining({ status: 'True', observedGeneration: ok.metadata.generation }));
    expect(ok.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const bad = await eventually('the status of the class whose role does not exist', async () => {
      const c = await liveClass(classes.noRole);
      return c.status?.conditions?.some((x) => x.type === 'Ready') ? c : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    const badProfile = bad.status?.conditions?.find((c) => c.type === 'InstanceProfileReady');
    expect(badProfile).toEqual(expect.objectContaining({ status: 'False', reason: 'InstanceProfileNotFound', observedGeneration: bad.metadata.generation }));
    expect(badProfile?.message).toContain(missingRole);
    expect(bad.status?.conditions?.find((c) => c.type === 'Ready')).toEqual(expect.objectContaining({ status: 'False', reason: 'UnhealthyDependents' }));
    expect(bad.status?.instanceProfile).toBeUndefined();
    const events = await eventually('a Warning Event on the class whose role does not exist', async () => {
      const list = (await core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.involvedObject.name === classes.noRole && e.reason === 'NodeClassNotReady');
      return list.length > 0 ? list : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500 });
    expect(events[0]!.type).toBe('Warning');
    expect(events[0]!.message).toContain(missingRole);

    // Never a launch without an identity: nothing for the pool whose role does not exist, and its pod still pending.
    expect(await instancesOfPools(ec2, [pools.noRole])).toEqual([]);
    expect(await workload.nodeClaims([pools.noRole])).toEqual([]);
    expect((await workload.pods()).find((p) => p.metadata!.name === 'no-identity')?.spec?.nodeName).toBeUndefined();
    expect(running.decisions.some((d) => d.reason === 'nodeclass-not-ready' && d.nodePool === pools.noRole && d.message.includes(missingRole))).toBe(true);

    // The class goes from the intent, and its node goes (deleted as a user would): the profile is deleted.
    const m = manifests();
    repo.push(generatedFiles([nodePool(pools.noRole, { nodeClass: classes.noRole })], [m.noRole]), 'the class with a role removed');
    await core.deleteNamespacedPod({ namespace: ns, name: 'with-identity', gracePeriodSeconds: 0 });
    for (const claim of await workload.nodeClaims([pools.ok])) await custom.deleteClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims', name: claim.metadata.name! });
    await eventually('the instance of the removed class terminated', async () => ((await instancesOfPools(ec2, [pools.ok])).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1_000 });
    await eventually('the instance profile deleted', async () => ((await profile(expectedProfile)) === undefined ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      describe: async () => `decisions:\n${describeDecisions(running)}`,
    });
    expect(running.decisions.some((d) => d.reason === 'unused-instance-profile' && d.message.includes(expectedProfile))).toBe(true);
  });
});
