// Benchmark 4 of BENCHMARKS.md (`npm run bench:scale`): the reconciler holding the
// state of 10,000 pods on 1,000 nodes. The production controllers provision them on the
// simulator (the simulated API server doubles as the informer cache, as one process
// would hold it), then keep reconciling for a virtual hour. Prints RSS and heap after a
// full GC, and the time of each stage. Target: under 256 MiB RSS.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EC2NodeClass, NodePool } from '../core/api/karpenter.ts';
import { loadShippedCatalog } from '../data/catalog.ts';
import { InMemoryWorld } from '../reconciler/adapters/in-memory/world.ts';
import { createReconciler } from '../reconciler/reconciler.ts';
import { machine, table } from './lib/cli.ts';
import { EC2NODECLASS_KIND, KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE } from '../core/contract/index.ts';

const USAGE = `usage: npm run bench:scale -- [--pods 10000] [--json]
  --pods   pods to hold; nodes are m6i.4xlarge taking 10 pods each (default 10000 -> 1000 nodes)
  --json   one JSON object instead of the table`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const podsArg = process.argv.indexOf('--pods');
const PODS = podsArg >= 0 ? Number(process.argv[podsArg + 1]) : 10_000;
if (!Number.isInteger(PODS) || PODS < 10) {
  process.stderr.write(`--pods expects an integer of at least 10\n${USAGE}\n`);
  process.exit(2);
}
const JSON_OUT = process.argv.includes('--json');
const MiB = 2 ** 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, heapTotalMiB: m.heapTotal / MiB, externalMiB: m.external / MiB };
}

const pool: NodePool = {
  apiVersion: KARPENTER_API_VERSION,
  kind: 'NodePool',
  metadata: { name: 'scale' },
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: 'default' },
        requirements: [
          { key: LABEL_INSTANCE_TYPE, operator: 'In', values: ['m6i.4xlarge'] },
          { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
        ],
        expireAfter: '720h',
      },
    },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] },
  },
};
const nodeClass: EC2NodeClass = {
  apiVersion: KARPENTER_AWS_API_VERSION,
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }], role: 'KarpenterNodeRole', subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }] } as EC2NodeClass['spec'],
};

const baseline = memory();
const world = new InMemoryWorld({ startMs: Date.parse('2026-03-04T00:00:00Z'), seed: 1, catalog: loadShippedCatalog(), clusterName: 'scale' });
world.intent.accept({ commit: 'scale', nodePools: [pool], nodeClasses: [nodeClass] });
for (const name of ['node-logs', 'node-metrics']) {
  world.workloads.applyDaemonSet({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: { template: { spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name, resources: { requests: { cpu: '100m', memory: '128Mi' } } }] } } },
  });
}
const reconciler = createReconciler({ clock: world.clock, cluster: world.api, cloud: world.ec2, intent: world.intent, logSink: () => {}, options: { clusterName: 'scale' } });
await reconciler.start();

const t0 = performance.now();
const DEPLOYMENTS = 50;
for (let i = 0; i < DEPLOYMENTS; i++) {
  const replicas = Math.floor(PODS / DEPLOYMENTS) + (i < PODS % DEPLOYMENTS ? 1 : 0);
  world.workloads.applyDeployment({
    name: `svc-${i}`,
    namespace: `team-${i % 10}`,
    replicas,
    template: { metadata: { labels: { app: `svc-${i}`, team: `team-${i % 10}` } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '1500m', memory: '5Gi' } } }] } },
  });
}
// Until every pod runs (launch, boot, register, bind).
let waited = 0;
const unplaced = () => {
  const all = world.api.cache.list('Pod');
  return all.length < PODS || all.some((p) => !p.spec.nodeName);
};
while (unplaced() && waited < 60) {
  await world.clock.advance(60_000);
  waited += 1;
}
const provisionWall = performance.now() - t0;
const pods = world.api.cache.list('Pod');
const workload = pods.filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
const nodes = world.api.cache.list('Node').length;
const claims = world.api.cache.list('NodeClaim').length;
const afterProvision = memory();

// A virtual hour of steady state: every controller keeps reconciling (polls, status, GC).
const t1 = performance.now();
await world.clock.advance(60 * 60_000);
const steadyWall = performance.now() - t1;
const steady = memory();
const durations = await reconciler.context.metrics.reconcileSeconds.get();
await reconciler.stop();

const perController: Record<string, { count: number; meanMs: number }> = {};
for (const v of durations.values) {
  const c = v.labels.controller as string;
  perController[c] ??= { count: 0, meanMs: 0 };
  if (v.metricName?.endsWith('_count')) perController[c]!.count = v.value;
  if (v.metricName?.endsWith('_sum')) perController[c]!.meanMs = v.value * 1000;
}
for (const c of Object.values(perController)) c.meanMs = c.count > 0 ? c.meanMs / c.count : 0;

const round = (n: number) => Math.round(n * 10) / 10;
const result = {
  machine: machine(),
  pods: workload.length,
  podsIncludingDaemonSets: pods.length,
  running: workload.filter((p) => p.spec.nodeName).length,
  nodes,
  nodeClaims: claims,
  memory: {
    baseline: mapRound(baseline),
    afterProvisioning: mapRound(afterProvision),
    steadyState: mapRound(steady),
  },
  wallSeconds: { provisioning: round(provisionWall / 1000), steadyHour: round(steadyWall / 1000) },
  reconcileMeanMs: Object.fromEntries(Object.entries(perController).map(([k, v]) => [k, { count: v.count, meanMs: round(v.meanMs) }])),
  target: 'steadyState.rssMiB < 256',
  met: steady.rssMiB < 256,
};
function mapRound<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)])) as T;
}

if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const m = result.machine;
  process.stdout.write(`bench:scale: ${result.running}/${result.pods} pods (+${pods.length - workload.length} DaemonSet pods) on ${nodes} nodes (${claims} NodeClaims), held by the reconciler and the simulated API server in one process (${m.nproc} cores, ${m.cpuModel}, node ${m.node}, load ${m.loadAverage.join(' ')})\n\n`);
  process.stdout.write(
    `${table(
      ['', 'RSS MiB', 'heap used MiB', 'heap total MiB', 'external MiB'],
      [
        ['before (runtime + catalog)', ...Object.values(result.memory.baseline).map(String)],
        ['after provisioning', ...Object.values(result.memory.afterProvisioning).map(String)],
        ['after a virtual hour', ...Object.values(result.memory.steadyState).map(String)],
      ],
    )}\n\n`,
  );
  process.stdout.write(`wall: provisioning ${result.wallSeconds.provisioning}s, a virtual hour of steady reconciles ${result.wallSeconds.steadyHour}s\n`);
  process.stdout.write(`mean reconcile: ${Object.entries(result.reconcileMeanMs).map(([k, v]) => `${k} ${v.meanMs} ms (x${v.count})`).join(', ')}\n`);
  process.stdout.write(`target: RSS under 256 MiB -> ${result.met ? 'met' : 'NOT met'}\n`);
}
