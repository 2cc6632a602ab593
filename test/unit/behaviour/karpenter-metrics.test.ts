// Karpenter's metrics and Events from the production controllers over the in-memory world:
// a pod gets a node (karpenter_nodeclaims_created_total, the Nominated event, cloud provider
// calls timed by controller and method, allocatable, pod state and startup), then the
// emptied node is disrupted (voluntary disruption decision, disrupted and terminated
// NodeClaims, DisruptionTerminating on the Node and the NodeClaim).
import type { Gauge, Counter, Histogram } from 'prom-client';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

async function values(metric: Gauge | Counter | Histogram): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  return (await metric.get()).values as { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

describe("Karpenter's metrics and events", () => {
  test('a launch for a pod, then the emptied node removed, counted and reported as Karpenter does', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', limits: { cpu: 100 } })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    const k = h.reconciler.context.metrics.karpenter;
    deployment(world, 'web', 1, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);

    const claims = world.api.cache.list('NodeClaim');
    expect(claims).toHaveLength(1);
    const claim = claims[0]!;
    const nodeName = claim.status?.nodeName;
    expect(nodeName).toBeDefined();
    expect(await values(k.nodeClaimsCreated)).toEqual([{ labels: { reason: 'provisioned', nodepool: 'general', min_values_relaxed: 'false' }, value: 1 }]);
    const pod = world.api.cache.list('Pod').find((p) => p.metadata.labels?.app === 'web')!;
    expect(world.api.events).toContainEqual(
      expect.objectContaining({ involved: { kind: 'Pod', name: pod.metadata.name, namespace: 'default' }, type: 'Normal', reason: 'Nominated', message: `Pod should schedule on: nodeclaim/${claim.metadata.name}` }),
    );
    const calls = await values(k.cloudProviderDuration);
    expect(calls.some((v) => v.metricName === 'karpenter_cloudprovider_duration_seconds_count' && v.labels.controller === 'lifecycle' && v.labels.method === 'Create' && v.value === 1)).toBe(true);
    const cpu = (await values(k.nodesAllocatable)).filter((v) => v.labels.node_name === nodeName && v.labels.resource_type === 'cpu');
    expect(cpu).toHaveLength(1);
    expect(cpu[0]!.labels).toMatchObject({ nodepool: 'general', capacity_type: 'on-demand' });
    expect(cpu[0]!.value).toBeGreaterThan(1); // cores
    expect((await values(k.nodePoolsLimit)).find((v) => v.labels.resource_type === 'cpu')).toEqual({ labels: { nodepool: 'general', resource_type: 'cpu' }, value: 100 });
    expect((await values(k.nodePoolsUsage)).find((v) => v.labels.resource_type === 'cpu')!.value).toBeGreaterThanOrEqual(cpu[0]!.value);
    expect((await values(k.podsState)).find((v) => v.labels.name === pod.metadata.name)!.labels).toMatchObject({ node: nodeName, nodepool: 'general', phase: 'Running' });
    expect((await values(k.podsStartupDuration)).find((v) => v.metricName === 'karpenter_pods_startup_duration_seconds_count')!.value).toBe(1);

    // The pod goes; the node is empty, and emptiness removes it.
    deployment(world, 'web', 0, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    expect(world.api.cache.list('NodeClaim')).toHaveLength(0);
    const decisions = (await values(k.disruptionDecisions)).filter((v) => v.value > 0);
    expect(decisions).toEqual([{ labels: { decision: 'delete', reason: 'empty', consolidation_type: 'empty' }, value: 1 }]);
    expect(await values(k.nodeClaimsDisrupted)).toEqual([{ labels: { reason: 'empty', nodepool: 'general', capacity_type: 'on-demand' }, value: 1 }]);
    expect((await values(k.nodeClaimsTerminated)).map((v) => [v.labels.nodepool, v.value])).toEqual([['general', 1]]);
    const terminating = world.api.events.filter((e) => e.reason === 'DisruptionTerminating').map((e) => [e.involved.kind, e.involved.name, e.message]);
    expect(terminating).toEqual([
      ['Node', nodeName, 'Disrupting Node: Empty'],
      ['NodeClaim', claim.metadata.name, 'Disrupting NodeClaim: Empty'],
    ]);
    // Gauges follow: the node's series are gone.
    await world.clock.advance(MINUTE);
    expect((await values(k.nodesAllocatable)).filter((v) => v.labels.node_name === nodeName)).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test('a pod no pool can take: Karpenter\'s FailedScheduling Warning beside joinery\'s own FailedProvisioning, once', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { limits: { cpu: 100 } })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'huge', 1, { cpu: '5000', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);
    const pod = podsOf(world, 'huge')[0]!;
    const onPod = world.api.events.filter((e) => e.involved.kind === 'Pod' && e.involved.name === pod.metadata.name);
    const failed = onPod.filter((e) => e.reason === 'FailedScheduling');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'Warning' });
    const own = onPod.find((e) => e.reason === 'FailedProvisioning' || e.reason === 'NodePoolLimitReached');
    expect(own).toBeDefined();
    expect(failed[0]!.message).toBe(`Failed to schedule pod, ${own!.message}`);
    expect(world.api.cache.list('NodeClaim')).toHaveLength(0);
    await h.reconciler.stop();
  }, 60_000);

  test('a node a PodDisruptionBudget keeps from consolidation: DisruptionBlocked on its Node and NodeClaim; none for do-not-disrupt', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    // The do-not-disrupt pod arrives first, on a node of its own: planned in one batch
    // with the others, it shares their node (one larger node holds the batch for less),
    // and that node is then kept for it, not for the budget.
    deployment(world, 'pinned', 1, { cpu: '1', memory: '2Gi' }, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    await world.clock.advance(2 * MINUTE);
    deployment(world, 'db', 2, { cpu: '1', memory: '2Gi' });
    world.workloads.applyPodDisruptionBudget({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'db' } }, maxUnavailable: 0 },
    });
    deployment(world, 'web', 10, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(15 * MINUTE);

    const blocked = world.api.events.filter((e) => e.reason === 'DisruptionBlocked');
    const dbNodes = new Set(podsOf(world, 'db').map((p) => p.spec.nodeName!));
    const claimOf = new Map(world.api.cache.list('NodeClaim').map((c) => [c.status?.nodeName, c.metadata.name]));
    expect(blocked.length).toBeGreaterThan(0);
    for (const e of blocked) {
      expect(e.type).toBe('Normal');
      expect(e.message).toMatch(/blocked: .*PodDisruptionBudget default\/db/);
    }
    // Each event is on a db node or its NodeClaim, in pairs; once per node and reason.
    const nodes = blocked.filter((e) => e.involved.kind === 'Node').map((e) => e.involved.name);
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) expect(dbNodes.has(n)).toBe(true);
    expect(blocked.filter((e) => e.involved.kind === 'NodeClaim').map((e) => e.involved.name).sort()).toEqual(nodes.map((n) => claimOf.get(n)).sort());
    expect(new Set(nodes).size).toBe(nodes.length);
    // The do-not-disrupt pod's node is kept too, but is an intentional block: no Event.
    const pinnedNode = podsOf(world, 'pinned')[0]!.spec.nodeName!;
    if (!dbNodes.has(pinnedNode)) expect(blocked.some((e) => e.involved.name === pinnedNode)).toBe(false);
    expect(h.decisions.some((d) => d.reason === 'do-not-disrupt')).toBe(true);
    await h.reconciler.stop();
  }, 60_000);
  test('a NodePool whose budget allows no disruption: DisruptionBlocked on the NodePool, as Karpenter words it', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('frozen', { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', budgets: [{ nodes: '0' }] })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    deployment(world, 'web', 1, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);
    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(5 * MINUTE);

    // The empty node stays: the budget says so, and the pool says why.
    expect(world.api.cache.list('NodeClaim')).toHaveLength(1);
    expect(world.api.events).toContainEqual(expect.objectContaining({ involved: { kind: 'NodePool', name: 'frozen' }, type: 'Normal', reason: 'DisruptionBlocked', message: 'No allowed disruptions due to blocking budget' }));
    await h.reconciler.stop();
  }, 60_000);

  test('a node consolidation looks at and leaves (nothing cheaper holds its pods): Unconsolidatable on its Node and NodeClaim, with why', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s' })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    deployment(world, 'web', 1, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(10 * MINUTE);

    const [claim] = world.api.cache.list('NodeClaim');
    const nodeName = claim!.status!.nodeName!;
    const events = world.api.events.filter((e) => e.reason === 'Unconsolidatable');
    const onNode = events.find((e) => e.involved.kind === 'Node' && e.involved.name === nodeName);
    expect(onNode).toMatchObject({ type: 'Normal', message: expect.stringMatching(/^not consolidated: /) });
    expect(events).toContainEqual(expect.objectContaining({ involved: { kind: 'NodeClaim', name: claim!.metadata.name }, type: 'Normal', reason: 'Unconsolidatable', message: onNode!.message }));
    await h.reconciler.stop();
  }, 60_000);
});
