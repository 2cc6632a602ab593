import { formatResourceQuantity, parseQuantity, parseResourceQuantity, QuantityError } from '../../../../core/index.ts';
import { tryParseQuantity } from '../../../../core/resources/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['100m', 0.1],
    ['2', 2],
    ['1.5', 1.5],
    ['1Ki', 1024],
    ['1Gi', 2 ** 30],
    ['500Mi', 500 * 2 ** 20],
    ['1k', 1000],
    ['2M', 2e6],
    ['1e3', 1000],
    ['2E-3', 0.002],
    ['.5', 0.5],
  ])('parses %s', (q, v) => {
    expect(parseQuantity(q)).toBeCloseTo(v, 9);
  });

  it('rejects what is not a quantity, naming it and showing examples', () => {
    expect(() => parseQuantity('1 Gi')).toThrow(QuantityError);
    expect(() => parseQuantity('abc')).toThrow(/invalid quantity "abc".*e\.g\. "500m"/);
    expect(() => parseQuantity('1Gb')).toThrow(QuantityError);
  });
});

describe('tryParseQuantity (the compiler checks policy values with it)', () => {
  it('gives the value, or undefined for what is not a quantity', () => {
    expect(tryParseQuantity('64Gi')).toBe(64 * 2 ** 30);
    expect(tryParseQuantity('-1')).toBe(-1);
    expect(tryParseQuantity(' 500m ')).toBeCloseTo(0.5, 9);
    expect(tryParseQuantity(4)).toBe(4);
    expect(tryParseQuantity('lots')).toBeUndefined();
    expect(tryParseQuantity('1.5h')).toBeUndefined();
    expect(tryParseQuantity(Number.NaN)).toBeUndefined();
  });
});

describe('parseResourceQuantity', () => {
  it('gives cpu in whole millicores, rounding up as the kubelet does', () => {
    expect(parseResourceQuantity('cpu', '100m')).toBe(100);
    expect(parseResourceQuantity('cpu', '0.1')).toBe(100);
    expect(parseResourceQuantity('cpu', '2')).toBe(2000);
    expect(parseResourceQuantity('cpu', '0.0001')).toBe(1);
  });

  it('gives memory in bytes and other resources as counts', () => {
    expect(parseResourceQuantity('memory', '1Gi')).toBe(1073741824);
    expect(parseResourceQuantity('memory', '1.5')).toBe(2);
    expect(parseResourceQuantity('nvidia.com/gpu', '1')).toBe(1);
    expect(parseResourceQuantity('pods', 110)).toBe(110);
  });
});

describe('formatResourceQuantity', () => {
  it('prints amounts for people', () => {
    expect(formatResourceQuantity('cpu', 1500)).toBe('1500m');
    expect(formatResourceQuantity('cpu', 2000)).toBe('2');
    expect(formatResourceQuantity('memory', 4 * 2 ** 30)).toBe('4Gi');
    expect(formatResourceQuantity('nvidia.com/gpu', 3)).toBe('3');
  });
});
