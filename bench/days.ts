// Benchmark of issue 19 (`npm run bench:days`): whole simulated days (the scenarios of
// `joinery simulate`) run with the production controllers, each under the pools' two
// consolidation policies that act on under-used nodes, WhenEmptyOrUnderutilized and
// Balanced (every pool that consolidates under-used nodes is switched for the run, as
// `joinery simulate --consolidation-policy` does; policies/ is not edited).
// Prints for each day and policy: cost, cost over the pool-aware bound (each pod only on
// the pools that may host it), pods moved by voluntary disruption, and node launches.
// Goal (issue 19): cost / pool-aware bound at most 1.15 under WhenEmptyOrUnderutilized.

import { resolve } from 'node:path';
import { loadShippedCatalog } from '../data/catalog.ts';
import { compilePolicyDir, withConsolidationPolicy } from '../reconciler/scenario/policies.ts';
import { runSimulation } from '../reconciler/scenario/runner.ts';
import { loadScenario } from '../reconciler/scenario/scenario.ts';
import { summarize } from '../reconciler/scenario/summary.ts';
import { machine, table } from './lib/cli.ts';

const DAYS = ['day', 'batch-day', 'spiky-day'];
const POLICIES = ['WhenEmptyOrUnderutilized', 'Balanced'] as const;
type Policy = (typeof POLICIES)[number];

const USAGE = `usage: npm run bench:days -- [--days day,batch-day,spiky-day] [--policies WhenEmptyOrUnderutilized,Balanced] [--pod-deletion-cost on|off|scenario] [--json]
  --days               scenarios/<name>.yaml to run (default: ${DAYS.join(',')})
  --policies           consolidation policies to run each day under (default: both)
  --pod-deletion-cost  the PodDeletionCostManagement feature gate for every day: on, off, or as
                       each scenario's reconciler.podDeletionCost says (default: scenario)
  --json               one JSON object instead of the table`;

function listArg(name: string, fallback: readonly string[]): string[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return [...fallback];
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) {
    process.stderr.write(`--${name} needs a comma-separated list\n${USAGE}\n`);
    process.exit(2);
  }
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const days = listArg('days', DAYS);
const policies = listArg('policies', POLICIES);
for (const p of policies) {
  if (!(POLICIES as readonly string[]).includes(p)) {
    process.stderr.write(`--policies: unknown policy ${p} (expected ${POLICIES.join(' or ')})\n${USAGE}\n`);
    process.exit(2);
  }
}
const JSON_OUT = process.argv.includes('--json');
const gateArg = listArg('pod-deletion-cost', ['scenario'])[0];
if (gateArg !== 'on' && gateArg !== 'off' && gateArg !== 'scenario') {
  process.stderr.write(`--pod-deletion-cost: expected on, off or scenario, got ${gateArg}\n${USAGE}\n`);
  process.exit(2);
}
const gateOverride = gateArg === 'scenario' ? {} : { podDeletionCostManagement: gateArg === 'on' };

const root = resolve(import.meta.dirname, '..');
const catalog = loadShippedCatalog();
const compiled = await compilePolicyDir(root, 'policies', { typecheck: false });

interface Row {
  day: string;
  policy: Policy;
  podDeletionCostManagement: boolean;
  cost: number;
  poolAwareBound: number;
  costOverPoolAwareBound: number;
  costOverLpBound: number;
  podsMoved: number;
  podsMovedByMethod: Record<string, number>;
  launches: number;
  podHoursPending: number;
  stillPending: number;
  wallSeconds: number;
}
const rows: Row[] = [];
for (const day of days) {
  const scenario = await loadScenario(resolve(root, 'scenarios', `${day}.yaml`));
  for (const policy of policies as Policy[]) {
    const result = await runSimulation({ scenario, intent: withConsolidationPolicy(compiled, policy), catalog, root, logSink: () => {}, reconcilerOptions: gateOverride });
    const s = summarize(result);
    const moved = Object.values(s.evictionsByMethod).reduce((a, b) => a + b, 0);
    rows.push({
      day,
      policy,
      podDeletionCostManagement: gateOverride.podDeletionCostManagement ?? scenario.reconciler.podDeletionCost,
      cost: Math.round(s.totalCost * 100) / 100,
      poolAwareBound: Math.round(s.poolAwareBoundCost * 100) / 100,
      costOverPoolAwareBound: s.poolAwareBoundCost > 0 ? Math.round((s.totalCost / s.poolAwareBoundCost) * 1000) / 1000 : 0,
      costOverLpBound: s.lowerBoundCost > 0 ? Math.round((s.totalCost / s.lowerBoundCost) * 1000) / 1000 : 0,
      podsMoved: moved,
      podsMovedByMethod: { ...s.evictionsByMethod },
      launches: s.launches,
      podHoursPending: Math.round(s.podHoursPending * 10) / 10,
      stillPending: s.stillPending,
      wallSeconds: Math.round(s.wallSeconds * 10) / 10,
    });
    if (!JSON_OUT) process.stderr.write(`bench:days: ${day} under ${policy} done in ${s.wallSeconds.toFixed(1)} s\n`);
  }
}

const m = machine();
if (JSON_OUT) process.stdout.write(`${JSON.stringify({ machine: m, rows }, null, 2)}\n`);
else {
  process.stdout.write(`bench:days: ${days.length} simulated day(s) x ${policies.length} consolidation polic${policies.length === 1 ? 'y' : 'ies'} (${m.nproc} cores, node ${m.node}, load ${m.loadAverage.join(' ')})\n\n`);
  process.stdout.write(
    `${table(
      ['day', 'consolidationPolicy', 'deletion cost', 'cost $', 'pool-aware bound $', 'cost / bound', 'pods moved', 'launches', 'pod-h pending', 'wall s'],
      rows.map((r) => [r.day, r.policy, r.podDeletionCostManagement ? 'on' : 'off', r.cost.toFixed(2), r.poolAwareBound.toFixed(2), r.costOverPoolAwareBound.toFixed(3), r.podsMoved, r.launches, r.podHoursPending.toFixed(1), r.wallSeconds.toFixed(1)]),
    )}\n`,
  );
}
