// Every EC2 call goes through here: throttled and transient failures are retried with
// exponential backoff and full jitter (AWS's recommended scheme); a call still throttled
// after the last attempt becomes a ThrottledError carrying the delay to wait, so the
// controller backs off instead of hammering the API. Counted in the reconciler's metrics.
//
// A mutating call (CreateFleet) is never retried blindly: a 5xx, a timeout or a reset
// connection leaves its outcome unknown (EC2 may have launched), so `runMutating` looks
// the result up (the instance tagged for the claim) before every retry, and an outcome
// still unknown at the end is a LaunchOutcomeUnknownError, never a failure. A throttle is
// EC2 refusing the request before acting on it, and is retried as for any other call.

import type { Clock } from '../../ports/clock.ts';
import { LaunchOutcomeUnknownError, ThrottledError } from '../../ports/cloud.ts';
import type { Logger } from '../../observability/log.ts';
import type { ReconcilerMetrics } from '../../observability/metrics.ts';
import { awsErrorCode, isThrottlingError, isTransientError } from './errors.ts';

export interface BackoffOptions {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 20_000 };

/** Full jitter: a uniform draw in [0, min(cap, base x 2^attempt)). */
export function jitteredDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** What a mutating call came to: its own answer, or what the lookup found after an unknown outcome. */
export type MutatingOutcome<T, F> = { readonly done: T } | { readonly found: F };

export class Ec2Calls {
  constructor(
    private readonly clock: Clock,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
    private readonly logger?: Logger,
    private readonly metrics?: ReconcilerMetrics,
  ) {}

  /** Runs `fn` (one EC2 API call named `operation`), retrying throttles and transient errors. */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (err) {
        const throttled = isThrottlingError(err);
        if (throttled) this.metrics?.cloudApiThrottles.inc({ operation });
        else this.metrics?.cloudApiErrors.inc({ operation, error: awsErrorCode(err) ?? 'unknown' });
        const retryable = throttled || isTransientError(err);
        const last = attempt + 1 >= this.options.maxAttempts;
        if (!retryable) throw err;
        const delay = jitteredDelayMs(attempt, this.options, this.random);
        if (last) {
          if (throttled) throw new ThrottledError(operation, Math.max(this.options.baseDelayMs, jitteredDelayMs(attempt + 1, this.options, this.random)));
          throw err;
        }
        this.logger?.debug('EC2 call failed; retrying', { operation, error: awsErrorCode(err), attempt: attempt + 1, retryInMs: delay });
        await this.clock.sleep(delay);
      }
    }
  }

  /**
   * Runs `fn`, a call that changes EC2 (a launch). A definite error (4xx: a bad parameter,
   * no capacity) is thrown as is; a throttle is retried with backoff as by `run`; after an
   * unknown outcome (5xx, timeout, reset) `lookup` runs, after the backoff delay, before
   * anything else: what it finds is the call's result, and only when it finds nothing is
   * the call made again. Unknown at the last attempt, or the lookup failing too:
   * LaunchOutcomeUnknownError.
   */
  async runMutating<T, F>(operation: string, fn: () => Promise<T>, lookup: () => Promise<F | undefined>): Promise<MutatingOutcome<T, F>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return { done: await fn() };
      } catch (err) {
        const throttled = isThrottlingError(err);
        if (throttled) this.metrics?.cloudApiThrottles.inc({ operation });
        else this.metrics?.cloudApiErrors.inc({ operation, error: awsErrorCode(err) ?? 'unknown' });
        if (!throttled && !isTransientError(err)) throw err;
        const last = attempt + 1 >= this.options.maxAttempts;
        const delay = jitteredDelayMs(attempt, this.options, this.random);
        if (throttled) {
          if (last) throw new ThrottledError(operation, Math.max(this.options.baseDelayMs, jitteredDelayMs(attempt + 1, this.options, this.random)));
          this.logger?.debug('EC2 call throttled; retrying', { operation, attempt: attempt + 1, retryInMs: delay });
          await this.clock.sleep(delay);
          continue;
        }
        this.logger?.warn('EC2 call outcome unknown; looking its result up before any retry', { operation, error: awsErrorCode(err) ?? String(err), attempt: attempt + 1 });
        await this.clock.sleep(delay);
        let found: F | undefined;
        try {
          found = await lookup();
        } catch {
          throw new LaunchOutcomeUnknownError(operation, err);
        }
        if (found !== undefined) {
          this.logger?.info('EC2 call had taken effect despite its error; using its result', { operation, attempt: attempt + 1 });
          return { found };
        }
        if (last) throw new LaunchOutcomeUnknownError(operation, err);
      }
    }
  }
}
