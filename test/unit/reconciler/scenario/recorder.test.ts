// The recorder's two cost bounds: the plain LP bound lets every pod use every pool's
// types; the pool-aware bound keeps each pod to the pools it tolerates, so a pool the pods
// cannot use (here: tainted, with the cheaper c7i) does not lower it.
import type { NodePool } from '../../../../core/api/karpenter.ts';
import { ScenarioRecorder } from '../../../../reconciler/scenario/recorder.ts';
import { deployment, newWorld, nodeClass, nodePool } from '../../behaviour/fixtures.ts';

function pools(): NodePool[] {
  const general = nodePool('general', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] },
    ],
  });
  const batch = nodePool('batch', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c7i'] },
    ],
  });
  batch.spec.template.spec.taints = [{ key: 'batch', effect: 'NoSchedule' }];
  return [general, batch];
}

test('pods that do not tolerate the cheaper pool: the pool-aware bound is above the LP bound, and is what m6i alone costs', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: pools(), nodeClasses: [nodeClass()] });
  const recorder = new ScenarioRecorder(world);
  deployment(world, 'web', 40, { cpu: '1', memory: '2Gi' });
  await world.clock.advance(10_000);
  const s = recorder.sample();
  expect(s.pods).toBe(40);
  expect(s.poolAwareBound).toBeGreaterThan(s.lowerBound * 1.05);
  // 40 CPUs and 80 GiB at m6i's price per allocatable CPU (m6i.4xlarge: $0.768 for 15.89 CPUs) or better.
  expect(s.poolAwareBound).toBeGreaterThan(40 * (0.768 / 15.89) * 0.99);
  expect(s.poolAwareBound).toBeLessThan(40 * (0.768 / 15.89) * 1.1);
  recorder.stop();

  // Tolerating the taint, the pods may use c7i too: both bounds agree.
  const w2 = newWorld();
  w2.intent.accept({ commit: 'a1', nodePools: pools(), nodeClasses: [nodeClass()] });
  const r2 = new ScenarioRecorder(w2);
  w2.workloads.applyDeployment({
    name: 'web',
    namespace: 'default',
    replicas: 40,
    template: { metadata: { labels: { app: 'web' } }, spec: { tolerations: [{ key: 'batch', operator: 'Exists' }], containers: [{ name: 'main', resources: { requests: { cpu: '1', memory: '2Gi' } } }] } },
  });
  await w2.clock.advance(10_000);
  const s2 = r2.sample();
  expect(s2.poolAwareBound).toBeCloseTo(s2.lowerBound, 6);
  expect(s2.lowerBound).toBeCloseTo(s.lowerBound, 6);
  r2.stop();
});
