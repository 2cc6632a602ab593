// The policy repository, as the reconciler sees it: a bare clone in a cache directory
// (cloned once, then fetched), from which the manifests under a path are read at a
// commit without any working tree. All git work goes through simple-git.

import { redactUrl } from '../../../core/redact-url.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ManifestFile } from '../../../compiler/manifests/index.ts';

export interface RepositoryOptions {
  readonly url: string;
  /** Where the bare clone lives; reused across restarts. */
  readonly cacheDir: string;
  /** Environment for git (e.g. GIT_SSH_COMMAND, GNUPGHOME); GIT_* keys are allowed explicitly. */
  readonly env?: Readonly<Record<string, string>>;
  /** `git -c key=value` settings (credential helpers, gpg.ssh.allowedSignersFile ...). */
  readonly config?: readonly string[];
  /** A git command running longer than this without output is killed. Default 2 min. */
  readonly timeoutMs?: number;
}

export class GitRepositoryError extends Error {
  constructor(action: string, url: string, cause: unknown) {
    // git echoes the remote URL in its errors: credentials in it never reach the message.
    const detail = (cause instanceof Error ? cause.message : String(cause)).trim().split('\n').slice(-3).join(' ');
    super(`git ${action} of ${redactUrl(url)} failed: ${redactUrl(detail, url)}`);
    this.name = 'GitRepositoryError';
  }
}

const INTERACTIVE_VARIABLES = ['EDITOR', 'VISUAL', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'PAGER', 'GIT_PAGER'];

const REMOTE_REF = (branch: string) => `refs/remotes/origin/${branch}`;
/** Where the clone keeps the last accepted commit (not a branch: fetch --prune leaves it alone). */
export const ACCEPTED_REF = 'refs/joinery/accepted';

export class PolicyRepository {
  private readonly git: SimpleGit;
  private ready = false;

  constructor(private readonly options: RepositoryOptions) {
    mkdirSync(options.cacheDir, { recursive: true });
    const env = options.env ?? {};
    // simple-git strips or refuses GIT_* (and a few other) variables it was not told about;
    // everything handed to git here is deliberate, so all of it is allowed.
    const merged = { ...process.env, ...env } as Record<string, string>;
    // Fetching never opens an editor, pager or password prompt. npm sets EDITOR for its
    // scripts, and simple-git refuses such variables unless told they are safe: drop them.
    for (const interactive of INTERACTIVE_VARIABLES) delete merged[interactive];
    this.git = simpleGit({
      baseDir: options.cacheDir,
      maxConcurrentProcesses: 4,
      config: [...(options.config ?? [])],
      timeout: { block: options.timeoutMs ?? 120_000 },
      allowEnvironment: Object.keys(env).length > 0 ? Object.keys(merged) : [],
    } as Parameters<typeof simpleGit>[0]);
    if (Object.keys(env).length > 0) this.git.env(merged);
  }

  /** A bare repository whose origin is the configured URL (created once, reused after). */
  private async ensureRepository(): Promise<void> {
    if (this.ready) return;
    const dir = this.options.cacheDir;
    try {
      if (!existsSync(join(dir, 'HEAD'))) {
        await this.git.init(true);
        await this.git.addRemote('origin', this.options.url);
      } else {
        const remotes = await this.git.getRemotes(true);
        const origin = remotes.find((r) => r.name === 'origin');
        if (!origin) await this.git.addRemote('origin', this.options.url);
        else if (origin.refs.fetch !== this.options.url) await this.git.remote(['set-url', 'origin', this.options.url]);
      }
    } catch (err) {
      throw new GitRepositoryError('init', this.options.url, err);
    }
    this.ready = true;
  }

  /** Fetches the branch (first call: a clone); returns the commit the branch points at. */
  async fetchBranch(branch: string): Promise<string> {
    await this.ensureRepository();
    try {
      await this.git.fetch(['--prune', '--no-tags', 'origin', `+refs/heads/${branch}:${REMOTE_REF(branch)}`]);
    } catch (err) {
      throw new GitRepositoryError(`fetch of branch ${branch}`, this.options.url, err);
    }
    return (await this.git.revparse(['--verify', `${REMOTE_REF(branch)}^{commit}`])).trim();
  }

