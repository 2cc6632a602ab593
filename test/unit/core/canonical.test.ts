import { canonicalJson, fnv1a64 } from '../../../core/canonical.ts';

describe('canonicalJson', () => {
  test('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"z":1}]},"b":1}');
  });

  test('equal values in a different key order give the same text', () => {
    expect(canonicalJson({ x: 1, y: 'two' })).toBe(canonicalJson({ y: 'two', x: 1 }));
  });

  test('dates as ISO strings, undefined at the top as null', () => {
    expect(canonicalJson(new Date(Date.UTC(2026, 0, 2)))).toBe('"2026-01-02T00:00:00.000Z"');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('fnv1a64', () => {
  test('the FNV-1a 64-bit reference values, in decimal', () => {
    expect(fnv1a64('')).toBe(BigInt('0xcbf29ce484222325').toString(10));
    expect(fnv1a64('a')).toBe(BigInt('0xaf63dc4c8601ec8c').toString(10));
    expect(fnv1a64('foobar')).toBe(BigInt('0x85944171f73967e8').toString(10));
  });

  test('hashes the UTF-8 bytes', () => {
    expect(fnv1a64('é')).not.toBe(fnv1a64('e'));
  });
});
