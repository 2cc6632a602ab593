// The provisioning controller's batching on the simulator's virtual clock: batches stream
// (at most 1 s each, in-flight claims counted as capacity), pods kube-scheduler has not
// judged yet are provisioned for at once when they fit on no Node (and only then), and
// pods displaced from the node planned for them are solved again at once.
import type { Pod } from '../../../../../core/api/k8s.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, START, MINUTE } from '../../../behaviour/fixtures.ts';

function pod(name: string, cpu: string, extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' } } }], ...extra } };
}

const launches = (h: { decisions: { action: string; time: number }[] }) => h.decisions.filter((d) => d.action === 'launch');

describe('provisioning batches', () => {
  test('pods arriving every 500 ms stream into 1 s batches; the fleet costs no more than with one 10 s window', async () => {
    const run = async (maxMs: number) => {
      const world = newWorld();
      world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
      const h = await startReconciler(world, { batchWindow: { idleMs: 1_000, maxMs } });
      const created = new Map<string, number>();
      for (let i = 0; i < 30; i++) {
        world.workloads.createPod(pod(`p${i}`, '500m'));
        created.set(`p${i}`, world.clock.now());
        await world.clock.advance(500);
      }
      // Long enough for consolidation to settle the fleet: replacements of a pool that
      // launched for pending pods wait 10 minutes after its last launch (disruption/ramp.ts).
      await world.clock.advance(16 * MINUTE);
      expect(podsOf(world).every((p) => p.spec.nodeName)).toBe(true);
      const cost = world.ec2.allInstances().filter((r) => r.terminatedAt === undefined).reduce((s, r) => s + r.instance.pricePerHour, 0);
      const times = launches(h).map((d) => d.time - START);
      await h.reconciler.stop();
      return { times, cost };
    };
    const streaming = await run(1_000);
    // The first pod opened a batch at 0 s, closed 1 s later; none waited longer than 1 s.
    expect(streaming.times[0]).toBe(1_000);
    expect(Math.max(...streaming.times)).toBeLessThanOrEqual(15_000);
    const window = await run(10_000);
    expect(window.times[0]).toBe(10_000);
    expect(streaming.cost).toBeLessThanOrEqual(window.cost * 1.01);
  }, 60_000);

  test('pods kube-scheduler has not judged yet are provisioned for at once when they fit on no Node', async () => {
    // kube-scheduler under load: its passes run 5 s after the event.
    const world = newWorld({ schedulerDelayMs: 5_000 });
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 6, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(2_000);
    expect(podsOf(world, 'web').every((p) => !p.status?.conditions?.length)).toBe(true);
    expect(launches(h).length).toBeGreaterThan(0);
    expect(Math.max(...launches(h).map((d) => d.time - START))).toBeLessThanOrEqual(1_000);
    await world.clock.advance(5 * MINUTE);
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName)).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test('a pod that may fit on an existing Node waits for kube-scheduler, which places it: no node is launched for it', async () => {
    const world = newWorld({ schedulerDelayMs: 5_000 });
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    // A cordoned node of someone else's: joinery's solver places nothing there, but
    // kube-scheduler places a pod tolerating the cordon, so joinery must wait for it.
    world.api.create('Node', {
      metadata: { name: 'static-1', labels: { 'kubernetes.io/hostname': 'static-1', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' } },
      spec: { unschedulable: true },
      status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, capacity: { cpu: '4', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const h = await startReconciler(world);
    world.workloads.createPod(pod('small', '100m', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }));
    await world.clock.advance(MINUTE);
    expect(world.api.cache.get('Pod', 'small', 'default')?.spec.nodeName).toBe('static-1');
    expect(world.api.cache.list('NodeClaim')).toEqual([]);
    expect(launches(h)).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test('a pod whose planned node is filled by other pods is solved again at once, not a minute later', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 1, { cpu: '1', memory: '1Gi' });
    // Until the planned node registers (NotReady: kube-scheduler cannot use it yet).
    let nodeName: string | undefined;
    for (let i = 0; i < 600 && !nodeName; i++) {
      await world.clock.advance(100);
      nodeName = world.api.cache.list('Node')[0]?.metadata.name;
    }
    expect(nodeName).toBeDefined();
    expect(launches(h)).toHaveLength(1);
    // Another controller binds a pod there that takes the room planned for web.
    const node = world.api.cache.get('Node', nodeName!)!;
    const cpu = String(Math.floor(Number.parseFloat(String(node.status?.allocatable?.cpu ?? '2')) * 1000) - 200) + 'm';
    world.workloads.createPod(pod('filler', cpu, { nodeName }));
    let readyAt: number | undefined;
    for (let i = 0; i < 600 && readyAt === undefined; i++) {
      await world.clock.advance(100);
      const ready = world.api.cache.get('Node', nodeName!)?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') readyAt = world.clock.now();
    }
    expect(readyAt).toBeDefined();
    await world.clock.advance(5_000);
    // kube-scheduler marked web again when the node became Ready; a new claim followed within the batch window.
    const again = launches(h).slice(1);
    expect(again.length).toBeGreaterThan(0);
    expect(again[0]!.time - readyAt!).toBeLessThanOrEqual(2_000);
    await world.clock.advance(5 * MINUTE);
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName && p.spec.nodeName !== nodeName)).toBe(true);
    await h.reconciler.stop();
  }, 60_000);
});
