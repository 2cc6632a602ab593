import { toleratesTaint, untoleratedTaint } from '../../../../core/index.ts';

describe('taints and tolerations', () => {
  const gpu = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
  it('matches key, value and effect as the kube-scheduler does', () => {
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'nvidia.com/gpu', value: 'false' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
    expect(toleratesTaint({ operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Equal' }, gpu)).toBe(false);
  });

  it('ignores PreferNoSchedule unless asked', () => {
    const soft = { key: 'spot', effect: 'PreferNoSchedule' };
    expect(untoleratedTaint([soft], [])).toBeUndefined();
    expect(untoleratedTaint([soft], [], { includePreferNoSchedule: true })).toBe(soft);
    expect(untoleratedTaint([gpu, soft], [{ key: 'nvidia.com/gpu', operator: 'Exists' }])).toBeUndefined();
    expect(untoleratedTaint([gpu], undefined)).toBe(gpu);
  });
});