  /** Makes sure a pinned commit is present (fetching it by id if the branch did not bring it). */
  async ensureCommit(commit: string): Promise<string> {
    await this.ensureRepository();
    const resolved = await this.resolve(commit);
    if (resolved) return resolved;
    try {
      await this.git.fetch(['--no-tags', 'origin', commit]);
    } catch (err) {
      throw new GitRepositoryError(`fetch of commit ${commit}`, this.options.url, err);
    }
    const fetched = await this.resolve(commit);
    if (!fetched) throw new GitRepositoryError(`lookup of commit ${commit}`, this.options.url, new Error('no such commit after fetching it'));
    return fetched;
  }

  private async resolve(commit: string): Promise<string | undefined> {
    try {
      return (await this.git.revparse(['--verify', '--quiet', `${commit}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Does `path` exist as a directory at `commit`? */
  async hasDirectory(commit: string, path: string): Promise<boolean> {
    const clean = path.replace(/\/+$/, '');
    if (clean === '' || clean === '.') return true;
    try {
      const type = (await this.git.raw(['cat-file', '-t', `${commit}:${clean}`])).trim();
      return type === 'tree';
    } catch {
      return false;
    }
  }

  /** The YAML files under `path` at `commit`, with their repository-relative paths. */
  async yamlFiles(commit: string, path: string): Promise<ManifestFile[]> {
    const clean = path.replace(/\/+$/, '');
    const out = await this.git.raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', clean === '.' ? '' : clean]);
    const entries = out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, object] = line.slice(0, tab).split(' ') as [string, string, string];
        return { mode, type, object, path: line.slice(tab + 1) };
      })
      .filter((e) => e.type === 'blob' && /\.ya?ml$/.test(e.path));
    return Promise.all(entries.map(async (e) => ({ path: e.path, content: await this.git.raw(['cat-file', 'blob', e.object]) })));
  }

  /**
   * The commit's signature as git judges it with the configured keys (%G?): undefined when
   * good ("G"), else why not. Git exits non-zero without output for an unsigned commit,
   * so the verdict is read rather than the exit code.
   */
  async verifyCommit(commit: string): Promise<string | undefined> {
    const [verdict = 'E', signer = '', key = ''] = (await this.git.raw(['log', '-1', '--format=%G?%n%GS%n%GK', commit])).split('\n');
    if (verdict === 'G') return undefined;
    const reasons: Record<string, string> = {
      N: 'the commit is not signed',
      B: 'the signature is bad',
      U: 'the signature is good but its key is not trusted',
      X: 'the signature has expired',
      Y: 'the signing key has expired',
      R: 'the signing key is revoked',
      E: 'the signature cannot be checked (is the signing key among the configured ones?)',
    };
    return `${reasons[verdict] ?? `git reports "${verdict}"`}${signer || key ? ` (signer ${signer || '?'}, key ${key || '?'})` : ''}`;
  }

  /** Is `ancestor` reachable from `descendant` (a fast-forward from it)? */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    // Not `merge-base --is-ancestor`: simple-git reads a silent non-zero exit as success.
    try {
      const base = (await this.git.raw(['merge-base', ancestor, descendant])).trim();
      const resolved = await this.resolve(ancestor);
      return base !== '' && base === resolved;
    } catch {
      return false;
    }
  }

  /** Records the last accepted commit in the clone (refs/joinery/accepted): it survives restarts. */
  async recordAccepted(commit: string): Promise<void> {
    await this.ensureRepository();
    await this.git.raw(['update-ref', ACCEPTED_REF, commit]);
  }

  /** The commit recorded by recordAccepted, if the clone holds one (and its objects). */
  async recordedAccepted(): Promise<string | undefined> {
    if (!existsSync(join(this.options.cacheDir, 'HEAD'))) return undefined;
    await this.ensureRepository();
    return this.resolve(ACCEPTED_REF);
  }

  async commitSubject(commit: string): Promise<string> {
    try {
      return (await this.git.raw(['log', '-1', '--format=%s', commit])).trim();
    } catch {
      return '';
    }
  }
}
