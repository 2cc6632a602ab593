// A real policy repository for a test: a bare repository on disk (reached by the
// reconciler through a file:// URL, as it would reach GitHub) and a working clone that
// plays the platform team pushing compiled manifests. Plain git, no mocks.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface PolicyRepo {
  /** file:// URL of the bare repository. */
  readonly url: string;
  /** A fresh directory the reconciler may use for its clone. */
  readonly cacheDir: string;
  /** Replaces generated/ with these files (path -> object or YAML text), commits and pushes; returns the SHA. */
  push(files: Readonly<Record<string, unknown>>, message: string): string;
  /** As push, with the commit signed by this SSH key (git's gpg.format=ssh). */
  pushSigned(files: Readonly<Record<string, unknown>>, message: string, sshPublicKey: string): string;
  remove(): void;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Platform Team', '-c', 'user.email=platform@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export function createPolicyRepo(prefix = 'joinery-policy-'): PolicyRepo {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const bare = join(root, 'policies.git');
  const work = join(root, 'work');
  mkdirSync(bare);
  git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
  git(root, 'clone', '--quiet', bare, work);
  git(work, 'checkout', '--quiet', '-B', 'main');
  const commit = (files: Readonly<Record<string, unknown>>, message: string, sign: string[]) => {
    rmSync(join(work, 'generated'), { recursive: true, force: true });
    for (const [path, content] of Object.entries(files)) {
      const file = join(work, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, typeof content === 'string' ? content : stringify(content));
    }
    git(work, 'add', '-A');
    git(work, ...sign, 'commit', '--quiet', '--allow-empty', '-m', message, ...(sign.length ? ['-S'] : []));
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    return git(work, 'rev-parse', 'HEAD');
  };
  return {
    url: `file://${bare}`,
    cacheDir: join(root, 'reconciler-cache'),
    push: (files, message) => commit(files, message, []),
    pushSigned: (files, message, key) => commit(files, message, ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`]),
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
