// The git IntentSource: pull-based GitOps for the policy repository.
//
// A bare clone lives in a cache directory (cloned once, reused across restarts); every
// `intervalMs` (default 30 s) and on demand (refresh()) the branch is fetched. A new
// commit is read under `path` (default generated/), parsed and validated by the
// compiler's manifest validator, and checked across objects. It is accepted, or rejected
// with every problem located by file and field; a rejected commit leaves the last good
// intent in force, so a bad commit never takes capacity away. Optionally only commits
// whose signature verifies (GPG keyring or SSH allowed-signers file) are followed.
// A fetch that fails (network, credentials) is logged, counted and retried at the next
// interval. Intent that survives:
// - a commit with no NodePool at all is rejected unless generated/ holds the explicit
//   NoNodePools marker (`joinery compile --allow-no-node-pools`);
// - the last accepted commit is recorded in the clone (refs/joinery/accepted); a process
//   that starts while the repository is unreachable serves it, and says so;
// - a YAML alias bomb is a rejection like any other bad commit (the parser bounds alias
//   expansion), and a rejected commit is not read again;
// - a branch tip that does not descend from the commit in force (a force-push) is
//   warned about and counted, and refused when refuseHistoryRewrites is set.

import { redactUrl } from '../../../core/redact-url.ts';
import { declaresNoNodePools, NO_NODE_POOLS_FILE, parseIntentManifestFiles } from '../../../compiler/manifests/index.ts';
import type { Clock, TimerHandle } from '../../ports/clock.ts';
import type { Intent, IntentEvent, IntentProblem, IntentRejection, IntentSource } from '../../ports/intent.ts';
import type { Logger } from '../../observability/log.ts';
import { SystemClock } from '../../runtime/system-clock.ts';
import type { GitSourceMetrics } from './metrics.ts';
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
  /**
   * Reject a branch tip that does not descend from the commit in force (a non-fast-forward
   * rewrite of the branch). Default false: such a tip is warned about, counted and followed.
   */
  readonly refuseHistoryRewrites?: boolean;
  readonly metrics?: GitSourceMetrics;
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
  /**
   * Set when the repository could not be fetched at start and the intent in force is the
   * last accepted commit recorded in the local clone; cleared by the next successful fetch.
   */
  servingFromClone: string | undefined;
  private cloneTried = false;

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
      this.config.metrics?.fetchFailures.inc();
      if (!this.accepted && !this.cloneTried) await this.startFromClone();
      return;
    }
    this.cloneTried = true;
    this.servingFromClone = undefined;
    if (commit === this.evaluated) return;
    this.evaluated = commit;
    const inForce = this.accepted?.commit;
    if (!this.config.commit && inForce && inForce !== commit && !(await this.repo.isAncestor(inForce, commit))) {
      const refuse = this.config.refuseHistoryRewrites === true;
      this.config.metrics?.historyRewrites.inc({ action: refuse ? 'refused' : 'warned' });
      this.config.logger?.warn('the tracked branch was rewritten: its tip does not descend from the commit in force (non-fast-forward)', {
        branch: this.branch,
        tip: commit,
        commitInForce: inForce,
        refused: refuse,
      });
      if (refuse) {
        this.reject(commit, [
          {
            file: '(history)',
            field: `branch ${this.branch}`,
            message: `the branch was rewritten: ${commit} does not descend from the commit in force ${inForce}, and refuseHistoryRewrites is set; fix: push a commit that merges ${inForce} (or revert instead of force-pushing), or turn the setting off to follow the rewrite`,
          },
        ]);
        return;
      }
    }
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
    const parsed = parseIntentManifestFiles(files);
    const validation = validateParsedIntent(parsed);
    if (!validation.ok) return validation.problems;
    if (validation.nodePools.length === 0 && !declaresNoNodePools(parsed.manifests.others)) {
      return [
        {
          file: this.path,
          field: '(NodePools)',
          message: `no NodePool is declared under ${this.path}/ at this commit, which would stop all provisioning${this.accepted ? ` (the commit in force ${this.accepted.commit} declares ${this.accepted.nodePools.length})` : ''}; fix: restore the NodePools, or, if no pool is wanted on purpose, compile with \`joinery compile --allow-no-node-pools\` (it writes ${this.path}/${NO_NODE_POOLS_FILE})`,
        },
      ];
    }
    const intent: Intent = {
      commit,
      nodePools: validation.nodePools,
      nodeClasses: validation.nodeClasses,
      ...(validation.nodeOverlays.length > 0 ? { nodeOverlays: validation.nodeOverlays } : {}),
      acceptedAt: this.clock.now(),
    };
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
    await this.repo.recordAccepted(commit).catch((err: unknown) =>
      this.config.logger?.warn('could not record the accepted commit in the clone; a restart while the repository is unreachable will have no intent', {
        commit,
        error: redactUrl(err instanceof Error ? err.message : String(err), this.config.url),
      }),
    );
    this.emit({ type: 'accepted', intent });
    return [];
  }

  /**
   * At start, with the repository unreachable: the last accepted commit recorded in the
   * clone becomes the intent in force (re-read and re-validated from the clone's objects).
   */
  private async startFromClone(): Promise<void> {
    this.cloneTried = true;
    let commit: string | undefined;
    try {
      // A pinned commit already in the clone is read without fetching: only a followed branch needs this.
      commit = this.config.commit ? undefined : await this.repo.recordedAccepted();
    } catch {
      commit = undefined;
    }
    if (!commit) return;
    let problems: IntentProblem[];
    try {
      problems = await this.evaluate(commit);
    } catch (err) {
      this.config.logger?.warn('the last accepted commit could not be read from the local clone', { commit, error: redactUrl(err instanceof Error ? err.message : String(err), this.config.url) });
      return;
    }
    if (problems.length > 0) {
      this.config.logger?.warn('the last accepted commit in the local clone no longer validates; not serving it', { commit, problems: problems.map((p) => `${p.file}: ${p.field}: ${p.message}`) });
      return;
    }
    this.servingFromClone = commit;
    this.evaluated = commit;
    // The fetch error (and the URL in it) was logged by the fetch-failure warning just before.
    this.config.logger?.warn('policy repository unreachable at start; serving the last accepted commit from the local clone until a fetch succeeds', {
      branch: this.branch,
      commit,
    });
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
