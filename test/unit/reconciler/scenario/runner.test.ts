// A short scenario on the simulator, end to end through the production controllers:
// pods placed, consolidation lowering $/h after a scale-down, and a drift rollout after a
// policy commit that never disrupts more nodes at once than its budget allows.
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { parseScenario } from '../../../../reconciler/scenario/scenario.ts';
import { runSimulation, type SimulationResult } from '../../../../reconciler/scenario/runner.ts';
import { nodeClass, nodePool, START, HOUR, MINUTE } from '../../behaviour/fixtures.ts';

const SCENARIO = `
name: test day
start: 2026-03-03T00:00:00Z
duration: 4h
seed: 3
sampleEvery: 5m
cluster: { name: test, zones: [us-east-1a, us-east-1b], bootSeconds: 40, readySeconds: 10 }
daemonSets:
  - { name: agent, requests: { cpu: 100m, memory: 128Mi } }
workloads:
  - kind: Deployment
    name: web
    requests: { cpu: 500m, memory: 1Gi }
    replicas:
      - { at: "00:05", replicas: 40 }
      - { at: "00:20", to: "00:40", replicas: 160 }
      - { at: "01:30", replicas: 30 }
  - kind: Job
    name: report
    at: "00:30"
    completions: 8
    duration: 20m
    requests: { cpu: "2", memory: 4Gi }
events:
  - at: "02:30"
    policyCommit:
      message: "general: leave the 6th generation"
      nodePools:
        general:
          requirements:
            - { key: karpenter.k8s.aws/instance-family, operator: In, values: [m7i, c7i] }
`;

const FAMILIES = new Set(['m6i', 'm7i', 'c7i']);

describe('a short simulated day', () => {
  let r: SimulationResult;

  beforeAll(async () => {
    const pool = nodePool('general', {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] },
      ],
      budgets: [{ nodes: '1', reasons: ['Drifted'] }, { nodes: '50%' }],
    });
    r = await runSimulation({
      scenario: parseScenario(SCENARIO, 'test-day.yaml'),
      intent: { commit: 'c0ffee00', message: 'initial', nodePools: [pool], nodeClasses: [nodeClass()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => FAMILIES.has(t.name.split('.')[0]!),
    });
  }, 120_000);

  test('every pod is placed and none is left pending; no reconcile failed', () => {
    expect(r.errors).toEqual([]);
    expect(r.stillPending).toBe(0);
    const pods = r.world.api.cache.list('Pod');
    expect(pods.length).toBeGreaterThan(30);
    expect(pods.filter((p) => !p.spec.nodeName)).toEqual([]);
    // The job ran to completion on capacity launched for it.
    expect(r.world.workloads.jobStatus('default', 'report')?.succeeded).toBe(8);
  });

  test('after the scale-down, consolidation lowers the fleet $/h', () => {
    const at = (t: number) => r.samples.find((s) => s.t >= START + t)!;
    const peak = at(1 * HOUR + 25 * MINUTE);
    const settled = at(2 * HOUR + 25 * MINUTE);
    expect(peak.pods).toBe(160);
    expect(settled.pods).toBe(30);
    expect(settled.totalCost).toBeLessThan(peak.totalCost * 0.5);
    expect(r.decisions.some((d) => d.controller === 'disruption' && (d.reason === 'underutilized' || d.reason === 'empty'))).toBe(true);
  });

  test('the drift rollout replaces every old node, never more at once than the budget of 1', () => {
    expect(r.commits.map((c) => c.accepted)).toEqual([true, true]);
    const [watch] = r.rollouts;
    expect(watch?.nodePool).toBe('general');
    expect(watch!.replaced).toBeGreaterThan(0);
    expect(watch!.maxConcurrent).toBe(1);
    expect(watch!.violations).toBe(0);
    // At the end every node is of the new families.
    const families = r.world.api.cache.list('NodeClaim').map((c) => c.metadata.labels?.['karpenter.k8s.aws/instance-family']);
    expect(families.length).toBeGreaterThan(0);
    for (const f of families) expect(['m7i', 'c7i']).toContain(f);
  });
});
