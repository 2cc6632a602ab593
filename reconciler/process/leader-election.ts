// Leader election over a Lease, as client-go's leaderelection package does it:
//
// - A candidate takes the Lease when nobody holds it, or when the holder has not renewed
//   for the Lease's leaseDurationSeconds, measured on the candidate's own clock from when
//   it last saw the record change (so clock skew between nodes does not matter).
// - The leader renews every retry period. It stops acting as soon as it has gone
//   renewDeadline without a successful renewal, counted from when that renewal was sent.
//   Since renewDeadline < leaseDuration, it has stopped before any candidate may take
//   over: two leaders never act at once. `isLeader()` checks the deadline on every call,
//   so a stalled event loop cannot stretch leadership past it either.
// - Releasing on shutdown empties the holder, so a standby takes over at its next retry
//   instead of waiting out the lease.

import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../observability/log.ts';
import { LeaseConflictError, type LeaseLock, type LeaseRecord, type ObservedLease } from './lease-lock.ts';

export interface LeaderElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface LeaderElectionEvents {
  /** This replica became the leader; `leadership` aborts when it stops being one. */
  onStartedLeading(leadership: AbortSignal): void;
  /** Leadership ended: lost (renew deadline passed, or taken) or released. */
  onStoppedLeading(reason: 'lost' | 'released'): void;
  /** The Lease names a (different) holder than before, or none ('' when released). */
  onLeaderObserved?(identity: string): void;
  /** A Lease read or write failed (network, authorization, conflict). */
  onError?(operation: 'get' | 'create' | 'update', err: unknown): void;
  /** This replica acquired or renewed the Lease with a request sent at `sentAt` (epoch ms). */
  onRenewed?(sentAt: number): void;
}

class LeadershipLostError extends Error {
  constructor(reason: string) {
    super(`leadership ended: ${reason}`);
    this.name = 'LeadershipLostError';
  }
}

function recordKey(r: LeaseRecord): string {
  return `${r.holderIdentity}|${r.leaseDurationSeconds}|${r.acquireTime}|${r.renewTime}|${r.leaseTransitions}`;
}

export class LeaderElector {
  private observed: ObservedLease | undefined;
  /** Local time at which `observed` was first seen in its current form. */
  private observedAt = 0;
  private leaseObserved = false;
  private leading = false;
  /** Local time at which the last successful acquire or renew request was sent. */
  private renewSentAt = 0;
  private leadership: AbortController | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private lastLeader: string | undefined;
  private endedBy: 'lost' | 'released' | undefined;

  constructor(
    private readonly lock: LeaseLock,
    readonly identity: string,
    private readonly timing: LeaderElectionTiming,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly events: LeaderElectionEvents,
    private readonly random: () => number = Math.random,
  ) {
    if (!(timing.renewDeadlineMs < timing.leaseDurationMs)) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (!(timing.retryPeriodMs * 1.2 < timing.renewDeadlineMs)) throw new Error('retryPeriod * 1.2 must be shorter than renewDeadline');
  }

  /** True while this replica leads and its last renewal is younger than the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.renewSentAt + this.timing.renewDeadlineMs;
  }

  /** True once the Lease has been read at least once: this replica knows who leads (maybe nobody). */
  leadershipKnown(): boolean {
    return this.leaseObserved;
  }

  /** The holder the Lease names, as last observed ('' when nobody holds it). */
  currentLeader(): string | undefined {
    return this.observed?.record.holderIdentity;
  }

  /** Milliseconds since the last successful renewal while leading (liveness), else undefined. */
  msSinceRenewal(): number | undefined {
    return this.leading ? this.clock.now() - this.renewSentAt : undefined;
  }

  /**
   * Competes for the Lease until this replica leads, then renews it until leadership is
   * lost or `signal` aborts. Resolves when leadership ended or the signal aborted.
   */
  async run(signal: AbortSignal): Promise<'lost' | 'aborted'> {
    this.logger.info('competing for leadership', { lease: this.lock.description, identity: this.identity });
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      await this.pause(this.timing.retryPeriodMs * (1 + 0.2 * this.random()), signal);
    }
    if (signal.aborted) return 'aborted';
    this.startLeading();

