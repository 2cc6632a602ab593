// A seeded day with spot interruptions and a node that goes NotReady, end to end through
// the production controllers: EC2's warnings arrive as EventBridge events on the
// simulated interruption queue, each interrupted node is cordoned, replaced and drained,
// its pods run again elsewhere; the NotReady node is repaired after its toleration; the
// summary, the report and `explain` say what happened and why.
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { ANNOTATION_NODE_REPAIR } from '../../../../core/contract/index.ts';
import { parseScenario } from '../../../../reconciler/scenario/scenario.ts';
import { runSimulation, type SimulationResult } from '../../../../reconciler/scenario/runner.ts';
import { formatSummary, summarize, type SimulationSummary } from '../../../../reconciler/scenario/summary.ts';
import { renderReport } from '../../../../reconciler/scenario/report.ts';
import { parseMessage } from '../../../../reconciler/controllers/interruption/messages.ts';
import { nodeClass, nodePool, START, MINUTE } from '../../behaviour/fixtures.ts';

const SCENARIO = `
name: interrupted day
start: 2026-03-03T00:00:00Z
duration: 4h
seed: 7
sampleEvery: 5m
cluster: { name: test, zones: [us-east-1a, us-east-1b], bootSeconds: 40, readySeconds: 10 }
ec2:
  spotInterruptions:
    ratePerHour: 0.25
    offerings:
      - { instanceTypes: [m7i.], zones: [us-east-1a], ratePerHour: 0 }
reconciler: { nodeRepair: true }
daemonSets:
  - { name: agent, requests: { cpu: 100m, memory: 128Mi } }
workloads:
  - kind: Deployment
    name: web
    requests: { cpu: 500m, memory: 1Gi }
    pdb: { maxUnavailable: 20% }
    replicas:
      - { at: "00:05", replicas: 60 }
events:
  - at: "01:00"
    nodeNotReady: { nodePool: general, status: Unknown }
`;

const FAMILIES = new Set(['m6i', 'm7i', 'c7i']);

