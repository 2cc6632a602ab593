// The reconciler against the real test environment: kube-apiserver, kube-scheduler and
// kwok for Kubernetes, moto (behind the environment's fault proxy) for EC2, a real git
// repository for the intent. A burst of pending pods must end with every pod Running on
// nodes the reconciler launched, each instance of the type the solver chose for its
// NodeClaim, each claim and instance carrying the policy commit.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const onDemandPrice = new Map(
  (JSON.parse(readFileSync(fileURLToPath(new URL('../../data/ec2-us-east-1.json', import.meta.url)), 'utf8')) as { instanceTypes: { name: string; onDemandPricePerHour: number | null }[] }).instanceTypes.map(
    (t) => [t.name, t.onDemandPricePerHour ?? Infinity],
  ),
);

function requirementValues(claim: NodeClaim, key: string): string[] {
  return claim.spec.requirements.find((r) => r.key === key && r.operator === 'In')?.values ?? [];
}

function conditionTrue(claim: NodeClaim, type: string): boolean {
  return claim.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

describe('provisioning a burst of pending pods', () => {
  const id = runId();
  const pool = `${id}-general`;
  const workload = new Workload(kc, `${id}-burst`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let commit = '';

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    commit = repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-default`,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
              { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['4'] },
            ],
          }),
        ],
        [nodeClass(`${id}-default`, env.network.discoveryTag.value)],
      ),
      'general-purpose pool',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-burst` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('every pod runs on a launched node; each instance is the cheapest type of its NodeClaim; claims and instances carry the commit', async () => {
    const shapes = [
      { n: 12, cpu: '250m', memory: '256Mi' },
      { n: 10, cpu: '1', memory: '2Gi' },
      { n: 6, cpu: '2', memory: '4Gi' },
      { n: 4, cpu: '500m', memory: '6Gi' },
    ];
    const pods = shapes.flatMap((s, si) => Array.from({ length: s.n }, (_, i) => podManifest(`burst-${si}-${i}`, workload.namespace, { cpu: s.cpu, memory: s.memory })));
    await workload.createPods(pods);

    await eventually('every pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 100_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).slice(0, 10).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });

    // Pods may run before the lifecycle controller has marked the last claim Initialized.
    const claims = await eventually('every NodeClaim Initialized', async () => {
      const list = await workload.nodeClaims([pool]);
      return list.every((c) => conditionTrue(c, 'Initialized')) ? list : undefined;
    }, { timeoutMs: 30_000 });
    const instances = await instancesOfPools(ec2, [pool]);
    expect(claims.length).toBeGreaterThan(0);
    // One instance per claim, no more (no duplicate launches), each matched by its tags.
    expect(instances).toHaveLength(claims.length);
    const byClaim = new Map(instances.map((i) => [tagsOf(i)['karpenter.sh/nodeclaim'], i]));
    const nodes = (await workload.core.listNode()).items;
    for (const claim of claims) {
      const name = claim.metadata.name!;
      const instance = byClaim.get(name);
      expect(instance).toBeDefined();
      const tags = tagsOf(instance!);
      // The type the solver chose: among the claim's options, the cheapest (lowest-price fleet).
      const options = requirementValues(claim, 'node.kubernetes.io/instance-type');
      expect(options).toContain(instance!.InstanceType);
      const cheapest = Math.min(...options.map((o) => onDemandPrice.get(o) ?? Infinity));
      expect(onDemandPrice.get(String(instance!.InstanceType))).toBe(cheapest);
      expect(claim.metadata.labels?.['node.kubernetes.io/instance-type']).toBe(instance!.InstanceType);
      // The commit of the intent that created it, on the claim and on the instance.
      expect(claim.metadata.labels?.['joinery.dev/policy-commit']).toBe(commit);
      expect(tags['joinery.dev/policy-commit']).toBe(commit);
      expect(tags[`kubernetes.io/cluster/${env.clusterName}`]).toBe('owned');
      expect(tags['joinery.dev/test']).toBe('reconciler'); // the EC2NodeClass's own tags
      // Lifecycle: the node registered under the claim's providerID and the claim says so.
      expect(claim.status?.providerID).toBe(`aws:///${instance!.Placement?.AvailabilityZone}/${instance!.InstanceId}`);
      for (const c of ['Launched', 'Registered', 'Initialized']) expect(conditionTrue(claim, c)).toBe(true);
      const node = nodes.find((n) => n.spec?.providerID === claim.status?.providerID);
      expect(node?.metadata?.labels?.['karpenter.sh/nodepool']).toBe(pool);
      expect(node?.spec?.taints ?? []).not.toContainEqual(expect.objectContaining({ key: 'karpenter.sh/unregistered' }));
    }
    // Every pod is bound to one of those nodes.
    const launchedNodes = new Set(nodes.filter((n) => claims.some((c) => c.status?.providerID === n.spec?.providerID)).map((n) => n.metadata!.name!));
    for (const p of await workload.pods()) expect(launchedNodes.has(p.spec?.nodeName ?? '')).toBe(true);
    // Fewer nodes than pods: the solver packed them.
    expect(claims.length).toBeLessThan(pods.length / 2);
  });
});
