import { podRequests, type Pod } from '../../../../core/index.ts';

const c = (cpu: string, memory: string, restartPolicy?: string) => ({
  name: `c-${cpu}-${memory}`,
  resources: { requests: { cpu, memory } },
  ...(restartPolicy ? { restartPolicy } : {}),
});
const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], ...spec } });

describe('podRequests', () => {
  it('sums the containers and counts one pod slot', () => {
    expect(podRequests(pod({ containers: [c('100m', '128Mi'), c('250m', '256Mi')] }))).toEqual({ cpu: 350, memory: 384 * 2 ** 20, pods: 1 });
  });

  it('takes the larger of the init phase and the steady state', () => {
    const p = pod({ containers: [c('100m', '128Mi')], initContainers: [c('2', '64Mi')] });
    expect(podRequests(p)).toEqual({ cpu: 2000, memory: 128 * 2 ** 20, pods: 1 });
  });

  it('counts native sidecars in the steady state and during later init containers', () => {
    // Sidecar 500m runs alongside everything started after it; the 1-cpu init container
    // therefore peaks at 1.5 cpu; steady state is 100m + 500m.
    const p = pod({ containers: [c('100m', '1Gi')], initContainers: [c('500m', '64Mi', 'Always'), c('1', '64Mi')] });
    expect(podRequests(p)).toEqual({ cpu: 1500, memory: 2 ** 30 + 64 * 2 ** 20, pods: 1 });
  });

  it('adds pod overhead and defaults a missing request to the limit', () => {
    const p = pod({
      containers: [{ name: 'gpu', resources: { limits: { 'nvidia.com/gpu': '1', cpu: '1' }, requests: { cpu: '500m' } } }],
      overhead: { cpu: '50m', memory: '64Mi' },
    });
    expect(podRequests(p)).toEqual({ cpu: 550, memory: 64 * 2 ** 20, 'nvidia.com/gpu': 1, pods: 1 });
  });
});
