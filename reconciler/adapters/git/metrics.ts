// Metrics of the git IntentSource, in the process's registry (the rejected commits
// themselves are counted by the status controller, joinery_intent_rejected_commits_total).

import { Counter, type Registry } from 'prom-client';

export class GitSourceMetrics {
  /** Fetches of the policy repository that failed (network, credentials, missing branch). */
  readonly fetchFailures: Counter;
  /** Fetches whose branch tip no longer descends from the commit in force (force-push, reset). */
  readonly historyRewrites: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fetchFailures = new Counter({
      name: 'joinery_git_fetch_failures_total',
      help: 'Fetches of the policy repository that failed; the intent in force stays.',
      registers,
    });
    this.historyRewrites = new Counter({
      name: 'joinery_git_history_rewrites_total',
      help: 'Branch tips that do not descend from the commit in force (a non-fast-forward rewrite of the tracked branch), by action (warned, refused).',
      labelNames: ['action'],
      registers,
    });
  }
}
