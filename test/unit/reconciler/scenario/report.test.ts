// report.html as a reader sees it: decision times to the second, as the live timeline
// prints them, in time order; hour labels that fit the chart; y ticks on round values; a
// chart of pending pods.
import type { DecisionRecord } from '../../../../reconciler/observability/decisions.ts';
import { virtualClock } from '../../../../reconciler/scenario/clock.ts';
import type { FleetSample } from '../../../../reconciler/scenario/recorder.ts';
import { niceTicks, renderReport } from '../../../../reconciler/scenario/report.ts';
import type { SimulationResult } from '../../../../reconciler/scenario/runner.ts';
import { parseScenario } from '../../../../reconciler/scenario/scenario.ts';
import { summarize } from '../../../../reconciler/scenario/summary.ts';

const START = Date.parse('2026-03-03T00:00:00Z');
const MIN = 60_000;

function decision(t: number, message: string): DecisionRecord {
  return { time: START + t, controller: 'provisioning', action: 'launch', reason: 'pending-pods', nodePool: 'general', message };
}

/** A 5-hour run sampled every 5 minutes: up to 37 nodes, $3.7/h, and a burst of 23 pending pods at 01:00. */
function result(decisions: DecisionRecord[]): SimulationResult {
  const scenario = parseScenario('name: report test\nstart: 2026-03-03T00:00:00Z\nduration: 5h\nsampleEvery: 5m\n', 'report-test.yaml');
  const samples: FleetSample[] = [];
  for (let t = 0; t <= 5 * 60 * MIN; t += 5 * MIN) {
    const n = Math.round(37 * Math.sin((Math.PI * t) / (5 * 60 * MIN)));
    samples.push({
      t: START + t,
      nodes: { 'general|on-demand': n },
      cost: { 'general|on-demand': n / 10 },
      totalNodes: n,
      totalCost: n / 10,
      pods: n * 3,
      pending: t === 60 * MIN ? 23 : 0,
      lowerBound: n / 12,
      poolAwareBound: n / 11,
    });
  }
  return {
    scenario,
    samples,
    decisions,
    commits: [],
    totalCost: 10,
    costByPool: { general: 10 },
    podHoursPending: 0.2,
    timeToBindMs: [1000],
    stillPending: 0,
    rollouts: [],
    instancesLaunched: 1,
    errors: [],
    wallMs: 1000,
    world: undefined as never,
    metricsText: '',
    operatorNotes: [],
    stillDraining: [],
    incidents: [],
  };
}

function render(decisions: DecisionRecord[]): string {
  const r = result(decisions);
  return renderReport(r, summarize(r));
}

function svgs(html: string): { title: string; svg: string; width: number }[] {
  return [...html.matchAll(/<h3>([^<]*)<small>[^<]*<\/small><\/h3><svg viewBox="0 0 (\d+) \d+"[^>]*>([\s\S]*?)<\/svg>/g)].map((m) => ({ title: m[1]!.trim(), svg: m[3]!, width: Number(m[2]) }));
}

describe('report.html', () => {
  test('decision times are printed to the second, as the timeline prints them, and in time order', () => {
    // 00:00:45 was shown as 00:01:45 (minutes rounded, then seconds added); listeners may record out of order.
    const html = render([decision(45_000, 'second'), decision(10_000, 'first'), decision(61 * MIN + 29_500, 'third')]);
    const rows = [...html.matchAll(/<tr class="a-launch"><td>([^<]*)<\/td>(?:<td>[^<]*<\/td>){4}<td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([
      ['00:00:10', 'first'],
      ['00:00:45', 'second'],
      ['01:01:30', 'third'],
    ]);
    expect(rows.map((r) => r[0])).toEqual([10_000, 45_000, 61 * MIN + 29_500].map((t) => virtualClock(START + t, START)));
  });

  test('y ticks fall on round values and reach the top of the data', () => {
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(3.7)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(23)).toEqual([0, 10, 20, 30]);
    expect(niceTicks(0.42)).toEqual([0, 0.2, 0.4, 0.6]);
    expect(niceTicks(9)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(niceTicks(0)).toEqual([0, 1]);
    const nodes = svgs(render([])).find((c) => c.title === 'Nodes by NodePool and capacity type')!;
    const yLabels = [...nodes.svg.matchAll(/<text x="44" [^>]*text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(yLabels).toEqual(['0', '10', '20', '30', '40']);
  });

  test('every hour label, the last (05:00) included, lies inside the chart', () => {
    for (const c of svgs(render([]))) {
      const labels = [...c.svg.matchAll(/<text x="([\d.]+)" y="\d+" text-anchor="middle">(\d\d:\d\d)<\/text>/g)].map((m) => ({ x: Number(m[1]), text: m[2]! }));
      expect(labels.map((l) => l.text)).toEqual(['00:00', '01:00', '02:00', '03:00', '04:00', '05:00']);
      // A label is about 30 px wide at 11 px: centred, it needs 15 px on each side.
      for (const l of labels) expect(l.x + 15).toBeLessThanOrEqual(c.width);
    }
  });

  test('a chart of pending pods shows the burst', () => {
    const pending = svgs(render([])).find((c) => c.title === 'Pending pods');
    expect(pending).toBeDefined();
    const yLabels = [...pending!.svg.matchAll(/<text x="44" [^>]*text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(yLabels).toEqual(['0', '10', '20', '30']); // 23 pending at 01:00
  });
});
