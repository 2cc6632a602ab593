// Benchmark of issue 6 (`npm run bench:consolidation`): in the simulator, with the
// production controllers, a web fleet of 2,000 pods is provisioned, scaled down to 600,
// and consolidated. Prints the fleet $/h before and after, the LP lower bound of the
// remaining pods (every type the pool may launch, net of DaemonSet overhead), and how
// long consolidation took to settle (virtual) and to compute (wall).
// Target: within 15% of the bound after consolidation settles.

import { costLowerBound, podRequests, addResources, subtractResources, nodePoolFromManifest, type ResourceList, type BoundInstanceType } from '../core/index.ts';
import type { EC2NodeClass, NodePool } from '../core/api/karpenter.ts';
import { loadShippedCatalog } from '../data/catalog.ts';
import { InMemoryWorld } from '../reconciler/adapters/in-memory/world.ts';
import { createReconciler } from '../reconciler/reconciler.ts';
import { Rng } from './lib/rng.ts';
import { machine, table } from './lib/cli.ts';
import { EC2NODECLASS_KIND, KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_INSTANCE_GENERATION, LABEL_INSTANCE_SIZE } from '../core/contract/index.ts';

const USAGE = `usage: npm run bench:consolidation -- [--from 2000] [--to 600] [--seed 42] [--spot] [--json]
  --from / --to   pods before and after the scale-down (default 2000 -> 600)
  --spot          let the pool use spot too (default on-demand only: prices are list prices)
  --json          one JSON object instead of the table`;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} expects a positive integer\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const FROM = arg('from', 2000);
const TO = arg('to', 600);
const SEED = arg('seed', 42);
const SPOT = process.argv.includes('--spot');
const JSON_OUT = process.argv.includes('--json');
const DEPLOYMENTS = 20;
const HOUR = 3_600_000;
const START = Date.parse('2026-03-04T00:00:00Z');

const pool: NodePool = {
  apiVersion: KARPENTER_API_VERSION,
  kind: 'NodePool',
  metadata: { name: 'web' },
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: 'default' },
        requirements: [
          { key: LABEL_CAPACITY_TYPE, operator: 'In', values: SPOT ? ['spot', 'on-demand'] : ['on-demand'] },
          { key: LABEL_INSTANCE_CATEGORY, operator: 'In', values: ['c', 'm', 'r'] },
          { key: LABEL_INSTANCE_GENERATION, operator: 'Gt', values: ['5'] },
          { key: LABEL_INSTANCE_SIZE, operator: 'NotIn', values: ['metal'] },
        ],
        expireAfter: '720h',
      },
    },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '1m', budgets: [{ nodes: '10%' }] },
  },
};
const nodeClass: EC2NodeClass = {
  apiVersion: KARPENTER_AWS_API_VERSION,
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }], role: 'KarpenterNodeRole', subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }] } as EC2NodeClass['spec'],
};

// The web pods of BENCHMARKS.md section 2 (a): 100m to 2 CPU, 128Mi to 4Gi, seeded; as
// 20 Deployments (ReplicaSet scale-down order decides which pods go).
const CPU = ['100m', '250m', '500m', '1', '1500m', '2'];
const MEM = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];
const rng = new Rng(SEED);
const shapes = Array.from({ length: DEPLOYMENTS }, (_, i) => ({ name: `web-${i}`, cpu: rng.pick(CPU), memory: rng.pick(MEM) }));
const perDeployment = (total: number, i: number) => Math.floor(total / DEPLOYMENTS) + (i < total % DEPLOYMENTS ? 1 : 0);

const world = new InMemoryWorld({ startMs: START, seed: SEED, catalog: loadShippedCatalog(), clusterName: 'bench' });
world.intent.accept({ commit: 'bench', nodePools: [pool], nodeClasses: [nodeClass] });
for (const name of ['node-logs', 'node-metrics']) {
  world.workloads.applyDaemonSet({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: { template: { spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name, resources: { requests: { cpu: '100m', memory: '128Mi' } } }] } } },
  });
}
const reconciler = createReconciler({ clock: world.clock, cluster: world.api, cloud: world.ec2, intent: world.intent, logSink: () => {}, options: { clusterName: 'bench' } });
await reconciler.start();

function fleet(): { nodes: number; cost: number } {
  const live = world.ec2.allInstances().filter((r) => r.instance.state !== 'terminated');
  return { nodes: live.length, cost: live.reduce((s, r) => s + r.instance.pricePerHour, 0) };
}

function workloadPods() {
  return world.api.cache.list('Pod').filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
}

