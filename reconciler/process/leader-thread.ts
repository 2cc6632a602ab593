// Leader election on a thread of its own (leader-thread-worker.ts), seen from the main
// thread: the worker renews the Lease whatever the controllers keep the main event loop
// busy with, and publishes in shared memory whether it leads and when its last renewal was
// sent. isLeader() reads that synchronously and applies the renew deadline itself, so the
// fence closes on time even if a message from the worker is still queued.

import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../observability/log.ts';
import type { LeaderElectionConfig } from './config.ts';
import type { LeaderElectionEvents } from './leader-election.ts';

/** Slots of the shared BigInt64Array. */
export const SLOT = { leading: 0, renewSentAt: 1, known: 2 } as const;

export type ThreadMessage =
  | { readonly type: 'started' }
  | { readonly type: 'stopped'; readonly reason: 'lost' | 'released' }
  | { readonly type: 'leader'; readonly identity: string }
  | { readonly type: 'error'; readonly operation: 'get' | 'create' | 'update' }
  | { readonly type: 'released' };

export type WorkerCommand = { readonly type: 'release' };

export interface LeadershipView {
  isLeader(): boolean;
  leadershipKnown(): boolean;
  /** Milliseconds since the last renewal while leading, else undefined. */
  msSinceRenewal(): number | undefined;
}

export interface ThreadedLeaderElectionOptions {
  readonly election: LeaderElectionConfig;
  readonly kubeconfigPath: string | undefined;
  readonly logLevel: LogLevel;
}

/** Runs the worker's TypeScript through tsx, as the process itself is run. */
function bootstrap(workerModule: string): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(workerModule)}); })`;
}

export class ThreadedLeaderElection implements LeadershipView {
  private readonly shared = new BigInt64Array(new SharedArrayBuffer(8 * 3));
  private readonly worker: Worker;
  private releasedWaiters: (() => void)[] = [];
  private exited = false;

  constructor(
    private readonly options: ThreadedLeaderElectionOptions,
    private readonly events: Pick<LeaderElectionEvents, 'onStartedLeading' | 'onStoppedLeading' | 'onError'> & { onThreadFailed(err: Error): void },
  ) {
    const e = options.election;
    this.worker = new Worker(bootstrap(new URL('./leader-thread-worker.ts', import.meta.url).href), {
      eval: true,
      workerData: {
        kubeconfigPath: options.kubeconfigPath,
        namespace: e.namespace,
        leaseName: e.leaseName,
        identity: e.identity,
        timing: { leaseDurationMs: e.leaseDurationMs, renewDeadlineMs: e.renewDeadlineMs, retryPeriodMs: e.retryPeriodMs },
        logLevel: options.logLevel,
        shared: this.shared.buffer,
      },
    });
    this.worker.on('message', (m: ThreadMessage) => this.onMessage(m));
    this.worker.on('error', (err) => this.events.onThreadFailed(err));
    this.worker.on('exit', (code) => {
      this.exited = true;
      Atomics.store(this.shared, SLOT.leading, 0n);
      for (const w of this.releasedWaiters.splice(0)) w();
      if (code !== 0 && code !== 1) this.events.onThreadFailed(new Error(`the leader election thread exited with code ${code}`));
    });
  }

  isLeader(): boolean {
    return (
      Atomics.load(this.shared, SLOT.leading) === 1n &&
      Date.now() < Number(Atomics.load(this.shared, SLOT.renewSentAt)) + this.options.election.renewDeadlineMs
    );
  }

  leadershipKnown(): boolean {
    return Atomics.load(this.shared, SLOT.known) === 1n;
  }

  msSinceRenewal(): number | undefined {
    return Atomics.load(this.shared, SLOT.leading) === 1n ? Date.now() - Number(Atomics.load(this.shared, SLOT.renewSentAt)) : undefined;
  }

  /** Steps down (the fence closes at once) and frees the Lease; then the thread ends. */
  async release(timeoutMs: number): Promise<void> {
    if (this.exited) return;
    const released = new Promise<void>((resolve) => this.releasedWaiters.push(resolve));
    this.worker.postMessage({ type: 'release' } satisfies WorkerCommand);
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([released, timer]);
    Atomics.store(this.shared, SLOT.leading, 0n);
    await this.worker.terminate();
  }

  private onMessage(m: ThreadMessage): void {
    switch (m.type) {
      case 'started':
        this.events.onStartedLeading(new AbortController().signal);
        return;
      case 'stopped':
        this.events.onStoppedLeading(m.reason);
        return;
      case 'error':
        this.events.onError?.(m.operation, undefined);
        return;
      case 'released':
        for (const w of this.releasedWaiters.splice(0)) w();
        return;
      case 'leader':
        return;
    }
  }
}