describe('a seeded day with spot interruptions and a NotReady node', () => {
  let r: SimulationResult;
  let s: SimulationSummary;
  const sent: string[] = [];

  beforeAll(async () => {
    const base = nodePool('general', {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: [...FAMILIES] },
        { key: 'karpenter.k8s.aws/instance-size', operator: 'In', values: ['xlarge', '2xlarge'] },
      ],
      consolidateAfter: 'Never',
    });
    const pool = { ...base, metadata: { ...base.metadata, annotations: { [ANNOTATION_NODE_REPAIR]: 'enabled' } } };
    r = await runSimulation({
      scenario: parseScenario(SCENARIO, 'interrupted-day.yaml'),
      intent: { commit: 'c0ffee01', message: 'initial', nodePools: [pool], nodeClasses: [nodeClass()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => FAMILIES.has(t.name.split('.')[0]!),
      logSink: (l) => {
        if (l.msg === 'watching the interruption queue') sent.push(String(l.queue));
      },
    });
    s = summarize(r);
  }, 180_000);

  test('every spot interruption warning is handled: cordoned, a replacement launched, the pods running again elsewhere', () => {
    const spot = r.incidents.filter((i) => i.kind === 'spot-interruption');
    // The seed gives this run its interruptions; a handful over 4 hours of a ~10-node spot fleet.
    expect(spot.length).toBeGreaterThanOrEqual(2);
    expect(sent).toEqual(['sim-interruption-queue']);
    const deletes = r.decisions.filter((d) => d.controller === 'interruption' && d.action === 'delete');
    expect(deletes).toHaveLength(spot.length);
    for (const i of spot) {
      expect(i.handledAt).toBeDefined();
      // Handled on the warning, well inside the two-minute notice.
      expect(i.handledAt! - i.t).toBeLessThan(15_000);
      expect(i.replacements.length + (i.podsOnNode === 0 ? 1 : 0)).toBeGreaterThan(0);
      expect(i.podsRescheduled).toBe(i.podsOnNode);
      expect(i.podsNotRescheduled).toBe(0);
      // m7i in us-east-1a has rate 0 in the scenario.
      expect(i.offering).not.toMatch(/^m7i\.\S+ spot us-east-1a$/);
      // The interrupted claim is gone at the end.
      expect(r.world.api.cache.get('NodeClaim', i.nodeClaim)).toBeUndefined();
    }
    expect(s.incidents.spotInterruptions).toBe(spot.length);
    expect(s.incidents.interruptionsHandled).toBe(spot.length);
    expect(r.stillPending).toBe(0);
    expect(r.errors).toEqual([]);
    // The web Deployment runs in full at the end.
    expect(r.world.api.cache.list('Pod').filter((p) => p.metadata.labels?.app === 'web' && p.spec.nodeName && p.status?.phase === 'Running')).toHaveLength(60);
  });

  test('the warnings are EventBridge events the interruption parser reads, for instances of the fleet', () => {
    const ids = new Set(r.world.ec2.allInstances().map((x) => x.instance.id));
    for (const i of r.incidents.filter((x) => x.kind === 'spot-interruption')) {
      expect(ids.has(i.instanceId!)).toBe(true);
      const d = r.decisions.find((x) => x.controller === 'interruption' && x.action === 'delete' && x.details?.instanceId === i.instanceId)!;
      expect(d.details?.kind).toBe('spot_interrupted');
      expect(String(d.details?.eventId)).toBe(`sim-spot-warning-${i.instanceId}`);
    }
    // And the payload shape itself.
    expect(parseMessage(JSON.stringify({ source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: { 'instance-id': 'i-0123456789abcdef0' } })).kind).toBe('spot_interrupted');
  });

  test('the NotReady node is force-terminated by node auto-repair after its 30-minute toleration, its pods rescheduled', () => {
    const [bad, ...more] = r.incidents.filter((i) => i.kind === 'not-ready');
    expect(more).toEqual([]);
    expect(bad!.t).toBe(START + 60 * MINUTE);
    expect(bad!.condition).toMatch(/Ready=Unknown/);
    expect(bad!.handledAt).toBeGreaterThanOrEqual(START + 90 * MINUTE);
    expect(bad!.handledAt).toBeLessThan(START + 92 * MINUTE);
    expect(bad!.goneAt).toBeDefined();
    expect(bad!.podsOnNode).toBeGreaterThan(0);
    expect(bad!.podsRescheduled).toBe(bad!.podsOnNode);
    // Its pods served nothing from 01:00 until their successors were bound after the repair.
    expect(bad!.lostPodMinutes).toBeGreaterThanOrEqual(30 * bad!.podsOnNode);
    expect(r.world.api.cache.get('Node', bad!.node!)).toBeUndefined();
    expect(s.incidents.nodesRepaired).toBe(1);
  });

  test('explain, asked right after the reconciler acted, says why: interrupted, or repaired', () => {
    for (const i of r.incidents) {
      if (i.kind === 'spot-interruption') expect(i.explanation).toMatch(new RegExp(`^terminating \\(interrupted: spot interruption warning for instance ${i.instanceId}`));
      else expect(i.explanation).toMatch(/^terminating \(repaired: Ready=Unknown for 30m/);
    }
  });

  test('the summary and report.html count the interruptions, the repair, the pods rescheduled and the capacity lost', () => {
    const lines = formatSummary(s, START).join('\n');
    expect(lines).toMatch(new RegExp(`interruptions +${s.incidents.spotInterruptions} spot warning\\(s\\): ${s.incidents.spotInterruptions} handled`));
    expect(lines).toMatch(/node repair +1 node\(s\) NotReady: 1 repaired; \d+ pod\(s\) rescheduled, [\d.]+ pod-minutes of lost capacity/);
    expect(s.incidents.podsRescheduled).toBe(r.incidents.reduce((a, i) => a + i.podsOnNode, 0));
    expect(s.incidents.lostPodMinutes).toBeGreaterThan(0);
    const html = renderReport(r, s);
    expect(html).toContain('<h3>Spot interruptions and node repair');
    expect(html.match(/<path d="M/g)).toHaveLength(s.incidents.spotInterruptions);
    expect(html).toMatch(/<th>Node repair<\/th><td>1 node\(s\) NotReady, 1 repaired/);
    expect(JSON.parse(JSON.stringify(s)).incidents.list).toHaveLength(r.incidents.length);
  });
});
