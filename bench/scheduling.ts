// Benchmark 1 of BENCHMARKS.md (`npm run bench:scheduling`): Karpenter's diverse
// scheduling workload, solved by core's solver. Prints, per size, the median solve time,
// pods/s, pods placed, new nodes, $/h of the new nodes and the LP cost lower bound.

import { solve, verifySolution, type SolveInput } from '../core/index.ts';
import { replaySpread } from '../core/scheduling/verify.ts';
import { workloadBound } from './lib/bound.ts';
import { machine, median, parseBenchArgs, table } from './lib/cli.ts';
import { diverseInstanceTypes, diverseNodePool, diversePods } from './lib/diverse-workload.ts';

const USAGE = `usage: npm run bench:scheduling -- [--sizes 1,50,100] [--runs N] [--seed N] [--quick] [--verify] [--json]
  --sizes   pod counts (default 1,50,100,500,1000,2000,5000,10000,20000; --quick: 1,50,100)
  --runs    solves per size, the median is reported (default 3; --quick: 1)
  --verify  check every constraint of the result with core's verifySolution
  --json    print one JSON object instead of the table`;

const args = parseBenchArgs(process.argv.slice(2), USAGE);
const sizes = args.sizes ?? (args.quick ? [1, 50, 100] : [1, 50, 100, 500, 1000, 2000, 5000, 10000, 20000]);
const runs = args.runs ?? (args.quick ? 1 : 3);
const types = diverseInstanceTypes(400);
const pool = diverseNodePool(types);

interface Row {
  pods: number;
  medianMs: number;
  /** CPU time of the process (all threads, GC included): what the solve costs on a shared machine. */
  medianCpuMs: number;
  podsPerSecond: number;
  placed: number;
  unschedulable: number;
  newNodes: number;
  costPerHour: number;
  boundPerHour: number;
  costOverBound: number;
  runsMs: number[];
  violations: number | null;
  /** Topology spread constraints the verifier replayed at their pod's bind (--verify). */
  spreadChecks: number | null;
  /** Milliseconds verifySolution took (--verify). */
  verifyMs: number | null;
}

const rows: Row[] = [];
for (const size of sizes) {
  const pods = diversePods(size, args.seed);
  const input: SolveInput = { pods, nodes: [], nodePools: [pool], daemonSets: [] };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let result = solve(input); // warm-up, not timed
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    result = solve(input);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  const ms = median(times);
  const verifyStart = performance.now();
  const violations = args.verify ? verifySolution(input, result) : [];
  const verifyMs = performance.now() - verifyStart;
  for (const v of violations.slice(0, 10)) process.stderr.write(`  violation: ${v}\n`);
  const cost = result.newNodes.reduce((s, n) => s + n.price, 0);
  const bound = workloadBound(pods, [pool], []).cost;
  rows.push({
    pods: size,
    medianMs: round(ms, 1),
    medianCpuMs: round(median(cpuTimes), 1),
    podsPerSecond: Math.round(size / (ms / 1000)),
    placed: size - result.unschedulable.length,
    unschedulable: result.unschedulable.length,
    newNodes: result.newNodes.length,
    costPerHour: round(cost, 2),
    boundPerHour: round(bound, 2),
    costOverBound: round(cost / bound, 4),
    runsMs: times.map((t) => round(t, 1)),
    violations: args.verify ? violations.length : null,
    spreadChecks: args.verify ? replaySpread(input, result).checked : null,
    verifyMs: args.verify ? round(verifyMs, 0) : null,
  });
  if (!args.json) process.stderr.write(`  ${size} pods: ${ms.toFixed(1)} ms\n`);
}

const m = machine();
if (args.json) {
  process.stdout.write(`${JSON.stringify({ benchmark: 'scheduling', workload: 'BENCHMARKS.md section 1 (Karpenter diverse workload)', instanceTypes: types.length, runs, seed: args.seed, machine: m, results: rows })}\n`);
} else {
  process.stdout.write(`scheduling benchmark: ${types.length} instance types, median of ${runs} run(s), seed ${args.seed}\n`);
  process.stdout.write(`machine: ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, load average ${m.loadAverage.join(' ')}\n\n`);
  process.stdout.write(
    table(
      ['pods', 'time ms', 'cpu ms', 'pods/s', 'placed', 'new nodes', '$/h', 'bound $/h', 'cost/bound'],
      rows.map((r) => [r.pods, r.medianMs.toFixed(1), r.medianCpuMs.toFixed(1), r.podsPerSecond, r.placed, r.newNodes, r.costPerHour.toFixed(2), r.boundPerHour.toFixed(2), r.costOverBound.toFixed(3)]),
    ) + '\n',
  );
}
if (rows.some((r) => r.unschedulable > 0 || (r.violations ?? 0) > 0)) process.exitCode = 1;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
