// Karpenter's dashboards keep working: a `joinery reconcile` process (configured by the
// generated ConfigMap, under the generated RBAC, against the test kube-apiserver, moto and
// a real git repository) launches a node for a pending pod; then its /metrics is scraped
// over HTTP and every series each shipped Grafana dashboard (generated/monitoring/) queries
// must be there with at least one sample, under Karpenter's names and labels where joinery
// shares the concept.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DASHBOARDS, dashboardSeries } from '../../compiler/monitoring/dashboards.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { deployReconciler, type ReconcileDeployment, type ReconcileReplica } from './support/reconcile-process.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const id = runId();
const pool = `${id}-metrics`;
const workload = new Workload(kc, `${id}-metrics`);

/** The metric names that have at least one sample in a Prometheus text exposition. */
function sampledNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** The sample lines of one metric. */
function samples(exposition: string, name: string): string[] {
  return exposition.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('the reconciler exports the series the shipped dashboards query', () => {
  let repo: PolicyRepo;
  let deployment: ReconcileDeployment;
  let replica: ReconcileReplica | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
    repo = createPolicyRepo();
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
    const image = (images.Images ?? []).find((i) => i.ImageId && i.Architecture === 'x86_64' && /amzn/.test(i.Name ?? ''));
    if (!image?.ImageId) throw new Error('moto lists no amd64 Amazon Linux image');
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: `${id}-class`,
            limits: { cpu: '64', memory: '256Gi' },
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'c5.large'] },
            ],
          }),
        ],
        [nodeClass(`${id}-class`, env.network.discoveryTag.value, { amiFamily: 'AL2023', amiSelectorTerms: [{ id: image.ImageId }] })],
      ),
      'capacity for the metrics test',
    );
    deployment = await deployReconciler(env, { id, gitUrl: repo.url, props: { logLevel: 'info' } });
    await workload.createNamespace();
  }, 120_000);

  afterAll(async () => {
    if (replica && replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGKILL');
    await replica?.exited;
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    await deployment?.remove();
    repo?.remove();
  }, 120_000);

  test('after a node is launched for a pod, every series of the capacity, cost and rollout dashboards has a sample', async () => {
    const t0 = Date.now();
    const at = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
    replica = deployment.start('0', `metrics-${id}-reconcile`);
    const url = await replica.url;
    await eventually('the reconciler ready', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 90_000, intervalMs: 250 });

    const readyAt = at();
    await workload.createPods([podManifest('p-0', workload.namespace, { cpu: '1', memory: '1Gi' })]);
    await eventually('the pod Running on a launched node', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `not running: ${(await workload.notRunning()).join(', ')}\nlast logs:\n${replica!.logs.slice(-10).map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}`,
    });
    const runningAt = at();
    const claims = await workload.nodeClaims([pool]);
    expect(claims.length).toBeGreaterThan(0);

    const wanted = dashboardSeries();
    expect([...wanted.keys()].sort()).toEqual(DASHBOARDS.map((d) => d.id).sort());
    // Gauges follow within the reconciler's debounce (status: 30 s); scrape until all are there.
    const scrape = await eventually(
      'every dashboard series sampled',
      async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        const have = sampledNames(body);
        const missing = [...wanted.values()].flat().filter((name) => !have.has(name));
        return missing.length === 0 ? body : undefined;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 2_000,
        describe: async () => {
          const have = sampledNames(await (await fetch(`${url}/metrics`)).text());
          return [...wanted].map(([d, names]) => `${d}: missing ${names.filter((n) => !have.has(n)).join(', ') || 'nothing'}`).join('\n');
        },
      },
    );

    process.stdout.write(`reconciler-metrics: ready at ${readyAt}, pod Running at ${runningAt}, every dashboard series sampled at ${at()}\n`);
    // The values say what happened, under Karpenter's labels.
    const claimName = claims[0]!.metadata.name!;
    const nodeName = claims[0]!.status?.nodeName ?? '';
    expect(samples(scrape, 'karpenter_nodeclaims_created_total')).toContainEqual(`karpenter_nodeclaims_created_total{reason="provisioned",nodepool="${pool}",min_values_relaxed="false"} ${claims.length}`);
    expect(samples(scrape, 'karpenter_nodepools_limit')).toEqual(
      expect.arrayContaining([`karpenter_nodepools_limit{nodepool="${pool}",resource_type="cpu"} 64`, `karpenter_nodepools_limit{nodepool="${pool}",resource_type="memory"} ${256 * 2 ** 30}`]),
    );
    const cpuAllocatable = samples(scrape, 'karpenter_nodes_allocatable').filter((l) => l.includes(`node_name="${nodeName}"`) && l.includes('resource_type="cpu"'));
    expect({ claimName, cpuAllocatable: cpuAllocatable.length }).toEqual({ claimName, cpuAllocatable: 1 });
    expect(cpuAllocatable[0]).toContain(`nodepool="${pool}"`);
    expect(Number(cpuAllocatable[0]!.split(' ').pop())).toBeGreaterThan(1); // cores, as Karpenter reports them (a 2-vCPU type less reserved)
    expect(samples(scrape, 'karpenter_pods_state').some((l) => l.includes('name="p-0"') && l.includes(`namespace="${workload.namespace}"`) && l.includes(`nodepool="${pool}"`) && l.includes('phase="Running"'))).toBe(true);
    expect(samples(scrape, 'karpenter_pods_startup_duration_seconds_count')[0]).toMatch(/ [1-9]\d*$/);
    expect(samples(scrape, 'karpenter_cloudprovider_duration_seconds_count').some((l) => l.includes('controller="lifecycle"') && l.includes('method="Create"') && l.includes('provider="aws"'))).toBe(true);
  }, 360_000);
});
