// The test EC2's call faults (pure rules the fault proxy applies): the next N calls of an
// Action get a 500 after taking effect, a plain 500 or a throttle, then calls pass again.
import { callFaultResponse, isCallFault, isOutage, outageHolds, outageResponse, takeCallFault, type CallFault } from '../../../env/ec2-faults.ts';

describe('call faults', () => {
  test('the next N calls of the action get the fault, in order; other actions are untouched', () => {
    let pending: CallFault[] = [
      { action: 'CreateFleet', kind: 'error-after-success', count: 2 },
      { action: 'CreateFleet', kind: 'throttle', count: 1 },
      { action: 'TerminateInstances', kind: 'server-error', count: 1 },
    ];
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = takeCallFault(pending, 'CreateFleet');
      seen.push(r.fault);
      pending = r.pending;
    }
    expect(seen).toEqual(['error-after-success', 'error-after-success', 'throttle', undefined]);
    expect(pending).toEqual([{ action: 'TerminateInstances', kind: 'server-error', count: 1 }]);
    expect(takeCallFault(pending, 'DescribeInstances')).toEqual({ fault: undefined, pending });
  });

  test('the list given is not changed', () => {
    const pending: CallFault[] = [{ action: 'CreateFleet', kind: 'server-error', count: 1 }];
    takeCallFault(pending, 'CreateFleet');
    expect(pending).toEqual([{ action: 'CreateFleet', kind: 'server-error', count: 1 }]);
  });

  test('answers: 500 InternalError, or 503 RequestLimitExceeded for a throttle, in EC2\'s error format', () => {
    const after = callFaultResponse('error-after-success', 'CreateFleet', 'req-1');
    expect(after.status).toBe(500);
    expect(after.body).toContain('<Code>InternalError</Code>');
    expect(after.body).toContain('<RequestID>req-1</RequestID>');
    expect(callFaultResponse('server-error', 'CreateFleet', 'r').status).toBe(500);
    const throttled = callFaultResponse('throttle', 'CreateFleet', 'r');
    expect(throttled.status).toBe(503);
    expect(throttled.body).toContain('<Code>RequestLimitExceeded</Code>');
  });

  test('validation of a fault given to the proxy', () => {
    expect(isCallFault({ action: 'CreateFleet', kind: 'throttle', count: 3 })).toBe(true);
    expect(isCallFault({ action: 'CreateFleet', kind: 'explode', count: 3 })).toBe(false);
    expect(isCallFault({ action: 'CreateFleet', kind: 'throttle', count: 0 })).toBe(false);
    expect(isCallFault({ kind: 'throttle', count: 1 })).toBe(false);
  });
});

describe('outages', () => {
  test('an outage is a duration of 1 ms to 10 min and a mode', () => {
    expect(isOutage({ durationMs: 5_000, mode: 'unavailable' })).toBe(true);
    expect(isOutage({ durationMs: 4_000, mode: 'reset' })).toBe(true);
    expect(isOutage({ durationMs: 0, mode: 'unavailable' })).toBe(false);
    expect(isOutage({ durationMs: 600_001, mode: 'reset' })).toBe(false);
    expect(isOutage({ durationMs: Number.NaN, mode: 'reset' })).toBe(false);
    expect(isOutage({ durationMs: 1_000, mode: 'slow' })).toBe(false);
  });

  test('an outage extended until a call is refused holds past its duration, up to its maximum', () => {
    expect(isOutage({ durationMs: 5_000, mode: 'reset', untilRefused: 1, maxMs: 30_000 })).toBe(true);
    expect(isOutage({ durationMs: 5_000, mode: 'reset', untilRefused: 1, maxMs: 4_000 })).toBe(false);
    expect(isOutage({ durationMs: 5_000, mode: 'reset', untilRefused: 1.5 })).toBe(false);
    const o = { durationMs: 5_000, mode: 'unavailable' as const, untilRefused: 1, maxMs: 30_000 };
    expect(outageHolds(o, 0, 0, 4_999)).toBe(true);
    expect(outageHolds(o, 0, 0, 20_000)).toBe(true); // nobody has called yet
    expect(outageHolds(o, 0, 1, 20_000)).toBe(false); // one call refused: over
    expect(outageHolds(o, 0, 0, 30_000)).toBe(false); // at its maximum, refused or not
    expect(outageHolds({ durationMs: 5_000, mode: 'reset' }, 0, 0, 5_000)).toBe(false);
  });

  test('a call during an outage gets EC2\'s 503 Unavailable, naming the action', () => {
    const r = outageResponse('CreateFleet', 'req-1');
    expect(r.status).toBe(503);
    expect(r.body).toContain('<Code>Unavailable</Code>');
    expect(r.body).toContain('CreateFleet: The service is unavailable.');
    expect(r.body).toContain('<RequestID>req-1</RequestID>');
  });
});
