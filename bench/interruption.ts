// Benchmark of issue 16 (`npm run bench:interruption`): in the simulator, with the
// production controllers and the in-memory interruption queue, a spot fleet of about 200
// nodes (one 3-CPU pod per xlarge node) receives 50 spot interruption warnings spread over
// one minute (real EventBridge payloads). Prints, in virtual seconds, the median and p99
// from a warning being sent to its replacement node being initialized (Ready) and to the
// node's pods running again elsewhere; the pods left Pending at the end (goal 0); and the
// peak CPU against the pool's limits (nodes over the limits: goal 0).

import type { EC2NodeClass, NodePool } from '../core/api/karpenter.ts';
import { loadShippedCatalog } from '../data/catalog.ts';
import { InMemoryEventQueue } from '../reconciler/adapters/in-memory/events.ts';
import { InMemoryWorld } from '../reconciler/adapters/in-memory/world.ts';
import type { DecisionRecord } from '../reconciler/observability/decisions.ts';
import { createReconciler } from '../reconciler/reconciler.ts';
import { Rng } from './lib/rng.ts';
import { machine, table } from './lib/cli.ts';
import { CONDITION_INITIALIZED, EC2NODECLASS_KIND, KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_INSTANCE_GENERATION, LABEL_INSTANCE_SIZE } from '../core/contract/index.ts';

const USAGE = `usage: npm run bench:interruption -- [--nodes 200] [--interruptions 50] [--seed 42] [--json]`;
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
const NODES = arg('nodes', 200);
const INTERRUPTIONS = arg('interruptions', 50);
const SEED = arg('seed', 42);
const JSON_OUT = process.argv.includes('--json');
const START = Date.parse('2026-03-04T00:00:00Z');
const LIMIT_CPU = NODES * 4 + 100;

const pool: NodePool = {
  apiVersion: KARPENTER_API_VERSION,
  kind: 'NodePool',
  metadata: { name: 'spot' },
  spec: {
    limits: { cpu: String(LIMIT_CPU) },
    template: {
      spec: {
        nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: 'default' },
        requirements: [
          { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['spot'] },
          { key: LABEL_INSTANCE_CATEGORY, operator: 'In', values: ['c', 'm', 'r'] },
          { key: LABEL_INSTANCE_GENERATION, operator: 'Gt', values: ['5'] },
          { key: LABEL_INSTANCE_SIZE, operator: 'In', values: ['xlarge'] },
        ],
        expireAfter: '720h',
      },
    },
    disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', budgets: [{ nodes: '10%' }] },
  },
};
const nodeClass: EC2NodeClass = {
  apiVersion: KARPENTER_AWS_API_VERSION,
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }], role: 'KarpenterNodeRole', subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }] } as EC2NodeClass['spec'],
};

const world = new InMemoryWorld({ startMs: START, seed: SEED, catalog: loadShippedCatalog(), clusterName: 'bench' });
world.intent.accept({ commit: 'bench', nodePools: [pool], nodeClasses: [nodeClass] });
const events = new InMemoryEventQueue(world.clock, { idleDelayMs: 1_000 });
const warnings: string[] = [];
const reconciler = createReconciler({ clock: world.clock, cluster: world.api, cloud: world.ec2, intent: world.intent, events, logSink: (r) => { if (r.level === 'warn' || r.level === 'error') warnings.push(`${r.msg} ${JSON.stringify(r).slice(0, 300)}`); }, options: { clusterName: 'bench' } });
const decisions: DecisionRecord[] = [];
reconciler.context.decisions.subscribe((d) => decisions.push(d));
await reconciler.start();

