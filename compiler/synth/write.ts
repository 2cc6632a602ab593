// Writing generated/ atomically, and comparing it with what the policies compile to.
// The new tree is written beside the old one, read back and checked, then swapped in with
// two renames; a compile that fails never gets here, and one that fails while writing
// leaves the old tree in place, byte for byte.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { GeneratedFile } from './synthesize.ts';

export interface TreeDiff {
  /** Files whose content differs. */
  changed: string[];
  /** Files the policies produce that are missing. */
  added: string[];
  /** Files present that the policies no longer produce. */
  removed: string[];
}

export function isEmptyDiff(diff: TreeDiff): boolean {
  return diff.changed.length === 0 && diff.added.length === 0 && diff.removed.length === 0;
}

const SAFE_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

function assertSafe(path: string): void {
  if (!SAFE_PATH.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`refusing to write ${JSON.stringify(path)}: not a plain relative path`);
  }
}

/** Every file under `dir` (relative paths with /), with its content; empty if `dir` does not exist. */
async function readTree(dir: string): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return tree;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    tree.set(full.slice(dir.length + 1).split('\\').join('/'), await readFile(full, 'utf8'));
  }
  return tree;
}

function diffTree(expected: readonly GeneratedFile[], actual: ReadonlyMap<string, string>): TreeDiff {
  const diff: TreeDiff = { changed: [], added: [], removed: [] };
  const wanted = new Set<string>();
  for (const file of expected) {
    wanted.add(file.path);
    const current = actual.get(file.path);
    if (current === undefined) diff.added.push(file.path);
    else if (current !== file.content) diff.changed.push(file.path);
  }
  for (const path of actual.keys()) if (!wanted.has(path)) diff.removed.push(path);
  diff.changed.sort();
  diff.added.sort();
  diff.removed.sort();
  return diff;
}

/** Compares `outDir` with the expected files, without writing anything. */
export async function checkTree(outDir: string, files: readonly GeneratedFile[]): Promise<TreeDiff> {
  return diffTree(files, await readTree(outDir));
}

/**
 * Makes `outDir` hold exactly `files`. Does nothing when it already does (timestamps are
 * kept). Otherwise builds the whole tree in a sibling temporary directory, verifies it,
 * and swaps it in.
 */
export async function writeTreeAtomically(outDir: string, files: readonly GeneratedFile[]): Promise<TreeDiff> {
  for (const file of files) assertSafe(file.path);
  const diff = await checkTree(outDir, files);
  if (isEmptyDiff(diff)) return diff;

  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const parent = dirname(outDir);
  const staging = join(parent, `.${basename(outDir)}.joinery-new-${suffix}`);
  const previous = join(parent, `.${basename(outDir)}.joinery-old-${suffix}`);
  try {
    for (const file of files) {
      const target = join(staging, file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content);
    }
    await mkdir(staging, { recursive: true });
    const written = diffTree(files, await readTree(staging));
    if (!isEmptyDiff(written)) throw new Error(`the staged tree ${staging} does not match what was compiled`);

    let moved = false;
    try {
      await rename(outDir, previous);
      moved = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      await rename(staging, outDir);
    } catch (error) {
      if (moved) await rename(previous, outDir);
      throw error;
    }
    if (moved) await rm(previous, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return diff;
}
