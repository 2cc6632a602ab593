// `joinery explain pod` reads what provisioning wrote on the pod. On the whole reconciler
// (in-memory), under --min-values-policy Strict, a pod pinned to one family of a pool that
// asks for 3 gets no NodeClaim: explain names the pool, the requirement key, the minValues
// asked and the values offered, in the Event's own words. A pod provisioned for is
// nominated, then scheduled.
import type { Pod } from '../../../../core/api/k8s.ts';
import { LABEL_INSTANCE_FAMILY } from '../../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../../reconciler/adapters/in-memory/world.ts';
import { explainPod, type PodEvent } from '../../../../reconciler/explain/explain-pod.ts';
import { renderPodExplanation } from '../../../../reconciler/explain/render.ts';
import { newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from '../../behaviour/fixtures.ts';

function eventsOn(world: InMemoryWorld, pod: Pod): PodEvent[] {
  return world.api.events
    .filter((e) => e.involved.kind === 'Pod' && e.involved.name === pod.metadata.name && e.involved.namespace === pod.metadata.namespace)
    .map((e) => ({ type: e.type, reason: e.reason, message: e.message, timeMs: e.time }));
}

function deploy(world: InMemoryWorld, name: string, nodeSelector?: Record<string, string>): void {
  world.workloads.applyDeployment({
    name,
    namespace: 'default',
    replicas: 1,
    template: {
      metadata: { labels: { app: name } },
      spec: { ...(nodeSelector ? { nodeSelector } : {}), containers: [{ name: 'main', resources: { requests: { cpu: '1', memory: '2Gi' } } }] },
    },
  });
}

describe('explain pod', () => {
  test('a pod held back by --min-values-policy Strict: the pool, the key, the minValues asked and the values offered, as the Event says', async () => {
    const world = newWorld();
    const pool = nodePool('general', {
      consolidateAfter: '1h',
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: LABEL_INSTANCE_FAMILY, operator: 'In', values: ['m6i', 'm7i', 'c7i'], minValues: 3 },
      ],
    });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deploy(world, 'pinned', { [LABEL_INSTANCE_FAMILY]: 'm7i' });
    deploy(world, 'free');
    await world.clock.advance(5_000);

    // Right after the batch: the free pod's NodeClaim is coming up.
    const free = podsOf(world, 'free')[0]!;
    const nominated = explainPod(free, eventsOn(world, free));
    expect(nominated.verdict).toBe('nominated');
    expect(nominated.summary).toMatch(/^NodeClaim general-\S+ was created for it/);

    await world.clock.advance(3 * MINUTE);
    const pinned = podsOf(world, 'pinned')[0]!;
    const events = eventsOn(world, pinned);
    const event = events.find((e) => e.reason === 'MinValuesNotMet')!;
    expect(event).toBeDefined();
    const e = explainPod(pinned, events);
    expect(e.verdict).toBe('not-provisioned');
    expect(e.node).toBeUndefined();
    expect(e.minValues).toEqual([{ nodePool: 'general', key: LABEL_INSTANCE_FAMILY, minValues: 3, offered: ['m7i'] }]);
    expect(e.summary).toContain(event.message);
    expect(e.reasons).toEqual([event.message]);
    const text = renderPodExplanation(e);
    expect(text).toContain(`pod default/${pinned.metadata.name}: PENDING, NOT PROVISIONED FOR`);
    expect(text).toContain('NodePool general requires at least 3 distinct values of karpenter.k8s.aws/instance-family (minValues), but the instance types that fit offer 1 (m7i)');
    expect(text).toMatch(/min-values\s+BLOCKS\s+NodePool general: karpenter\.k8s\.aws\/instance-family needs at least 3 distinct values \(minValues\); the instance types that fit offer 1: m7i/);

    const running = podsOf(world, 'free')[0]!;
    expect(explainPod(running, eventsOn(world, running))).toMatchObject({ verdict: 'scheduled', node: running.spec.nodeName });
    await h.reconciler.stop();
  }, 60_000);

  test('a verdict later than the last one wins: a pod first held back, then provisioned for, is nominated', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [] } } as unknown as Pod;
    const held: PodEvent = { type: 'Warning', reason: 'MinValuesNotMet', message: 'NodePool general requires at least 3 distinct values of karpenter.k8s.aws/instance-family (minValues), but the instance types that fit offer 1 (m7i) (--min-values-policy Strict)', timeMs: 1_000 };
    const later: PodEvent = { type: 'Normal', reason: 'Nominated', message: 'Pod should schedule on: nodeclaim/general-abcde', timeMs: 2_000 };
    expect(explainPod(pod, [later, held]).verdict).toBe('nominated');
    const e = explainPod(pod, [held, { ...later, timeMs: 500 }]);
    expect(e.verdict).toBe('not-provisioned');
    expect(e.minValues).toEqual([{ nodePool: 'general', key: 'karpenter.k8s.aws/instance-family', minValues: 3, offered: ['m7i'] }]);
    expect(explainPod(pod, []).verdict).toBe('pending');
  });
});
