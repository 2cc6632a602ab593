// The EventBridge payloads as AWS sends them, parsed as Karpenter parses them.
import { actsOn, instanceIdOf, MalformedMessageError, parseMessage } from '../../../../../reconciler/controllers/interruption/messages.ts';
import { rebalanceRecommendation, scheduledChange, spotInterruptionWarning, stateChange } from '../../../../fixtures/eventbridge/events.ts';

const T = new Date('2026-03-03T10:00:00Z');

describe('parseMessage', () => {
  test('a spot interruption warning names its instance, its action and its time', () => {
    const m = parseMessage(spotInterruptionWarning('i-0123456789abcdef0', { time: T, id: 'ev-1' }));
    expect(m).toMatchObject({ kind: 'spot_interrupted', instanceIds: ['i-0123456789abcdef0'], instanceAction: 'terminate', startTimeMs: T.getTime(), eventId: 'ev-1' });
  });

  test('a rebalance recommendation is its own kind, acted on only on opt-in', () => {
    const m = parseMessage(rebalanceRecommendation('i-0123456789abcdef0'));
    expect(m.kind).toBe('rebalance_recommendation');
    expect(actsOn(m.kind, false)).toBe(false);
    expect(actsOn(m.kind, true)).toBe(true);
  });

  test('state changes: stopping/stopped are instance_stopped, shutting-down/terminated instance_terminated, others no-ops', () => {
    expect(parseMessage(stateChange('i-abcd1111', 'stopping')).kind).toBe('instance_stopped');
    expect(parseMessage(stateChange('i-abcd1111', 'stopped')).kind).toBe('instance_stopped');
    expect(parseMessage(stateChange('i-abcd1111', 'shutting-down')).kind).toBe('instance_terminated');
    const t = parseMessage(stateChange('i-abcd1111', 'terminated'));
    expect(t).toMatchObject({ kind: 'instance_terminated', instanceIds: ['i-abcd1111'], state: 'terminated' });
    const running = parseMessage(stateChange('i-abcd1111', 'running'));
    expect(running).toMatchObject({ kind: 'no_op', instanceIds: [] });
    expect(actsOn(running.kind, true)).toBe(false);
  });

  test('an AWS Health scheduled change for EC2 names every affected instance; other Health events are no-ops', () => {
    const m = parseMessage(scheduledChange(['i-abcd1111', 'i-abcd2222']));
    expect(m).toMatchObject({ kind: 'scheduled_change', instanceIds: ['i-abcd1111', 'i-abcd2222'] });
    expect(parseMessage(scheduledChange(['i-abcd1111'], { category: 'issue' })).kind).toBe('no_op');
    expect(parseMessage(scheduledChange(['i-abcd1111'], { service: 'RDS' })).kind).toBe('no_op');
  });

  test('an event of another source or detail type is a no-op, not an error', () => {
    const body = JSON.stringify({ version: '0', id: 'x', source: 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Successful', time: T.toISOString(), detail: {} });
    expect(parseMessage(body)).toMatchObject({ kind: 'no_op', instanceIds: [] });
  });

  test.each([
    ['not JSON', 'hello', /not JSON/],
    ['a JSON list', '[1,2]', /not a JSON object/],
    ['no source', JSON.stringify({ 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: {} }), /not an EventBridge event/],
    ['no detail', JSON.stringify({ source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning' }), /no detail/],
    ['a bad instance id', spotInterruptionWarning('not-an-instance'), /not an EC2 instance id/],
  ])('malformed: %s', (_what, body, error) => {
    expect(() => parseMessage(body)).toThrow(MalformedMessageError);
    expect(() => parseMessage(body)).toThrow(error);
  });

  test('instanceIdOf reads the id out of a provider ID', () => {
    expect(instanceIdOf('aws:///us-east-1a/i-0123456789abcdef0')).toBe('i-0123456789abcdef0');
    expect(instanceIdOf(undefined)).toBeUndefined();
  });
});
