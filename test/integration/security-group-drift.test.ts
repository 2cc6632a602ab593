// Security-group drift against the real test environment (moto's EC2, the real
// kube-apiserver, kube-scheduler and kwok): a spot node launched into the one group its
// EC2NodeClass selects by tag; a second group then gets that tag, so the class now selects
// two and the running instance is in one of them only. As Karpenter's SecurityGroupDrift,
// the node is drifted and replaced (the replacement first, in both groups), and the decision
// names the groups. Spot, because moto's on-demand CreateFleet instances carry no security
// group at all (the reconciler sees nothing to compare); the spot ones carry the launch
// template's groups (test/env/moto-server.py).
import { CreateSecurityGroupCommand, CreateTagsCommand, DeleteSecurityGroupCommand, DeleteTagsCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { eventually, testEnv } from '../env/index.ts';
import { Apps, FAST_DISRUPTION, notRunning } from './support/disruption.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

async function groupsOf(providerID: string): Promise<string[]> {
  const id = providerID.slice(providerID.lastIndexOf('/') + 1);
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return (out.Reservations?.[0]?.Instances?.[0]?.SecurityGroups ?? []).map((g) => g.GroupId ?? '').sort();
}

describe('a security group added to what the EC2NodeClass selects', () => {
  const id = runId();
  const poolName = `${id}-sg`;
  const className = `${id}-sg`;
  /** The class selects security groups by this tag only (not the shared discovery tag). */
  const selector = { key: 'joinery.dev/test-sg', value: id };
  const workload = new Workload(kc, `${id}-sg`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let second: string | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    await ec2.send(new CreateTagsCommand({ Resources: [env.network.securityGroupId], Tags: [{ Key: selector.key, Value: selector.value }] }));
    repo = createPolicyRepo();
    const pool = nodePool(poolName, {
      nodeClass: className,
      requirements: [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
      ],
    });
    pool.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '1' }] };
    const cls = nodeClass(className, env.network.discoveryTag.value, { securityGroupSelectorTerms: [{ tags: { [selector.key]: selector.value } }] });
    repo.push(generatedFiles([pool], [cls]), 'a spot pool whose class selects security groups by a tag of its own');
    await workload.createNamespace();
    running = await startReconciler({
      env,
      repo,
      logName: `reconciler-${id}-sg`,
      options: { ...FAST_DISRUPTION, cloudDriftIntervalMs: 1_000 },
      aws: { discoveryTtlMs: 1_000 },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [poolName]);
    await ec2.send(new DeleteTagsCommand({ Resources: [env.network!.securityGroupId], Tags: [{ Key: selector.key }] })).catch(() => undefined);
    if (second) await ec2.send(new DeleteSecurityGroupCommand({ GroupId: second })).catch(() => undefined);
    repo?.remove();
  });

  test('the node in the old set is replaced by one in both groups, replacement first, the decision naming the groups', async () => {
    await new Apps(kc, workload.namespace).createDeployment('app', { replicas: 1, cpu: '100m', memory: '64Mi', nodeSelector: { 'karpenter.sh/nodepool': poolName } });
    const first = await eventually(
      'the pod Running on a spot node',
      async () => {
        const pods = await workload.pods();
        const claims = (await workload.nodeClaims([poolName])).filter((c) => c.status?.providerID);
        return pods.length === 1 && notRunning(pods).length === 0 && claims.length === 1 ? claims[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(await groupsOf(first.status!.providerID!)).toEqual([env.network!.securityGroupId]);
    // Not drifted while nothing changed.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(running!.decisions.filter((d) => d.controller === 'disruption')).toEqual([]);

    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${id}-second`,
        Description: 'a second group the class selects',
        VpcId: env.network!.vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: selector.key, Value: selector.value }] }],
      }),
    );
    second = created.GroupId!;
    const both = [env.network!.securityGroupId, second].sort();

    const replacement = await eventually(
      'the old node gone, and the pod Running on a node in both groups',
      async () => {
        const claims = (await workload.nodeClaims([poolName])).filter((c) => !c.metadata.deletionTimestamp && c.status?.providerID);
        const pods = (await workload.pods()).filter((p) => !p.metadata?.deletionTimestamp);
        const gone = !claims.some((c) => c.metadata.name === first.metadata.name);
        return gone && claims.length === 1 && pods.length === 1 && notRunning(pods).length === 0 && pods[0]!.spec?.nodeName === claims[0]!.status?.nodeName ? claims[0] : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe: async () => `claims: ${(await workload.nodeClaims([poolName])).map((c) => c.metadata.name).join(', ')}\ndecisions:\n${describeDecisions(running!)}` },
    );
    expect(await groupsOf(replacement.status!.providerID!)).toEqual(both);
    const decision = running!.decisions.find((d) => d.controller === 'disruption' && d.reason === 'drifted' && d.nodeClaims?.includes(first.metadata.name!));
    expect(decision?.action).toBe('replace');
    expect(decision?.message).toContain(`security groups ${env.network!.securityGroupId} are not those spec.securityGroupSelectorTerms of EC2NodeClass ${className} select now`);
  }, 300_000);
});