const wall0 = performance.now();
world.workloads.applyDeployment({ name: 'web', namespace: 'web', replicas: NODES, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', resources: { requests: { cpu: '3', memory: '4Gi' } } }] } } });
await world.clock.advance(15 * 60_000);
const pods = () => world.api.cache.list('Pod');
const running = () => pods().filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length;
const fleetBefore = world.api.cache.list('Node').length;

// 50 warnings over one minute, on distinct nodes chosen with the seed.
const rng = new Rng(SEED);
const claims = world.api.cache.list('NodeClaim').filter((c) => c.status?.providerID && c.status.nodeName);
const chosen: typeof claims = [];
while (chosen.length < Math.min(INTERRUPTIONS, claims.length)) {
  const c = rng.pick(claims);
  if (!chosen.includes(c)) chosen.push(c);
}
const t0 = world.clock.now();
const sentAt = new Map<string, number>();
const nodeOf = new Map<string, string>();
const spacing = 60_000 / chosen.length;
/** The EventBridge event AWS sends two minutes before reclaiming a spot instance. */
function warning(instanceId: string): string {
  const time = new Date(world.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({
    version: '0',
    id: `bench-${instanceId}`,
    'detail-type': 'EC2 Spot Instance Interruption Warning',
    source: 'aws.ec2',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1a:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
  });
}

let peakCpu = 0;
const replacementReady = new Map<string, number>();
const podsBack = new Map<string, number>();
const cpuInUse = () => world.api.cache.list('NodeClaim').reduce((s, c) => s + Number.parseFloat(String((c.status?.capacity as Record<string, string> | undefined)?.cpu ?? '0')), 0);
let next = 0;
const end = t0 + 15 * 60_000;
while (world.clock.now() < end) {
  while (next < chosen.length && world.clock.now() >= t0 + next * spacing) {
    const c = chosen[next++]!;
    const id = /\/(i-[0-9a-f]+)$/.exec(c.status!.providerID!)![1]!;
    events.send(warning(id));
    sentAt.set(c.metadata.name!, world.clock.now());
    nodeOf.set(c.metadata.name!, c.status!.nodeName!);
  }
  await world.clock.advance(1_000);
  peakCpu = Math.max(peakCpu, cpuInUse());
  const now = world.clock.now();
  for (const d of decisions) {
    if (d.controller !== 'interruption' || d.action !== 'delete') continue;
    const claim = d.nodeClaims![0]!;
    const repl = (d.details?.replacements as string[] | undefined) ?? [];
    if (!replacementReady.has(claim) && repl.length > 0 && repl.every((r) => world.api.cache.get('NodeClaim', r)?.status?.conditions?.some((x) => x.type === CONDITION_INITIALIZED && x.status === 'True'))) {
      replacementReady.set(claim, now);
    }
  }
  // A node's pods are back when the deployment has every replica running and none on an interrupted node.
  const interruptedNodes = new Set([...nodeOf.values()]);
  const allBack = running() === NODES && !pods().some((p) => interruptedNodes.has(p.spec.nodeName ?? '') && !p.metadata.deletionTimestamp);
  if (allBack) for (const claim of sentAt.keys()) if (!podsBack.has(claim)) podsBack.set(claim, now);
  if (next >= chosen.length && podsBack.size === chosen.length && world.clock.now() - t0 > 5 * 60_000) break;
}
const wallS = (performance.now() - wall0) / 1000;
if (process.env.BENCH_DEBUG) {
  const by = new Map<string, number>();
  for (const d of decisions) if (d.controller === 'interruption' || d.controller === 'provisioning') by.set(`${d.controller}/${d.action}/${d.reason}`, (by.get(`${d.controller}/${d.action}/${d.reason}`) ?? 0) + 1);
  process.stderr.write(`${JSON.stringify([...by])}\n${warnings.slice(0, 5).join('\n')}\n${decisions.filter((d) => d.action === 'unschedulable' || d.action === 'limit-reached').slice(0, 3).map((d) => d.message).join('\n')}\n`);
}
await reconciler.stop();

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}
const toReady = [...replacementReady].map(([c, t]) => (t - sentAt.get(c)!) / 1000);
const toBack = [...podsBack].map(([c, t]) => (t - sentAt.get(c)!) / 1000);
const pending = pods().filter((p) => p.status?.phase === 'Pending').length;
const result = {
  machine: machine(),
  fleet: { nodesBefore: fleetBefore, pods: NODES, interruptions: chosen.length },
  replacementInitializedSeconds: { median: quantile(toReady, 0.5), p99: quantile(toReady, 0.99), measured: toReady.length },
  podsRunningAgainSeconds: { median: quantile(toBack, 0.5), p99: quantile(toBack, 0.99), measured: toBack.length },
  pendingAtEnd: pending,
  peakCpu,
  limitCpu: LIMIT_CPU,
  nodesOverLimit: Math.max(0, Math.ceil((peakCpu - LIMIT_CPU) / 4)),
  queueLeft: events.depth,
  wallSeconds: Math.round(wallS * 10) / 10,
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const m = result.machine;
  process.stdout.write(`bench:interruption: ${chosen.length} spot interruption warnings over 60 s on a ${fleetBefore}-node spot fleet, seed ${SEED} (${m.nproc} cores, node ${m.node}, load ${m.loadAverage.join(' ')})\n\n`);
  process.stdout.write(
    `${table(
      ['virtual seconds from the warning to', 'median', 'p99', 'measured'],
      [
        ['replacement node initialized', result.replacementInitializedSeconds.median.toFixed(1), result.replacementInitializedSeconds.p99.toFixed(1), `${toReady.length}/${chosen.length}`],
        ["every interrupted pod running again (fleet-wide)", result.podsRunningAgainSeconds.median.toFixed(1), result.podsRunningAgainSeconds.p99.toFixed(1), `${toBack.length}/${chosen.length}`],
      ],
    )}\n\n`,
  );
  process.stdout.write(`pods Pending at the end: ${pending} (goal 0); peak CPU ${peakCpu} of limit ${LIMIT_CPU} -> nodes over the limit: ${result.nodesOverLimit} (goal 0); messages left in the queue: ${events.depth}; ${result.wallSeconds}s wall\n`);
}
