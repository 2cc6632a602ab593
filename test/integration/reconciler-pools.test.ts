// Which NodePool a pending pod gets a node from, against the real test environment:
// weights, taints and tolerations, node affinity, zones and capacity type; and NodePool
// limits, which stop launches and say so (a decision, and an Event on the pods).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const discovery = () => {
  if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
  return env.network.discoveryTag.value;
};

async function waitRunning(workload: Workload, running: RunningReconciler, names?: readonly string[]): Promise<V1Pod[]> {
  return eventually(
    names ? `pods ${names.join(', ')} Running` : 'every pod Running',
    async () => {
      const pods = await workload.pods();
      const wanted = names ? pods.filter((p) => names.includes(p.metadata!.name!)) : pods;
      return wanted.length > 0 && wanted.every((p) => p.status?.phase === 'Running') ? pods : undefined;
    },
    { timeoutMs: 100_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running)}` },
  );
}

describe('pool selection', () => {
  const id = runId();
  const pools = { high: `${id}-high`, low: `${id}-low`, batch: `${id}-batch` };
  const workload = new Workload(kc, `${id}-pools`);
  let repo: PolicyRepo;
  let running: RunningReconciler;

  beforeAll(async () => {
    repo = createPolicyRepo();
    const cls = `${id}-default`;
    repo.push(
      generatedFiles(
        [
          // The highest weight, but tainted: only pods that tolerate it may use it.
          nodePool(pools.batch, {
            nodeClass: cls,
            weight: 100,
            taints: [{ key: 'example.com/dedicated', value: 'batch', effect: 'NoSchedule' }],
            labels: { 'example.com/workload': 'batch' },
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
            ],
          }),
          // Preferred for everything else, but on-demand only and in two zones.
          nodePool(pools.high, {
            nodeClass: cls,
            weight: 50,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a', 'us-east-1b'] },
              { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm'] },
            ],
          }),
          // The fallback: spot or on-demand, any of the three zones.
          nodePool(pools.low, {
            nodeClass: cls,
            weight: 10,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
              { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
            ],
          }),
        ],
        [nodeClass(cls, discovery())],
      ),
      'three pools',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-pools` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, Object.values(pools));
    repo?.remove();
  });

  test('weights, taints and tolerations, node affinity, zones and capacity type each decide the pool and the node', async () => {
    const ns = workload.namespace;
    // A retry starts from no pods: the first attempt's would clash by name.
    await workload.core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 });
    await eventually('no pods left from an earlier attempt', async () => ((await workload.pods()).length === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
    const tolerateBatch = [{ key: 'example.com/dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }];
    await workload.createPods([
      // No constraints: the tainted pool is out, so the heaviest remaining pool.
      podManifest('plain', ns, { cpu: '500m', memory: '512Mi' }),
      // Tolerates the taint and asks for the pool's label: only the tainted pool offers it.
      podManifest('tolerant', ns, { cpu: '500m', memory: '512Mi', tolerations: tolerateBatch, nodeSelector: { 'example.com/workload': 'batch' } }),
      // Asks for the label without tolerating the taint: no pool can take it.
      podManifest('intolerant', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'example.com/workload': 'batch' } }),
      // Zone us-east-1c: the heavy pool has no such zone.
      podManifest('zone-c', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'topology.kubernetes.io/zone': 'us-east-1c' } }),
      // Spot: only the fallback pool sells spot.
      podManifest('spot', ns, { cpu: '500m', memory: '512Mi', nodeSelector: { 'karpenter.sh/capacity-type': 'spot' } }),
      // Required node affinity on an instance family.
      podManifest('family', ns, {
        cpu: '500m',
        memory: '512Mi',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] }] }],
            },
          },
        },
      }),
    ]);
    const pods = await waitRunning(workload, running, ['plain', 'tolerant', 'zone-c', 'spot', 'family']);
    const nodes = new Map<string, V1Node>((await workload.core.listNode()).items.map((n) => [n.metadata!.name!, n]));
    const nodeOf = (pod: string) => {
      const p = pods.find((x) => x.metadata!.name === pod)!;
      const node = nodes.get(p.spec!.nodeName!)!;
      return { labels: node.metadata!.labels ?? {}, taints: node.spec?.taints ?? [], providerID: node.spec?.providerID ?? '' };
    };

    // For a pod it may place in several pools, joinery's choice is the heaviest pool that admits
    // it: the Nominated Event names the NodeClaim planned for it. (kube-scheduler may then bind
    // the pod to any node with room, such as the spot node launched for another pod, so the
    // node it runs on does not say which pool joinery chose.)
    const nominatedClaims = async (pod: string) =>
      eventually(`a Nominated Event for ${pod}`, async () => {
        const events = (await workload.podEvents('Nominated')).filter((e) => e.pod === pod);
        return events.length > 0 ? events.map((e) => /nodeclaim\/(.+)$/.exec(e.message)?.[1] ?? e.message) : undefined;
      }, { timeoutMs: 20_000, intervalMs: 500 });
    // A NodeClaim is named after its pool (generateName "<pool>-"); it may be gone by now.
    const ofPool = (pool: string) => new RegExp(`^${pool}-[a-z0-9]+$`);
    for (const claim of await nominatedClaims('plain')) expect(claim).toMatch(ofPool(pools.high));
    for (const claim of await nominatedClaims('family')) expect(claim).toMatch(ofPool(pools.high));
    const tolerant = nodeOf('tolerant');
    expect(tolerant.labels['karpenter.sh/nodepool']).toBe(pools.batch);
    expect(tolerant.labels['example.com/workload']).toBe('batch');
    expect(tolerant.taints).toContainEqual(expect.objectContaining({ key: 'example.com/dedicated', value: 'batch', effect: 'NoSchedule' }));
    const zoneC = nodeOf('zone-c');
    expect(zoneC.labels['karpenter.sh/nodepool']).toBe(pools.low);
    expect(zoneC.labels['topology.kubernetes.io/zone']).toBe('us-east-1c');
    expect(nodeOf('family').labels['karpenter.k8s.aws/instance-family']).toBe('m6i');
    const spot = nodeOf('spot');
    expect(spot.labels['karpenter.sh/nodepool']).toBe(pools.low);
    expect(spot.labels['karpenter.sh/capacity-type']).toBe('spot');

    // The taint keeps out the pod that does not tolerate it, and the reconciler says why.
    expect(pods.find((p) => p.metadata!.name === 'intolerant')?.status?.phase).toBe('Pending');
    const refused = await eventually('an unschedulable decision for the intolerant pod', async () =>
      running.decisions.find((d) => d.action === 'unschedulable' && JSON.stringify(d.details ?? {}).includes('intolerant')),
    );
    expect(refused.message).toMatch(/taint|tolerat/i);

    // EC2 agrees: the spot pod's instance was bought as spot, the others on demand.
    const instances = await instancesOfPools(ec2, Object.values(pools));
    const byProvider = new Map(instances.map((i) => [`aws:///${i.Placement?.AvailabilityZone}/${i.InstanceId}`, i]));
    expect(byProvider.get(spot.providerID)?.InstanceLifecycle).toBe('spot');
    expect(byProvider.get(tolerant.providerID)?.InstanceLifecycle).toBeUndefined();
    // Wherever kube-scheduler bound them, each pod's instance was bought as its node says.
    for (const pod of ['plain', 'tolerant', 'zone-c', 'spot', 'family']) {
      const node = nodeOf(pod);
      expect(byProvider.get(node.providerID)?.InstanceLifecycle).toBe(node.labels['karpenter.sh/capacity-type'] === 'spot' ? 'spot' : undefined);
    }
    for (const i of instances) expect(tagsOf(i)['joinery.dev/policy-commit']).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('NodePool limits', () => {
  const id = runId();
  const pool = `${id}-limited`;
  const workload = new Workload(kc, `${id}-limits`);
  let repo: PolicyRepo;
  let running: RunningReconciler;

  beforeAll(async () => {
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-default`,
            limits: { cpu: '4' },
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              { key: 'karpenter.k8s.aws/instance-cpu', operator: 'In', values: ['2'] },
            ],
          }),
        ],
        [nodeClass(`${id}-default`, discovery())],
      ),
      'a pool limited to 4 vCPUs',
    );
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-limits` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('no launch beyond the pool\'s CPU limit; the pods left pending are told why', async () => {
    // Six pods of 1.5 CPU: one per 2-vCPU node, so six nodes wanted, two allowed.
    const names = Array.from({ length: 6 }, (_, i) => `capped-${i}`);
    await workload.createPods(names.map((n) => podManifest(n, workload.namespace, { cpu: '1500m', memory: '1Gi' })));

    const limitDecision = await eventually('a limit-reached decision', async () => running.decisions.find((d) => d.action === 'limit-reached'), {
      timeoutMs: 60_000,
      describe: () => describeDecisions(running),
    });
    expect(limitDecision.message).toMatch(/limit/i);
    expect(limitDecision.message).toContain(pool);

    // The two pods within the limit run; the claims stay at two.
    await eventually('two pods Running', async () => ((await workload.pods()).filter((p) => p.status?.phase === 'Running').length === 2 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      describe: async () => `${(await workload.notRunning()).join('\n')}\n${describeDecisions(running)}`,
    });
    await new Promise((r) => setTimeout(r, 5_000)); // another batch window: still no launch beyond the limit
    const instances = await instancesOfPools(ec2, [pool]);
    expect(instances).toHaveLength(2);
    expect((await workload.nodeClaims([pool])).length).toBe(2);
    const pending = (await workload.pods()).filter((p) => p.status?.phase === 'Pending');
    expect(pending).toHaveLength(4);
    // Every pod left pending is told why. The six pods are identical, so which two
    // kube-scheduler binds is its choice: a pod named in an earlier solve's event may be the
    // one that runs, and a pod left out later is told at the next re-solve (60 s).
    const pendingNames = pending.map((p) => p.metadata!.name!);
    const events = await eventually(
      'a NodePoolLimitReached event on every pending pod',
      async () => {
        const e = await workload.podEvents('NodePoolLimitReached');
        const told = new Set(e.map((x) => x.pod));
        return pendingNames.every((n) => told.has(n)) ? e : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000 },
    );
    expect(events.map((e) => e.pod)).toEqual(expect.arrayContaining(pendingNames));
    for (const e of events) expect(e.message).toMatch(/limit/i);
  }, 240_000);
});
