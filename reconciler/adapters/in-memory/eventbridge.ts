// The EventBridge events the simulated EC2 account sends to its interruption queue, in
// the shapes AWS delivers to an SQS target ("EC2 Spot Instance interruption notices",
// "Amazon EC2 state change events" in the AWS documentation). The interruption controller
// parses them with the same code as the messages the real queue carries.

export interface SimEventOptions {
  /** When AWS raised the event. */
  readonly time: number;
  /** The event id (unique per event). */
  readonly id: string;
  readonly region?: string;
  readonly account?: string;
}

function envelope(source: string, detailType: string, resources: string[], detail: Record<string, unknown>, o: SimEventOptions): string {
  return JSON.stringify({
    version: '0',
    id: o.id,
    'detail-type': detailType,
    source,
    account: o.account ?? '123456789012',
    time: new Date(o.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: o.region ?? 'us-east-1',
    resources,
    detail,
  });
}

/** The two-minute warning before EC2 reclaims a spot instance. */
export function spotInterruptionWarningEvent(instanceId: string, zone: string, o: SimEventOptions): string {
  return envelope('aws.ec2', 'EC2 Spot Instance Interruption Warning', [`arn:aws:ec2:${zone}:instance/${instanceId}`], { 'instance-id': instanceId, 'instance-action': 'terminate' }, o);
}

/** An instance changed state (EC2 sends one per transition). */
export function instanceStateChangeEvent(instanceId: string, state: 'stopping' | 'stopped' | 'shutting-down' | 'terminated', o: SimEventOptions): string {
  return envelope('aws.ec2', 'EC2 Instance State-change Notification', [`arn:aws:ec2:${o.region ?? 'us-east-1'}:${o.account ?? '123456789012'}:instance/${instanceId}`], { 'instance-id': instanceId, state }, o);
}
