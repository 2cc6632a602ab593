// Leader election over a real coordination.k8s.io/v1 Lease on the test kube-apiserver:
// one leader at a time, a standby takes over within the lease duration when the leader
// dies, at once when it steps down, and a leader cut off from the API server stops acting
// at its renew deadline, before anyone else may start.
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { StructuredLogger, type LogRecord } from '../../reconciler/observability/log.ts';
import type { LeaseLock, LeaseRecord, ObservedLease } from '../../reconciler/process/lease-lock.ts';
import { KubernetesLeaseLock } from '../../reconciler/process/lease-lock.ts';
import { LeaderElector } from '../../reconciler/process/leader-election.ts';
import { SystemClock } from '../../reconciler/runtime/system-clock.ts';
import { eventually, testEnv } from '../env/index.ts';

const env = testEnv();
const kc = env.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
const clock = new SystemClock();
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };
const namespace = `le-${Date.now().toString(36)}`;

/** The real Lease lock, with a switch that cuts this replica off from the API server. */
class PartitionableLock implements LeaseLock {
  partitioned = false;
  constructor(private readonly inner: LeaseLock) {}
  get description() {
    return this.inner.description;
  }
  private check(): void {
    if (this.partitioned) throw new Error('connect ECONNREFUSED (partitioned)');
  }
  async get(): Promise<ObservedLease | undefined> {
    this.check();
    return this.inner.get();
  }
  async create(record: LeaseRecord): Promise<string> {
    this.check();
    return this.inner.create(record);
  }
  async update(record: LeaseRecord, resourceVersion: string): Promise<string> {
    this.check();
    return this.inner.update(record, resourceVersion);
  }
}

interface Replica {
  readonly identity: string;
  readonly elector: LeaderElector;
  readonly lock: PartitionableLock;
  readonly stop: AbortController;
  readonly events: { at: number; event: string }[];
  readonly run: Promise<'lost' | 'aborted'>;
}

function replica(identity: string, leaseName: string): Replica {
  const logs: LogRecord[] = [];
  const events: { at: number; event: string }[] = [];
  const lock = new PartitionableLock(new KubernetesLeaseLock(kc, namespace, leaseName));
  const elector = new LeaderElector(lock, identity, TIMING, clock, new StructuredLogger(clock, (r) => logs.push(r), 'debug'), {
    onStartedLeading: () => events.push({ at: Date.now(), event: 'started' }),
    onStoppedLeading: (why) => events.push({ at: Date.now(), event: `stopped:${why}` }),
  });
  const stop = new AbortController();
  return { identity, elector, lock, stop, events, run: elector.run(stop.signal) };
}

/** Samples isLeader() of every replica every 5 ms; returns a function that stops and reports overlaps. */
function watchForTwoLeaders(replicas: readonly Replica[]): () => number {
  let overlaps = 0;
  const timer = setInterval(() => {
    if (replicas.filter((r) => r.elector.isLeader()).length > 1) overlaps += 1;
  }, 5);
  return () => {
    clearInterval(timer);
    return overlaps;
  };
}

async function holder(leaseName: string): Promise<string> {
  const lease = await leases.readNamespacedLease({ name: leaseName, namespace });
  return lease.spec?.holderIdentity ?? '';
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('leader election over a Lease', () => {
  test('one leader; when it dies a standby takes over within the lease duration, never two at once', async () => {
    const a = replica('replica-a', 'crash');
    await eventually('replica-a leads', async () => (a.elector.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const b = replica('replica-b', 'crash');
    const overlaps = watchForTwoLeaders([a, b]);
    await eventually('replica-b knows the leader', async () => (b.elector.leadershipKnown() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    expect(b.elector.currentLeader()).toBe('replica-a');
    // Standby for a while: b does not take over a lease that is being renewed.
    await new Promise((r) => setTimeout(r, TIMING.leaseDurationMs * 2));
    expect(b.elector.isLeader()).toBe(false);
    expect(await holder('crash')).toBe('replica-a');

    // The leader dies: no release, no more renewals.
    a.lock.partitioned = true; // its in-flight and future calls never reach the server, as after a kill
    a.stop.abort();
    const diedAt = Date.now();
    await eventually('replica-b leads', async () => (b.elector.isLeader() ? true : undefined), { timeoutMs: 15_000, intervalMs: 10 });
    const takeoverMs = Date.now() - diedAt;
    expect(await holder('crash')).toBe('replica-b');
    expect(takeoverMs).toBeLessThanOrEqual(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs + 500);
    expect(overlaps()).toBe(0);
    b.stop.abort();
    await b.elector.release();
  });

  test('a leader that steps down hands over at once, without waiting out the lease', async () => {
    const a = replica('replica-a', 'release');
    await eventually('replica-a leads', async () => (a.elector.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const b = replica('replica-b', 'release');
    await eventually('replica-b knows the leader', async () => (b.elector.leadershipKnown() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const overlaps = watchForTwoLeaders([a, b]);
    const releasedAt = Date.now();
    await a.elector.release();
    a.stop.abort();
    expect(a.elector.isLeader()).toBe(false);
    await eventually('replica-b leads', async () => (b.elector.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 10 });
    const handoverMs = Date.now() - releasedAt;
    expect(handoverMs).toBeLessThan(TIMING.leaseDurationMs);
    expect(overlaps()).toBe(0);
    expect(a.events.map((e) => e.event)).toEqual(['started', 'stopped:released']);
    b.stop.abort();
    await b.elector.release();
  });

  test('a leader cut off from the API server stops acting at its renew deadline, before the standby starts', async () => {
    const a = replica('replica-a', 'partition');
    await eventually('replica-a leads', async () => (a.elector.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const b = replica('replica-b', 'partition');
    await eventually('replica-b knows the leader', async () => (b.elector.leadershipKnown() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const overlaps = watchForTwoLeaders([a, b]);
    a.lock.partitioned = true; // a keeps running and trying, but nothing gets through
    expect(await a.run).toBe('lost');
    const stoppedAt = a.events.find((e) => e.event === 'stopped:lost')!.at;
    await eventually('replica-b leads', async () => (b.elector.isLeader() ? true : undefined), { timeoutMs: 15_000, intervalMs: 10 });
    const startedAt = b.events.find((e) => e.event === 'started')!.at;
    expect(startedAt).toBeGreaterThan(stoppedAt);
    expect(a.elector.isLeader()).toBe(false);
    expect(overlaps()).toBe(0);
    b.stop.abort();
    await b.elector.release();
  });
});
