// Seeded pseudo-randomness for the simulator: every run with the same seed is the same run.

/** mulberry32: a small, fast, well-distributed 32-bit generator. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit of a string, for deriving stable per-key values from a seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A uniform [0, 1) value determined by the seed and the key. */
export function keyedUniform(seed: number, key: string): number {
  return mulberry32(hash32(`${seed}:${key}`))();
}

/** Lower-case alphanumerics, as the API server's generateName suffixes. */
export function randomSuffix(next: () => number, length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}
