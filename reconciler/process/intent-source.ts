// The IntentSource of the process: the policy repository (git), or the NodePools and
// EC2NodeClasses Argo CD or Flux applied (cluster). Git credentials come from a mounted
// Secret: `username` + `password` (HTTPS, kubernetes.io/basic-auth) or `ssh-privatekey`
// / `identity` + `known_hosts` (SSH). They are read by git from those files when it needs
// them and never appear in a command line, the environment or a log.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { ClusterIntentSource } from '../adapters/cluster-intent/index.ts';
import { GitIntentSource } from '../adapters/git/index.ts';
import { GitSourceMetrics } from '../adapters/git/metrics.ts';
import type { Logger } from '../observability/log.ts';
import type { Clock } from '../ports/clock.ts';
import type { IntentSource } from '../ports/intent.ts';
import type { GitConfig, ReconcilerProcessConfig } from './config.ts';

export interface RunnableIntentSource extends IntentSource {
  /** Resolves after the first fetch (git) or the first full list (cluster). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Single-quoted for sh. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface GitAuth {
  /** The environment git runs with: a HOME of its own (its .gitconfig holds the credential settings). */
  readonly gitEnv: Record<string, string>;
}

function setGitConfig(file: string, key: string, value: string): void {
  execFileSync('git', ['config', '--file', file, key, value], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * How git authenticates with the mounted credentials (none: a public repository). git gets
 * a HOME of its own under the work directory, whose .gitconfig sets core.sshCommand (SSH)
 * or a credential helper reading the Secret's files when git asks (HTTPS): plain git
 * configuration, nothing on a command line or in the environment. GIT_* variables of the
 * process (GIT_SSL_CAINFO for a private CA, ...) are passed through.
 */
export function gitAuthFrom(git: GitConfig, workDir: string, processEnv: Readonly<Record<string, string | undefined>> = process.env): GitAuth {
  const home = join(workDir, 'home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const gitconfig = join(home, '.gitconfig');
  rmSync(gitconfig, { force: true });
  const ambient = Object.fromEntries(Object.entries(processEnv).filter((e): e is [string, string] => /^GIT_/i.test(e[0]) && e[1] !== undefined));
  const gitEnv: Record<string, string> = { ...ambient, HOME: home, GIT_TERMINAL_PROMPT: '0' };
  const dir = git.credentialsDir;
  if (!dir) return { gitEnv };
  const keyFile = ['ssh-privatekey', 'identity'].map((n) => join(dir, n)).find((p) => existsSync(p));
  if (keyFile) {
    const knownHosts = join(dir, 'known_hosts');
    if (!existsSync(knownHosts)) {
      throw new Error(`${keyFile} is an SSH key but ${knownHosts} is missing: add the server's host keys (ssh-keyscan <host>) to the Secret as known_hosts; joinery does not trust unknown hosts`);
    }
    // ssh refuses a key others can read; a Secret volume's files are group-readable.
    const identity = join(home, 'ssh-identity');
    copyFileSync(keyFile, identity);
    chmodSync(identity, 0o600);
    setGitConfig(gitconfig, 'core.sshCommand', `ssh -i ${shellQuote(identity)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${shellQuote(knownHosts)} -o StrictHostKeyChecking=yes -o BatchMode=yes`);
    return { gitEnv };
  }
  const password = join(dir, 'password');
  if (existsSync(password)) {
    const username = join(dir, 'username');
    const user = existsSync(username) ? `echo username=$(cat ${shellQuote(username)})` : 'echo username=git';
    setGitConfig(gitconfig, 'credential.helper', `!f() { test "$1" = get || exit 0; ${user}; echo password=$(cat ${shellQuote(password)}); }; f`);
    return { gitEnv };
  }
  throw new Error(`${dir} holds no git credentials: expected username + password, or ssh-privatekey (or identity) + known_hosts`);
}

export function createIntentSource(
  config: ReconcilerProcessConfig,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly kubeConfig: KubeConfig; readonly registry?: Registry },
): RunnableIntentSource {
  if (config.intentSource === 'cluster' || !config.git) {
    return new ClusterIntentSource({ kubeConfig: deps.kubeConfig, clock: deps.clock, logger: deps.logger });
  }
  const git = config.git;
  const auth = gitAuthFrom(git, config.workDir);
  return new GitIntentSource({
    url: git.url,
    branch: git.branch,
    path: git.path,
    cacheDir: join(config.workDir, 'repository'),
    intervalMs: git.pollIntervalMs,
    ...(git.allowedSignersFile ? { verifySignatures: { allowedSignersFile: git.allowedSignersFile } } : {}),
    gitEnv: auth.gitEnv,
    ...(git.refuseHistoryRewrites ? { refuseHistoryRewrites: true } : {}),
    ...(deps.registry ? { metrics: new GitSourceMetrics(deps.registry) } : {}),
    clock: deps.clock,
    logger: deps.logger,
  });
}
