// Retries of EC2 calls: throttling and transient failures are retried with exponential
// backoff and full jitter; a call still throttled at the last attempt becomes a
// ThrottledError with a delay; anything else fails at once. A mutating call is never
// retried after an unknown outcome without looking its result up first.
import { Ec2Calls, jitteredDelayMs } from '../../../../../reconciler/adapters/aws/calls.ts';
import { awsErrorCode, isInstanceNotFound, isThrottlingError, isTransientError } from '../../../../../reconciler/adapters/aws/errors.ts';
import type { Clock } from '../../../../../reconciler/ports/clock.ts';
import { LaunchOutcomeUnknownError, ThrottledError } from '../../../../../reconciler/ports/cloud.ts';

class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  now(): number {
    return 0;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
  }
  setTimer(): { cancel(): void } {
    return { cancel: () => undefined };
  }
}

function awsError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

describe('error classification', () => {
  test('EC2 throttling codes and 429s are throttling; 5xx and resets are transient; NotFound is NotFound', () => {
    expect(isThrottlingError(awsError('RequestLimitExceeded'))).toBe(true);
    expect(isThrottlingError(awsError('Whatever', { $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isThrottlingError(awsError('InvalidParameterValue'))).toBe(false);
    expect(isTransientError(awsError('InternalError', { $fault: 'server', $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientError(awsError('InvalidParameterValue'))).toBe(false);
    expect(isInstanceNotFound(awsError('InvalidInstanceID.NotFound'))).toBe(true);
    expect(awsErrorCode(Object.assign(new Error('x'), { Code: 'UnauthorizedOperation' }))).toBe('UnauthorizedOperation');
  });
});

describe('jitteredDelayMs', () => {
  test('full jitter below an exponentially growing, capped ceiling', () => {
    const o = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(jitteredDelayMs(0, o, () => 0.999)).toBe(99);
    expect(jitteredDelayMs(3, o, () => 0.5)).toBe(400);
    expect(jitteredDelayMs(10, o, () => 0.999)).toBe(999);
    expect(jitteredDelayMs(2, o, () => 0)).toBe(0);
  });
});

describe('Ec2Calls.run', () => {
  const options = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 };

  test('a throttled call is retried and succeeds, after jittered sleeps', async () => {
    const clock = new RecordingClock();
    let calls = 0;
    const out = await new Ec2Calls(clock, options, () => 0.5).run('DescribeInstances', async () => {
      calls += 1;
      if (calls < 3) throw awsError('RequestLimitExceeded');
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(clock.sleeps).toEqual([50, 100]);
  });

  test('still throttled at the last attempt: a ThrottledError naming the operation, with a delay to wait', async () => {
    const clock = new RecordingClock();
    const err = await new Ec2Calls(clock, options, () => 0.5).run('CreateFleet', async () => {
      throw awsError('RequestLimitExceeded');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).operation).toBe('CreateFleet');
    expect((err as ThrottledError).retryAfterMs).toBe(800);
    expect(clock.sleeps).toHaveLength(3);
  });

  test('a client error is not retried', async () => {
    const clock = new RecordingClock();
    let calls = 0;
    await expect(
      new Ec2Calls(clock, options).run('CreateLaunchTemplate', async () => {
        calls += 1;
        throw awsError('InvalidParameterValue');
      }),
    ).rejects.toThrow('InvalidParameterValue happened');
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('a transient error still failing at the last attempt is thrown as is', async () => {
    const clock = new RecordingClock();
    await expect(
      new Ec2Calls(clock, options).run('DescribeSubnets', async () => {
        throw awsError('InternalError', { $fault: 'server', $metadata: { httpStatusCode: 503 } });
      }),
    ).rejects.toThrow('InternalError happened');
    expect(clock.sleeps).toHaveLength(3);
  });
});

describe('Ec2Calls.runMutating', () => {
  const options = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 };
  const serverError = () => awsError('InternalError', { $fault: 'server', $metadata: { httpStatusCode: 500 } });

  test('a 500 after the call took effect: the lookup finds the result and the call is not made again', async () => {
    const clock = new RecordingClock();
    const trail: string[] = [];
    const out = await new Ec2Calls(clock, options, () => 0.5).runMutating(
      'CreateFleet',
      async () => {
        trail.push('create');
        throw serverError();
      },
      async () => {
        trail.push('lookup');
        return 'i-1';
      },
    );
    expect(out).toEqual({ found: 'i-1' });
    expect(trail).toEqual(['create', 'lookup']);
  });

  test('a 500 that did nothing: looked up before every retry, then the retry succeeds', async () => {
    const clock = new RecordingClock();
    const trail: string[] = [];
    let creates = 0;
    const out = await new Ec2Calls(clock, options, () => 0.5).runMutating(
      'CreateFleet',
      async () => {
        trail.push('create');
        creates += 1;
        if (creates < 3) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return 'fleet';
      },
      async () => {
        trail.push('lookup');
        return undefined;
      },
    );
    expect(out).toEqual({ done: 'fleet' });
    expect(trail).toEqual(['create', 'lookup', 'create', 'lookup', 'create']);
  });

  test('still unknown at the last attempt (or the lookup failing): LaunchOutcomeUnknownError, never the raw 500', async () => {
    const clock = new RecordingClock();
    const err = await new Ec2Calls(clock, options, () => 0.5).runMutating('CreateFleet', async () => {
      throw serverError();
    }, async () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchOutcomeUnknownError);
    expect((err as LaunchOutcomeUnknownError).operation).toBe('CreateFleet');

    const failedLookup = await new Ec2Calls(clock, options, () => 0.5).runMutating('CreateFleet', async () => {
      throw serverError();
    }, async () => {
      throw serverError();
    }).catch((e: unknown) => e);
    expect(failedLookup).toBeInstanceOf(LaunchOutcomeUnknownError);
  });

  test('a definite error is thrown as is, without a lookup; a throttle is retried without one', async () => {
    const clock = new RecordingClock();
    let lookups = 0;
    const lookup = async () => {
      lookups += 1;
      return undefined;
    };
    await expect(new Ec2Calls(clock, options).runMutating('CreateFleet', async () => {
      throw awsError('InvalidParameterValue');
    }, lookup)).rejects.toThrow('InvalidParameterValue happened');
    let creates = 0;
    const out = await new Ec2Calls(clock, options, () => 0.5).runMutating('CreateFleet', async () => {
      creates += 1;
      if (creates === 1) throw awsError('RequestLimitExceeded');
      return 'fleet';
    }, lookup);
    expect(out).toEqual({ done: 'fleet' });
    expect(lookups).toBe(0);
  });
});
