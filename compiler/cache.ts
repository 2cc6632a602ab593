// A content-addressed cache for derived data that is slow to rebuild on every compile
// (the parsed CRDs, ajv's compiled validators). Entries are named by a hash of their
// inputs, so they never go stale; the directory (.joinery/cache/ in joinery's own tree,
// git-ignored) can be deleted at any time. When it cannot be written, everything still
// works, only slower.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE_DIR = fileURLToPath(new URL('../.joinery/cache/', import.meta.url));

export function contentHash(...parts: readonly string[]): string {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex').slice(0, 16);
}

/** The cached text for `key`, computing and storing it on a miss. */
export function cachedText(key: string, compute: () => string): string {
  const path = join(CACHE_DIR, key);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    const text = compute();
    try {
      mkdirSync(CACHE_DIR, { recursive: true });
      // Write then rename: a concurrent reader never sees a partial entry.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, text);
      renameSync(temporary, path);
    } catch {
      // Read-only installation: no cache.
    }
    return text;
  }
}

/** The path of a cached file for `key` (after ensuring it exists), or undefined when it cannot be written. */
export function cachedFile(key: string, compute: () => string): string | undefined {
  cachedText(key, compute);
  try {
    readFileSync(join(CACHE_DIR, key));
    return join(CACHE_DIR, key);
  } catch {
    return undefined;
  }
}
