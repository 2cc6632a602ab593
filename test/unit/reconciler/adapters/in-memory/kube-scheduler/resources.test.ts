// A pod's requests as kube-scheduler counts them: containers summed, the init container
// rule (the largest init step, sidecars included, against the steady state), overhead.
import { podRequests } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/resources.ts';
import { pod } from './cluster.ts';

const c = (name: string, cpu: string, memory?: string, restartPolicy?: string) => ({ name, restartPolicy, resources: { requests: { cpu, ...(memory ? { memory } : {}) } } });

test('containers add up', () => {
  const p = pod('web', { containers: [c('a', '500m', '1Gi'), c('b', '250m', '512Mi')] });
  expect(podRequests(p)).toEqual({ cpu: 750, memory: 1.5 * 2 ** 30 });
});

test('a large init container sets the request when it exceeds the containers (max rule)', () => {
  const p = pod('migrate', { containers: [c('app', '500m')], initContainers: [c('init-db', '2'), c('init-cache', '1')] });
  expect(podRequests(p)['cpu']).toBe(2000);
});

test('native sidecars run beside the containers and beside every later init container', () => {
  // sidecar 500m + app 1 = 1500m steady; init after the sidecar: 1200m + 500m = 1700m.
  const p = pod('mesh', { containers: [c('app', '1')], initContainers: [c('proxy', '500m', undefined, 'Always'), c('setup', '1200m')] });
  expect(podRequests(p)['cpu']).toBe(1700);
  const q = pod('mesh2', { containers: [c('app', '1')], initContainers: [c('setup', '1200m'), c('proxy', '500m', undefined, 'Always')] });
  expect(podRequests(q)['cpu']).toBe(1500);
});

test('pod overhead (RuntimeClass) is added on top', () => {
  const p = pod('kata', { containers: [c('app', '1', '1Gi')], overhead: { cpu: '250m', memory: '120Mi' } });
  expect(podRequests(p)).toEqual({ cpu: 1250, memory: 2 ** 30 + 120 * 2 ** 20 });
});

test('a limit without a request is the request (API defaulting); scoring counts 100m and 200Mi for none', () => {
  const p = pod('limited', { containers: [{ name: 'a', resources: { limits: { cpu: '2' } } }] });
  expect(podRequests(p)['cpu']).toBe(2000);
  const best = pod('best-effort', { containers: [{ name: 'a' }] });
  expect(podRequests(best)).toEqual({});
  expect(podRequests(best, true)).toEqual({ cpu: 100, memory: 200 * 2 ** 20 });
});
