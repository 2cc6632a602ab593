// The two sides of a plan as directories to compile: head defaults to the working tree
// (uncommitted changes included), base to the merge base of HEAD with the default branch.
// A ref other than the working tree is materialised in a temporary git worktree (with
// simple-git), detached at the ref's commit and removed afterwards, so the user's checkout
// is never touched.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ResolvedRef } from './types.ts';

/** A ref the user named that git does not know, or a repository problem: a usage error. */
export class RefError extends Error {
  override name = 'RefError';
}

export interface Repository {
  git: SimpleGit;
  /** The repository's top level. */
  top: string;
  /** The project root (where policies/ is), inside the repository. */
  root: string;
}

export async function openRepository(root: string): Promise<Repository> {
  const git = simpleGit({ baseDir: root });
  let top: string;
  try {
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new RefError(`${root} is not inside a git repository; joinery plan compares two git refs (run it in the repository, or pass -C <dir>)`);
  }
  return { git, top, root: resolve(root) };
}

/**
 * The commit `ref` names, or undefined. (simple-git does not reject when git fails
 * silently, as rev-parse --quiet does: the output is checked instead.)
 */
async function commitOf(repo: Repository, ref: string): Promise<string | undefined> {
  try {
    const out = (await repo.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The commit a ref names, or a RefError saying the ref is unknown. */
async function resolveCommit(repo: Repository, ref: string, flag: string): Promise<string> {
  const commit = await commitOf(repo, ref);
  if (commit !== undefined) return commit;
  throw new RefError(`${flag} ${ref}: unknown ref (no branch, tag or commit of that name in ${repo.top}); fetch it first (git fetch origin ${ref}) or name a commit`);
}

/** The default branch: origin's HEAD when known, else main or master, local or on origin. */
async function defaultBranch(repo: Repository): Promise<string> {
  try {
    const head = (await repo.git.raw(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'])).trim();
    if (head) return head.replace(/^refs\/remotes\//, '');
  } catch {
    // No origin/HEAD (a local repository, or a CI checkout without it): try the usual names.
  }
  for (const candidate of ['main', 'master', 'origin/main', 'origin/master']) {
    if ((await commitOf(repo, candidate)) !== undefined) return candidate;
  }
  throw new RefError('cannot tell the default branch (no origin/HEAD, main or master); pass --base <ref>');
}

export async function resolveHead(repo: Repository, head: string | undefined): Promise<ResolvedRef> {
  if (head === undefined) return { label: 'working tree', commit: null, workingTree: true };
  return { label: head, commit: await resolveCommit(repo, head, '--head'), workingTree: false };
}

export async function resolveBase(repo: Repository, base: string | undefined, head: ResolvedRef): Promise<ResolvedRef> {
  if (base !== undefined) return { label: base, commit: await resolveCommit(repo, base, '--base'), workingTree: false };
  const branch = await defaultBranch(repo);
  const headCommit = head.commit ?? (await resolveCommit(repo, 'HEAD', 'HEAD'));
  let mergeBase = '';
  try {
    mergeBase = (await repo.git.raw(['merge-base', headCommit, branch])).trim();
  } catch {
    // Reported below.
  }
  if (!/^[0-9a-f]{40,64}$/.test(mergeBase)) {
    throw new RefError(`no merge base between ${head.workingTree ? 'HEAD' : head.label} and ${branch} (unrelated histories, or a shallow clone: run git fetch --unshallow, or check out with fetch-depth: 0); pass --base <ref>`);
  }
  return { label: `merge base with ${branch}`, commit: mergeBase, workingTree: false };
}

/** A ref's project root on disk, and how to clean it up. */
export interface Checkout {
  root: string;
  dispose(): Promise<void>;
}

/**
 * The project root of `ref`: the working tree itself, or a temporary worktree at the ref's
 * commit. The worktree shares the checkout's node_modules (a symlink), so its policies
 * resolve the same packages without an install.
 */
export async function checkout(repo: Repository, ref: ResolvedRef): Promise<Checkout> {
  if (ref.workingTree || ref.commit === null) return { root: repo.root, dispose: async () => {} };
  const parent = await mkdtemp(join(tmpdir(), 'joinery-plan-'));
  const tree = join(parent, 'tree');
  const dispose = async (): Promise<void> => {
    try {
      await repo.git.raw(['worktree', 'remove', '--force', tree]);
    } catch {
      // Already gone, or never added: prune below forgets it either way.
    }
    await rm(parent, { recursive: true, force: true });
    await repo.git.raw(['worktree', 'prune']).catch(() => undefined);
  };
  try {
    await repo.git.raw(['worktree', 'add', '--detach', '--quiet', tree, ref.commit]);
  } catch (error) {
    await dispose();
    throw new RefError(`cannot check out ${ref.label} (${ref.commit.slice(0, 12)}) in a temporary worktree: ${(error as Error).message.trim()}`);
  }
  const root = join(tree, relative(repo.top, repo.root));
  if (!existsSync(root)) {
    await dispose();
    throw new RefError(`${ref.label} (${ref.commit.slice(0, 12)}) has no ${relative(repo.top, repo.root) || 'project'} directory`);
  }
  const modules = join(repo.root, 'node_modules');
  if (existsSync(modules) && !existsSync(join(root, 'node_modules'))) {
    await symlink(modules, join(root, 'node_modules'), 'dir').catch(() => undefined);
  }
  return { root, dispose };
}
