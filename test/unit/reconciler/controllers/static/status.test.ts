import { staticReplicasCondition } from '../../../../../reconciler/controllers/static/status.ts';
import type { StaticPoolCount } from '../../../../../reconciler/views/static-pools.ts';

const count = (o: Partial<Omit<StaticPoolCount, 'staying'>> & { staying?: number }): StaticPoolCount =>
  ({ desired: 2, limit: Infinity, claims: 2, present: 2, ready: 2, launching: 0, leaving: 0, ...o, staying: Array.from({ length: o.staying ?? 2 }) }) as unknown as StaticPoolCount;

test('True with desired and current when the pool has its replicas in service', () => {
  expect(staticReplicasCondition(count({}))).toEqual({ type: 'joinery.dev/ReplicasReady', status: 'True', reason: 'ReplicasReady', message: 'desired 2, current 2 in service (0 launching, 0 leaving)' });
});

test('Scaling while nodes launch or leave, and names limits.nodes when it holds the pool back', () => {
  expect(staticReplicasCondition(count({ desired: 3, ready: 2, launching: 1, claims: 3, present: 3, staying: 3 }))).toMatchObject({ status: 'False', reason: 'Scaling', message: 'desired 3, current 2 in service (1 launching, 0 leaving)' });
  expect(staticReplicasCondition(count({ desired: 3, limit: 2 }))).toMatchObject({ status: 'False', message: 'desired 3, current 2 in service (0 launching, 0 leaving); limits.nodes 2 reached' });
  expect(staticReplicasCondition(count({ desired: 1, leaving: 1, ready: 1, staying: 1 }))).toMatchObject({ status: 'False', message: 'desired 1, current 1 in service (0 launching, 1 leaving)' });
});