    while (!signal.aborted && this.leading) {
      await this.pause(this.timing.retryPeriodMs, signal);
      if (signal.aborted || !this.leading) break;
      const attemptAt = this.clock.now();
      const remaining = this.renewSentAt + this.timing.renewDeadlineMs - attemptAt;
      const renewed = remaining > 0 && (await this.withTimeout(this.tryAcquireOrRenew(), remaining));
      if (renewed) continue;
      this.logger.warn('the Lease was not renewed', {
        lease: this.lock.description,
        sinceLastRenewalMs: this.clock.now() - this.renewSentAt,
        attemptMs: this.clock.now() - attemptAt,
        renewDeadlineMs: this.timing.renewDeadlineMs,
      });
      if (!this.isLeader() || this.observedHolderIsOther()) {
        this.stopLeading('lost', this.observedHolderIsOther() ? `the Lease is held by ${this.currentLeader()}` : 'renew deadline passed');
      }
    }
    return this.endedBy === 'lost' ? 'lost' : 'aborted';
  }

  /**
   * Stops acting as leader at once, then empties the Lease's holder (when this replica
   * still holds it) so a standby takes over without waiting out the lease.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    if (wasLeading) this.stopLeading('released', 'shutting down');
    const current = this.observed;
    if (!wasLeading || !current || current.record.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    const released: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: current.record.leaseTransitions,
    };
    try {
      const resourceVersion = await this.withTimeout(this.lock.update(released, current.resourceVersion), this.timing.renewDeadlineMs);
      if (resourceVersion === false) throw new Error('timed out');
      this.observe({ record: released, resourceVersion });
      this.logger.info('released the Lease', { lease: this.lock.description });
    } catch (err) {
      // Standbys take over when the lease runs out instead.
      this.events.onError?.('update', err);
      this.logger.warn('could not release the Lease; a standby takes over when it expires', {
        lease: this.lock.description,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private observedHolderIsOther(): boolean {
    const h = this.observed?.record.holderIdentity;
    return h !== undefined && h !== '' && h !== this.identity;
  }

  private startLeading(): void {
    this.leading = true;
    this.leadership = new AbortController();
    this.armDeadline();
    this.logger.info('became the leader', {
      lease: this.lock.description,
      identity: this.identity,
      leaseTransitions: this.observed?.record.leaseTransitions,
    });
    this.events.onStartedLeading(this.leadership.signal);
  }

  private stopLeading(reason: 'lost' | 'released', detail: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.endedBy = reason;
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
    const level = reason === 'lost' ? 'error' : 'info';
    this.logger[level](reason === 'lost' ? 'lost leadership; stopping all work' : 'stepping down as leader', {
      lease: this.lock.description,
      identity: this.identity,
      reason: detail,
    });
    this.leadership?.abort(new LeadershipLostError(detail));
    this.events.onStoppedLeading(reason);
  }

  /** Fires at the renew deadline, so leadership ends on time even while a renewal hangs. */
  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    const at = this.renewSentAt + this.timing.renewDeadlineMs;
    this.deadlineTimer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => {
      if (this.leading && !this.isLeader()) this.stopLeading('lost', 'renew deadline passed');
    });
  }

  private observe(lease: ObservedLease): void {
    if (!this.observed || recordKey(this.observed.record) !== recordKey(lease.record)) this.observedAt = this.clock.now();
    this.observed = lease;
    this.leaseObserved = true;
    const holder = lease.record.holderIdentity;
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder !== this.identity) {
        this.logger.info(holder === '' ? 'the Lease is free' : 'observed a new leader', { lease: this.lock.description, leader: holder });
      }
      this.events.onLeaderObserved?.(holder);
    }
  }

  /** One round of client-go's tryAcquireOrRenew: true when this replica holds the Lease now. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const sentAt = this.clock.now();
    const durationSeconds = Math.round(this.timing.leaseDurationMs / 1000);
    let current: ObservedLease | undefined;
    try {
      current = await this.lock.get();
    } catch (err) {
      this.events.onError?.('get', err);
      this.logger.warn('could not read the Lease', { lease: this.lock.description, error: errorMessage(err) });
      return false;
    }

    if (!current) {
      const record: LeaseRecord = { holderIdentity: this.identity, leaseDurationSeconds: durationSeconds, acquireTime: sentAt, renewTime: sentAt, leaseTransitions: 0 };
      try {
        const resourceVersion = await this.lock.create(record);
        this.observe({ record, resourceVersion });
        this.renewed(sentAt);
        return true;
      } catch (err) {
        if (!(err instanceof LeaseConflictError)) {
          this.events.onError?.('create', err);
          this.logger.warn('could not create the Lease', { lease: this.lock.description, error: errorMessage(err) });
        }
        return false;
      }
    }

    this.observe(current);
    const held = current.record;
    const mine = held.holderIdentity === this.identity;
    if (!mine && held.holderIdentity !== '') {
      const durationMs = (held.leaseDurationSeconds > 0 ? held.leaseDurationSeconds : durationSeconds) * 1000;
      if (this.observedAt + durationMs > this.clock.now()) return false; // held and not expired
    }
    const record: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine ? held.acquireTime : sentAt,
      renewTime: sentAt,
      leaseTransitions: mine ? held.leaseTransitions : held.leaseTransitions + 1,
    };
    try {
      const resourceVersion = await this.lock.update(record, current.resourceVersion);
      this.observe({ record, resourceVersion });
      this.renewed(sentAt);
      return true;
    } catch (err) {
      if (!(err instanceof LeaseConflictError)) {
        this.events.onError?.('update', err);
        this.logger.warn(mine ? 'could not renew the Lease' : 'could not take the Lease', { lease: this.lock.description, error: errorMessage(err) });
      }
      return false;
    }
  }

  private renewed(sentAt: number): void {
    this.renewSentAt = sentAt;
    if (this.leading) this.armDeadline();
    this.events.onRenewed?.(sentAt);
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      // aborted
    }
  }

  /** The promise's value, or false when it has not settled within `ms` (it keeps running). */
  private async withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | false> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<false>((resolve) => (timer = this.clock.setTimer(ms, () => resolve(false))));
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      timer?.cancel();
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
