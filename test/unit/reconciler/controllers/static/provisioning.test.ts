import { scaleUpCount } from '../../../../../reconciler/controllers/static/provisioning.ts';

describe('scaleUpCount', () => {
  test('launches what replicas lacks, claims being deleted not counted', () => {
    expect(scaleUpCount({ desired: 3, present: 1, claims: 2, limit: Infinity })).toEqual({ launch: 2, heldByLimit: 0 });
  });
  test('never past limits.nodes, which counts every claim (deleting ones included)', () => {
    expect(scaleUpCount({ desired: 3, present: 1, claims: 2, limit: 3 })).toEqual({ launch: 1, heldByLimit: 1 });
    expect(scaleUpCount({ desired: 3, present: 2, claims: 3, limit: 3 })).toEqual({ launch: 0, heldByLimit: 1 });
  });
  test('nothing when replicas is met or exceeded (scale-down is the other step)', () => {
    expect(scaleUpCount({ desired: 2, present: 2, claims: 2, limit: 3 })).toEqual({ launch: 0, heldByLimit: 0 });
    expect(scaleUpCount({ desired: 0, present: 2, claims: 2, limit: 3 })).toEqual({ launch: 0, heldByLimit: 0 });
  });
});