/** The LP bound of the pods now running: every type the pool may launch, at its cheapest offering, net of DaemonSets. */
function bound(): number {
  let overhead: ResourceList = {};
  for (const ds of world.api.cache.list('DaemonSet')) for (const c of ds.spec.template.spec.containers) overhead = addResources(overhead, podRequests({ metadata: {}, spec: { containers: [c] } }));
  delete overhead.pods;
  const types: BoundInstanceType[] = nodePoolFromManifest(pool, world.ec2.catalog()).instanceTypes.map((t) => ({
    name: t.name,
    price: Math.min(...t.offerings.map((o) => o.price)),
    capacity: subtractResources(t.allocatable, overhead),
  }));
  let demand: ResourceList = {};
  for (const p of workloadPods()) demand = addResources(demand, podRequests(p));
  return costLowerBound(demand, types, ['cpu', 'memory']).cost;
}

const wall0 = performance.now();
shapes.forEach((s, i) =>
  world.workloads.applyDeployment({ name: s.name, namespace: 'web', replicas: perDeployment(FROM, i), template: { metadata: { labels: { app: s.name } }, spec: { containers: [{ name: 'app', resources: { requests: { cpu: s.cpu, memory: s.memory } } }] } } }),
);
await world.clock.advance(HOUR);
const placed = workloadPods().filter((p) => p.spec.nodeName).length;
const before = { ...fleet(), bound: bound(), pods: workloadPods().length, placed };
const provisionWallMs = performance.now() - wall0;

const wall1 = performance.now();
const simulationStats = reconciler.disruptionSimulations;
const sims0 = { ...simulationStats };
shapes.forEach((s, i) => world.workloads.scaleDeployment('web', s.name, perDeployment(TO, i)));
// Consolidation settles when the fleet $/h has not changed for an hour.
let settledAt = world.clock.now();
let lastCost = fleet().cost;
const deadline = world.clock.now() + 12 * HOUR;
while (world.clock.now() < deadline) {
  await world.clock.advance(10 * 60_000);
  const c = fleet().cost;
  if (Math.abs(c - lastCost) > 1e-9) {
    lastCost = c;
    settledAt = world.clock.now();
  } else if (world.clock.now() - settledAt >= HOUR) break;
}
const after = { ...fleet(), bound: bound(), pods: workloadPods().length, placed: workloadPods().filter((p) => p.spec.nodeName).length };
const consolidationWallMs = performance.now() - wall1;
const decisions = await reconciler.context.metrics.decisions.get();
await reconciler.stop();
const count = (reason: string) => decisions.values.filter((v) => v.labels.controller === 'disruption' && v.labels.reason === reason && v.labels.decision !== 'skip').reduce((s, v) => s + v.value, 0);

const result = {
  machine: machine(),
  pool: SPOT ? 'on-demand + spot' : 'on-demand',
  before: { pods: before.pods, placed: before.placed, nodes: before.nodes, costPerHour: round(before.cost), lowerBound: round(before.bound), ratio: round(before.cost / before.bound) },
  after: { pods: after.pods, placed: after.placed, nodes: after.nodes, costPerHour: round(after.cost), lowerBound: round(after.bound), ratio: round(after.cost / after.bound) },
  consolidation: {
    settledAfterMinutes: Math.round((settledAt - (deadline - 12 * HOUR)) / 60_000),
    commands: { underutilized: count('underutilized'), empty: count('empty') },
    simulations: simulationStats.runs - sims0.runs,
    wallSeconds: round(consolidationWallMs / 1000),
  },
  provisionWallSeconds: round(provisionWallMs / 1000),
  target: 'after.ratio <= 1.15',
  met: after.cost / after.bound <= 1.15,
};

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const m = result.machine;
  process.stdout.write(`bench:consolidation: ${FROM} -> ${TO} web pods, pool ${result.pool}, seed ${SEED} (${m.nproc} cores, ${m.cpuModel}, node ${m.node}, load ${m.loadAverage.join(' ')})\n\n`);
  process.stdout.write(
    `${table(
      ['', 'pods', 'nodes', '$/h', 'LP bound $/h', 'cost / bound'],
      [
        ['before scale-down', `${before.placed}/${before.pods}`, before.nodes, before.cost.toFixed(3), before.bound.toFixed(3), (before.cost / before.bound).toFixed(3)],
        ['after consolidation', `${after.placed}/${after.pods}`, after.nodes, after.cost.toFixed(3), after.bound.toFixed(3), (after.cost / after.bound).toFixed(3)],
      ],
    )}\n\n`,
  );
  process.stdout.write(
    `consolidation settled ${result.consolidation.settledAfterMinutes} virtual minutes after the scale-down: ${result.consolidation.commands.underutilized} consolidation and ${result.consolidation.commands.empty} emptiness command(s), ${result.consolidation.simulations} scheduling simulations, ${result.consolidation.wallSeconds}s wall\n`,
  );
  process.stdout.write(`target: within 15% of the bound after consolidation -> ${result.met ? 'met' : 'NOT met'} (${((after.cost / after.bound - 1) * 100).toFixed(1)}% above)\n`);
}
