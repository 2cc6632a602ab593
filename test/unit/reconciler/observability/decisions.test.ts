// Every decision is one structured JSON line with its reason and one increment of a
// Prometheus counter in the registry the reconciler was given (never the global one).
import { Registry, register as globalRegistry } from 'prom-client';
import { DecisionLog } from '../../../../reconciler/observability/decisions.ts';
import { jsonLineSink, StructuredLogger } from '../../../../reconciler/observability/log.ts';
import { ReconcilerMetrics } from '../../../../reconciler/observability/metrics.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { deployment, newWorld, nodeClass, nodePool, startReconciler, START } from '../../behaviour/fixtures.ts';

describe('decision log and metrics', () => {
  test('a decision is one JSON line with time, decision and reason, and counted by labels', async () => {
    const clock = new VirtualClock(START);
    const lines: string[] = [];
    const registry = new Registry();
    const metrics = new ReconcilerMetrics(registry);
    const log = new DecisionLog(new StructuredLogger(clock, jsonLineSink({ write: (s: string) => lines.push(s) })).child('decision'), metrics, () => clock.now());
    log.record({ controller: 'disruption', action: 'delete', reason: 'underutilized', message: 'consolidation: delete n1', nodePool: 'web', nodeClaims: ['n1'], details: { savingsPerHour: 0.1 } });
    log.record({ controller: 'disruption', action: 'delete', reason: 'underutilized', message: 'consolidation: delete n2', nodePool: 'web', nodeClaims: ['n2'] });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-03-03T00:00:00.000Z',
      level: 'info',
      logger: 'joinery.decision',
      msg: 'consolidation: delete n1',
      decision: 'delete',
      reason: 'underutilized',
      controller: 'disruption',
      nodePool: 'web',
      nodeClaims: ['n1'],
      savingsPerHour: 0.1,
    });
    const text = await registry.metrics();
    expect(text).toContain('joinery_decisions_total{controller="disruption",decision="delete",reason="underutilized"} 2');
    expect(await globalRegistry.metrics()).not.toContain('joinery_decisions_total');
  });

  test('a running reconciler exports launches, fleet gauges and pending pods in its own registry', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'abc123', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 10, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * 60_000);
    const text = await h.reconciler.context.metrics.registry.metrics();
    expect(text).toMatch(/joinery_launches_total\{nodepool="general",capacity_type="on-demand",result="launched"\} [1-9]/);
    expect(text).toMatch(/joinery_decisions_total\{controller="provisioning",decision="launch",reason="pending-pods"\} [1-9]/);
    expect(text).toMatch(/joinery_nodes\{nodepool="general",capacity_type="on-demand"\} [1-9]/);
    expect(text).toMatch(/joinery_cost_per_hour_dollars\{nodepool="general",capacity_type="on-demand"\} 0\.\d+/);
    expect(text).toContain('joinery_intent_info{commit="abc123"} 1');
    expect(text).toContain('joinery_pending_pods 0');
    await h.reconciler.stop();
  }, 60_000);
});
