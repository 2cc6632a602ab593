// The git IntentSource: pull-based GitOps for the policy repository.
//
// A bare clone lives in a cache directory (cloned once, reused across restarts); every
// `intervalMs` (default 30 s) and on demand (refresh()) the branch is fetched. A new
// commit is read under `path` (default generated/), parsed and validated by the
// compiler's manifest validator, and checked across objects. It is accepted, or rejected
// with every problem located by file and field; a rejected commit leaves the last good
// intent in force, so a bad commit never takes capacity away. Optionally only commits
// whose signature verifies (GPG keyring or SSH allowed-signers file) are followed.
// A fetch that fails (network, credentials) is logged and retried at the next interval.

import { redactUrl } from '../../../core/redact-url.ts';
import { parseIntentManifestFiles } from '../../../compiler/manifests/index.ts';
import type { Clock, TimerHandle } from '../../ports/clock.ts';
import type { Intent, IntentEvent, IntentProblem, IntentRejection, IntentSource } from '../../ports/intent.ts';
import type { Logger } from '../../observability/log.ts';
import { SystemClock } from '../../runtime/system-clock.ts';
import { PolicyRepository } from './repository.ts';
import { validateParsedIntent } from './validate.ts';

export interface SignatureVerification {
  /** An SSH allowed-signers file (git's gpg.ssh.allowedSignersFile). */
  readonly allowedSignersFile?: string;
  /** A GnuPG home whose keyring holds the trusted keys. */
  readonly gnupgHome?: string;
}

export interface GitIntentSourceConfig {
  /** https://, ssh://, git@host:path or file:// URL of the policy repository. */
  readonly url: string;
  /** Branch to follow. Default main. */
  readonly branch?: string;
  /** Pin this commit instead of following the branch. */
  readonly commit?: string;
  /** Directory of the compiled manifests in the repository. Default generated. */
  readonly path?: string;
  /** Where the bare clone is kept. */
  readonly cacheDir: string;
  /** Fetch interval. Default 30 s. */
  readonly intervalMs?: number;
  /** Follow only commits whose signature verifies. */
  readonly verifySignatures?: SignatureVerification;
  /** Extra environment for git (GIT_SSH_COMMAND ...) and `-c` settings (credential helpers). */
  readonly gitEnv?: Readonly<Record<string, string>>;
  readonly gitConfig?: readonly string[];
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export const DEFAULT_GIT_INTERVAL_MS = 30_000;

export class GitIntentSource implements IntentSource {
  private readonly clock: Clock;
  private readonly repo: PolicyRepository;
  private readonly branch: string;
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly listeners = new Set<(event: IntentEvent) => void>();
  private accepted: Intent | undefined;
  private rejection: IntentRejection | undefined;
  /** The last commit evaluated (accepted or rejected): not evaluated again. */
  private evaluated: string | undefined;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** The last fetch failure, cleared by a successful fetch (for readiness messages). */
  lastFetchError: string | undefined;

  constructor(private readonly config: GitIntentSourceConfig) {
    this.clock = config.clock ?? new SystemClock();
    this.branch = config.branch ?? 'main';
    this.path = (config.path ?? 'generated').replace(/^\.\//, '').replace(/\/+$/, '') || '.';
    this.intervalMs = config.intervalMs ?? DEFAULT_GIT_INTERVAL_MS;
    const verify = config.verifySignatures;
    this.repo = new PolicyRepository({
      url: config.url,
      cacheDir: config.cacheDir,
      env: { ...(config.gitEnv ?? {}), ...(verify?.gnupgHome ? { GNUPGHOME: verify.gnupgHome } : {}) },
      config: [...(config.gitConfig ?? []), ...(verify?.allowedSignersFile ? [`gpg.ssh.allowedSignersFile=${verify.allowedSignersFile}`] : [])],
    });
  }

  current(): Intent | undefined {
    return this.accepted;
  }

  lastRejection(): IntentRejection | undefined {
    return this.rejection;
  }

  subscribe(listener: (event: IntentEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches and evaluates now, then every interval. Resolves after the first attempt. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  /** Fetches now; concurrent calls share one fetch, and one more runs if asked meanwhile. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.poll();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(this.intervalMs, () => void this.refresh());
  }

  private async poll(): Promise<void> {
    let commit: string;
    try {
      commit = this.config.commit ? await this.repo.ensureCommit(this.config.commit) : await this.repo.fetchBranch(this.branch);
      this.lastFetchError = undefined;
    } catch (err) {
      const message = redactUrl(err instanceof Error ? err.message : String(err), this.config.url);
      if (message !== this.lastFetchError) {
        this.config.logger?.warn('policy repository fetch failed; the intent in force stays', {
          url: redactUrl(this.config.url),
          branch: this.branch,
          error: message,
          commitInForce: this.accepted?.commit,
        });
      }
      this.lastFetchError = message;
      return;
    }
    if (commit === this.evaluated) return;
    this.evaluated = commit;
    let problems: IntentProblem[];
    try {
      problems = await this.evaluate(commit);
    } catch (err) {
      this.evaluated = undefined; // could not be read (not: found invalid); try again next time
      this.config.logger?.warn('policy commit could not be read; retrying at the next fetch', { commit, error: redactUrl(err instanceof Error ? err.message : String(err), this.config.url) });
      return;
    }
    if (problems.length > 0) this.reject(commit, problems);
  }

  /** Accepts the commit (and returns []) or returns the problems that reject it. */
  private async evaluate(commit: string): Promise<IntentProblem[]> {
    if (this.config.verifySignatures) {
      const failure = await this.repo.verifyCommit(commit);
      if (failure) {
        return [{ file: '(commit)', field: 'signature', message: `the commit's signature does not verify against the configured keys: ${failure}; fix: sign the commit with a trusted key (git commit -S)` }];
      }
    }
    if (!(await this.repo.hasDirectory(commit, this.path))) {
      return [{ file: this.path, field: '(directory)', message: `no ${this.path}/ directory at this commit; fix: run \`joinery compile\` and commit ${this.path}/, or configure the manifests path` }];
    }
    const files = await this.repo.yamlFiles(commit, this.path);
    const validation = validateParsedIntent(parseIntentManifestFiles(files));
    if (!validation.ok) return validation.problems;
    const intent: Intent = { commit, nodePools: validation.nodePools, nodeClasses: validation.nodeClasses, acceptedAt: this.clock.now() };
    const previous = this.accepted?.commit;
    this.accepted = intent;
    this.rejection = undefined;
    this.config.logger?.info('policy commit accepted', {
      commit,
      subject: await this.repo.commitSubject(commit),
      previous,
      nodePools: intent.nodePools.map((p) => p.metadata.name),
      nodeClasses: intent.nodeClasses.map((c) => c.metadata.name),
      files: files.length,
    });
    this.emit({ type: 'accepted', intent });
    return [];
  }

  private reject(commit: string, problems: IntentProblem[]): void {
    const rejection: IntentRejection = { commit, problems, rejectedAt: this.clock.now() };
    this.rejection = rejection;
    this.config.logger?.warn('policy commit rejected; the last good intent stays in force', {
      commit,
      commitInForce: this.accepted?.commit,
      problems: problems.map((p) => `${p.file}: ${p.field}: ${p.message}`),
    });
    this.emit({ type: 'rejected', rejection });
  }

  private emit(event: IntentEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.config.logger?.error('intent listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
