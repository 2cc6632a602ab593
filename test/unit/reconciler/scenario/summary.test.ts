// The simulator's summary counts what a day cost in churn: pods moved by voluntary
// disruption, per method and per hour, and the nodes launched.
import type { DecisionRecord } from '../../../../reconciler/observability/decisions.ts';
import type { SimulationResult } from '../../../../reconciler/scenario/runner.ts';
import { parseScenario } from '../../../../reconciler/scenario/scenario.ts';
import { formatSummary, summarize } from '../../../../reconciler/scenario/summary.ts';

const START = Date.parse('2026-03-03T00:00:00Z');
const MIN = 60_000;

function disruption(t: number, action: 'delete' | 'replace', method: string, pods: number): DecisionRecord {
  return { time: START + t, controller: 'disruption', action, reason: 'x', message: '', details: { method, pods } };
}

function launched(t: number, pool: string): DecisionRecord {
  return { time: START + t, controller: 'lifecycle', action: 'launched', reason: 'launched', nodePool: pool, message: '' };
}

function result(decisions: DecisionRecord[]): SimulationResult {
  return {
    scenario: parseScenario('name: churn\nduration: 3h\n', 'churn.yaml'),
    samples: [],
    decisions,
    commits: [],
    totalCost: 0,
    costByPool: {},
    podHoursPending: 0,
    timeToBindMs: [],
    stillPending: 0,
    rollouts: [],
    instancesLaunched: 0,
    errors: [],
    wallMs: 0,
    world: undefined as never,
    metricsText: '',
    operatorNotes: [],
    stillDraining: [],
    incidents: [],
  };
}

test('pods moved by consolidation, drift, expiration and emptiness, per method and per hour; interruptions and repairs are not voluntary', () => {
  const s = summarize(
    result([
      disruption(10 * MIN, 'replace', 'consolidation', 31),
      disruption(20 * MIN, 'delete', 'consolidation', 4),
      disruption(70 * MIN, 'replace', 'drift', 12),
      disruption(75 * MIN, 'delete', 'emptiness', 0),
      disruption(150 * MIN, 'replace', 'expiration', 5),
      disruption(160 * MIN, 'replace', 'interruption', 9),
      { ...disruption(30 * MIN, 'replace', 'consolidation', 100), action: 'skip' },
      launched(1 * MIN, 'general'),
      launched(2 * MIN, 'general'),
      launched(3 * MIN, 'gpu'),
    ]),
  );
  expect(s.evictionsByMethod).toEqual({ consolidation: 35, drift: 12, emptiness: 0, expiration: 5 });
  expect(s.evictionsByHour).toEqual([35, 12, 5]);
  expect(s.launches).toBe(3);
  expect(formatSummary(s, START)).toContain('  pods moved       52 by voluntary disruption: consolidation 35, drift 12, expiration 5, emptiness 0; busiest hour 35');
});
