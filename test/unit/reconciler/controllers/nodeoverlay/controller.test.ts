import { nodeOverlayStatus } from '../../../../../reconciler/controllers/nodeoverlay/controller.ts';

const NOW = '2026-03-03T00:00:00.000Z';
const LATER = '2026-03-03T01:00:00.000Z';

describe('nodeOverlayStatus', () => {
  it('valid and applied: ValidationSucceeded and Ready True, with the generation judged', () => {
    const s = nodeOverlayStatus({ name: 'a', problems: [] }, undefined, 3, NOW);
    expect(s.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['ValidationSucceeded', 'True', 3],
      ['Ready', 'True', 3],
    ]);
  });

  it('a problem: both False with the field, message and fix', () => {
    const s = nodeOverlayStatus({ name: 'a', problems: [{ field: 'spec.priceAdjustment', message: 'bad', fix: 'write -10%' }] }, undefined, 1, NOW);
    expect(s.conditions?.find((c) => c.type === 'ValidationSucceeded')).toMatchObject({ status: 'False', reason: 'ValidationFailed', message: 'spec.priceAdjustment: bad; fix: write -10%' });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
  });

  it('a conflict: Ready False naming the other overlay and the fix; a transition keeps its time while nothing changes', () => {
    const s = nodeOverlayStatus({ name: 'b', problems: [], conflictsWith: 'a', conflictDetail: 'the price of m7i.large' }, undefined, 1, NOW);
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'Conflict', message: expect.stringContaining('conflicts with NodeOverlay a (same weight) on the price of m7i.large') });
    const again = nodeOverlayStatus({ name: 'b', problems: [], conflictsWith: 'a', conflictDetail: 'the price of m7i.large' }, s.conditions, 1, LATER);
    expect(again.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe(ready.lastTransitionTime);
  });
});
