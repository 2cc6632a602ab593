import { editDistance } from '../../../core/edit-distance.ts';

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['instance-family', 'instance-famliy', 2],
    ['zone', 'zone', 0],
  ])('%s -> %s is %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  test('case counts unless ignored', () => {
    expect(editDistance('NodePool', 'nodepool')).toBe(2);
    expect(editDistance('NodePool', 'nodepool', { ignoreCase: true })).toBe(0);
  });
});
