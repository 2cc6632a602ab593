// TaintToleration: NoSchedule and NoExecute taints filter, PreferNoSchedule taints score.
import { taintToleration, tolerates } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/taint-toleration.ts';
import { accepted, cluster, node, pod } from './cluster.ts';

const gpu = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

test('an untolerated NoSchedule taint rejects the node, named as kube-scheduler names it', () => {
  const c = cluster([node('gpu', { taints: [gpu] }), node('general')]);
  const f = taintToleration.prepareFilter(pod('web'), c);
  expect(f(c.byName('gpu'))).toEqual(['node(s) had untolerated taint {nvidia.com/gpu: true}']);
  expect(accepted(f, c)).toEqual(['general']);
});

test('Equal needs the value, Exists does not; an empty key with Exists tolerates everything; the effect must match when given', () => {
  expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true' }, gpu)).toBe(true);
  expect(tolerates({ key: 'nvidia.com/gpu', value: 'false' }, gpu)).toBe(false);
  expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Exists' }, gpu)).toBe(true);
  expect(tolerates({ operator: 'Exists' }, gpu)).toBe(true);
  expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
});

test('NoExecute filters too; PreferNoSchedule does not, but scores the node down', () => {
  const c = cluster([
    node('draining', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }),
    node('avoid', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }),
    node('clean'),
  ]);
  expect(accepted(taintToleration.prepareFilter(pod('web'), c), c)).toEqual(['avoid', 'clean']);
  const feasible = [c.byName('avoid'), c.byName('clean')];
  expect(taintToleration.score(pod('web'), c, feasible)).toEqual([0, 100]);
  expect(taintToleration.score(pod('web', { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] }), c, feasible)).toEqual([100, 100]);
});
