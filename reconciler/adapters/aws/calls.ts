// Every EC2 call goes through here: throttled and transient failures are retried with
// exponential backoff and full jitter (AWS's recommended scheme); a call still throttled
// after the last attempt becomes a ThrottledError carrying the delay to wait, so the
// controller backs off instead of hammering the API. Counted in the reconciler's metrics.

import type { Clock } from '../../ports/clock.ts';
import { ThrottledError } from '../../ports/cloud.ts';
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
}
