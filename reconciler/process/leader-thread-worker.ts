// The leader election thread: renews the Lease on an event loop of its own, so a long
// solve or a GC pause on the main thread never makes the leader miss its renew deadline
// (as client-go's elector runs in its own goroutine). It publishes the leadership state in
// shared memory, read synchronously by the main thread's fence (see leader-thread.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { loadKubeConfig } from '../adapters/kubernetes/index.ts';
import { jsonLineSink, StructuredLogger, type LogLevel } from '../observability/log.ts';
import { SystemClock } from '../runtime/system-clock.ts';
import { KubernetesLeaseLock } from './lease-lock.ts';
import { LeaderElector, type LeaderElectionTiming } from './leader-election.ts';
import { SLOT, type ThreadMessage, type WorkerCommand } from './leader-thread.ts';

export interface LeaderThreadData {
  readonly kubeconfigPath: string | undefined;
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity: string;
  readonly timing: LeaderElectionTiming;
  readonly logLevel: LogLevel;
  readonly shared: SharedArrayBuffer;
}

const data = workerData as LeaderThreadData;
const shared = new BigInt64Array(data.shared);
const port = parentPort!;
const post = (m: ThreadMessage) => port.postMessage(m);
const clock = new SystemClock();
const logger = new StructuredLogger(clock, jsonLineSink(process.stdout), data.logLevel, 'joinery.leader-election');

const elector = new LeaderElector(
  new KubernetesLeaseLock(loadKubeConfig(data.kubeconfigPath ? { kubeconfigPath: data.kubeconfigPath } : {}), data.namespace, data.leaseName),
  data.identity,
  data.timing,
  clock,
  logger,
  {
    onRenewed: (sentAt) => Atomics.store(shared, SLOT.renewSentAt, BigInt(sentAt)),
    onStartedLeading: () => {
      Atomics.store(shared, SLOT.leading, 1n);
      post({ type: 'started' });
    },
    onStoppedLeading: (reason) => {
      Atomics.store(shared, SLOT.leading, 0n);
      post({ type: 'stopped', reason });
    },
    onLeaderObserved: (identity) => {
      Atomics.store(shared, SLOT.known, 1n);
      post({ type: 'leader', identity });
    },
    onError: (operation) => post({ type: 'error', operation }),
  },
);

const stop = new AbortController();
const running = elector.run(stop.signal);

port.on('message', (command: WorkerCommand) => {
  if (command.type === 'release') {
    void (async () => {
      await elector.release();
      stop.abort();
      await running;
      // Reply once the log lines before it have reached the main thread (it ends this thread next).
      process.stdout.write('', () => post({ type: 'released' }));
    })();
  }
});
