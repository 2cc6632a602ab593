// Benchmark 2 of BENCHMARKS.md (`npm run bench:packing`): the cost of the fleet the
// solver chooses on the real catalog (on-demand prices), against the LP lower bound.
// Prints, per workload and size, the solve time, pods placed, new nodes, $/h, the bound
// of BENCHMARKS.md (total demand over every type the pods' pools offer) and cost / bound,
// and the pool-aware bound (each pod only on the types of pools it may use; see
// lib/bound.ts), which is tighter for the mix: the plain bound prices amd64-only pods
// at arm64 rates and lets web pods use the CPUs of GPU nodes.

import { solve, verifySolution, untoleratedTaint, type Pod, type SchedulingNodePool } from '../core/index.ts';
import { loadShippedCatalog } from '../data/catalog.ts';
import { poolAwareBound, workloadBound } from './lib/bound.ts';
import { machine, median, parseBenchArgs, table } from './lib/cli.ts';
import { onDemandTypes, PACKING_DAEMONSETS, packingPods, packingPools, type PackingWorkload } from './lib/packing-workload.ts';

const USAGE = `usage: npm run bench:packing -- [--sizes 5000] [--runs N] [--seed N] [--quick] [--verify] [--json]
  --sizes   number of web pods per workload (default 5000, as BENCHMARKS.md; --quick: 50,500);
            (b) has size/10 batch pods, (c) size web + size/10 batch + size/100 GPU + size/5 arm64-tolerant
  --runs    solves per workload, the median time is reported (default 3; --quick: 1)
  --verify  check every constraint of the result with core's verifySolution
  --json    print one JSON object instead of the table`;

const TARGETS: Record<PackingWorkload, number> = { a: 1.05, b: 1.05, c: 1.1 };
const NAMES: Record<PackingWorkload, string> = { a: '(a) web', b: '(b) batch', c: '(c) mix' };

const args = parseBenchArgs(process.argv.slice(2), USAGE);
const sizes = args.sizes ?? (args.quick ? [50, 500] : [5000]);
const runs = args.runs ?? (args.quick ? 1 : 3);
const types = onDemandTypes(loadShippedCatalog());
const pools = packingPools(types);

/** The pools some pod of the workload tolerates: the bound ranges over their types only. */
function usablePools(pods: readonly Pod[]): SchedulingNodePool[] {
  return pools.filter((p) => pods.some((pod) => untoleratedTaint(p.taints, pod.spec.tolerations) === undefined));
}

const rows = [];
for (const size of sizes) {
  for (const w of ['a', 'b', 'c'] as const) {
    const pods = packingPods(w, size, args.seed);
    const input = { pods, nodes: [], nodePools: pools, daemonSets: PACKING_DAEMONSETS };
    let result = solve(input);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      result = solve(input);
      times.push(performance.now() - start);
    }
    const violations = args.verify ? verifySolution(input, result) : [];
    for (const v of violations.slice(0, 10)) process.stderr.write(`  violation: ${v}\n`);
    const cost = result.newNodes.reduce((s, n) => s + n.price, 0);
    const bound = workloadBound(pods, usablePools(pods), PACKING_DAEMONSETS);
    const aware = poolAwareBound(pods, pools, PACKING_DAEMONSETS);
    const byType = new Map<string, number>();
    for (const n of result.newNodes) byType.set(n.instanceTypeOptions[0]!.name, (byType.get(n.instanceTypeOptions[0]!.name) ?? 0) + 1);
    rows.push({
      workload: NAMES[w],
      size,
      pods: pods.length,
      medianMs: Math.round(median(times) * 10) / 10,
      placed: pods.length - result.unschedulable.length,
      unschedulable: result.unschedulable.length,
      newNodes: result.newNodes.length,
      costPerHour: Math.round(cost * 1000) / 1000,
      boundPerHour: Math.round(bound.cost * 1000) / 1000,
      costOverBound: Math.round((cost / bound.cost) * 10000) / 10000,
      poolAwareBoundPerHour: Math.round(aware.cost * 1000) / 1000,
      costOverPoolAwareBound: Math.round((cost / aware.cost) * 10000) / 10000,
      target: TARGETS[w],
      violations: args.verify ? violations.length : null,
      boundMix: bound.mix.map((m) => ({ type: m.name, count: Math.round(m.count * 100) / 100 })),
      fleet: [...byType.entries()].sort((x, y) => y[1] - x[1]).map(([type, count]) => ({ type, count })),
    });
  }
}

const m = machine();
if (args.json) {
  process.stdout.write(`${JSON.stringify({ benchmark: 'packing', workload: 'BENCHMARKS.md section 2 (real catalog, on-demand)', instanceTypes: types.length, runs, seed: args.seed, machine: m, results: rows })}\n`);
} else {
  process.stdout.write(`packing benchmark: ${types.length} instance types (on-demand), NodePools ${pools.map((p) => `${p.name} (${p.instanceTypes.length} types)`).join(', ')}\n`);
  process.stdout.write(`machine: ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, load average ${m.loadAverage.join(' ')}; median of ${runs} run(s), seed ${args.seed}\n\n`);
  process.stdout.write(
    table(
      ['workload', 'pods', 'time ms', 'placed', 'nodes', '$/h', 'bound $/h', 'cost/bound', 'target', 'pool-aware bound', 'cost/pa-bound', 'fleet (cheapest option)'],
      rows.map((r) => [
        r.workload,
        r.pods,
        r.medianMs.toFixed(1),
        r.placed,
        r.newNodes,
        r.costPerHour.toFixed(3),
        r.boundPerHour.toFixed(3),
        r.costOverBound.toFixed(3),
        `<= ${r.target.toFixed(2)}`,
        r.poolAwareBoundPerHour.toFixed(3),
        r.costOverPoolAwareBound.toFixed(3),
        r.fleet.slice(0, 3).map((f) => `${f.count}x ${f.type}`).join(', ') + (r.fleet.length > 3 ? ', ...' : ''),
      ]),
    ) + '\n',
  );
}
if (rows.some((r) => r.unschedulable > 0 || (r.violations ?? 0) > 0)) process.exitCode = 1;
