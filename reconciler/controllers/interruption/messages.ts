// The EventBridge events the interruption queue carries, parsed as Karpenter's AWS
// provider parses them (pkg/controllers/interruption/messages): the event's `source` and
// `detail-type` choose the parser; the kinds and their metric label values are Karpenter's
// (`spot_interrupted`, `rebalance_recommendation`, `scheduled_change`, `instance_stopped`,
// `instance_terminated`, `no_op`), so existing dashboards keep working.
//
// An event of a kind nobody handles (another source, a state such as `running`) is
// `no_op`: received, counted and deleted. A body that is not an EventBridge event at all
// is malformed: parse() throws, and the controller logs, counts and deletes it.

export type MessageKind = 'spot_interrupted' | 'rebalance_recommendation' | 'scheduled_change' | 'instance_stopped' | 'instance_terminated' | 'no_op';

export interface InterruptionMessage {
  readonly kind: MessageKind;
  /** The EventBridge event id. */
  readonly eventId: string;
  readonly instanceIds: readonly string[];
  /** The event's `time` (epoch ms): when AWS raised it. */
  readonly startTimeMs: number | undefined;
  /** For a state change: the state (`stopping`, `stopped`, `shutting-down`, `terminated`). */
  readonly state?: string;
  /** For a spot interruption: `terminate`, `stop` or `hibernate`. */
  readonly instanceAction?: string;
  readonly detailType: string;
}

export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
/** States Karpenter acts on; other state changes are no-ops. */
const ACTED_STATES: Readonly<Record<string, MessageKind>> = {
  stopping: 'instance_stopped',
  stopped: 'instance_stopped',
  'shutting-down': 'instance_terminated',
  terminated: 'instance_terminated',
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function instanceId(detail: Json, field: string): string {
  const v = detail[field];
  if (typeof v !== 'string' || !INSTANCE_ID.test(v)) throw new MalformedMessageError(`detail.${field} is ${JSON.stringify(v)}, not an EC2 instance id`);
  return v;
}

/** Parses one message body; throws MalformedMessageError when it is not an EventBridge event the parsers can read. */
export function parseMessage(body: string): InterruptionMessage {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (err) {
    throw new MalformedMessageError(`the body is not JSON (${(err as Error).message})`);
  }
  if (!isObject(event)) throw new MalformedMessageError('the body is not a JSON object');
  const source = event.source;
  const detailType = event['detail-type'];
  if (typeof source !== 'string' || typeof detailType !== 'string') throw new MalformedMessageError('the body has no "source" and "detail-type": not an EventBridge event');
  const detail = event.detail;
  if (!isObject(detail)) throw new MalformedMessageError(`"${detailType}" has no detail object`);
  const time = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
  const base = { eventId: typeof event.id === 'string' ? event.id : '', startTimeMs: Number.isFinite(time) ? time : undefined, detailType };

  if (source === 'aws.ec2' && detailType === 'EC2 Spot Instance Interruption Warning') {
    const action = detail['instance-action'];
    return { ...base, kind: 'spot_interrupted', instanceIds: [instanceId(detail, 'instance-id')], ...(typeof action === 'string' ? { instanceAction: action } : {}) };
  }
  if (source === 'aws.ec2' && detailType === 'EC2 Instance Rebalance Recommendation') {
    return { ...base, kind: 'rebalance_recommendation', instanceIds: [instanceId(detail, 'instance-id')] };
  }
  if (source === 'aws.ec2' && detailType === 'EC2 Instance State-change Notification') {
    const id = instanceId(detail, 'instance-id');
    const state = typeof detail.state === 'string' ? detail.state.toLowerCase() : undefined;
    if (state === undefined) throw new MalformedMessageError('detail.state is missing');
    const kind = ACTED_STATES[state];
    return { ...base, kind: kind ?? 'no_op', instanceIds: kind ? [id] : [], state };
  }
  if (source === 'aws.health' && detailType === 'AWS Health Event') {
    // Karpenter acts on scheduled changes to EC2 instances (retirement, maintenance).
    if (detail.service !== 'EC2' || detail.eventTypeCategory !== 'scheduledChange') return { ...base, kind: 'no_op', instanceIds: [] };
    const entities = detail.affectedEntities;
    if (!Array.isArray(entities)) throw new MalformedMessageError('detail.affectedEntities is not a list');
    const ids = entities
      .map((e) => (isObject(e) ? e.entityValue : undefined))
      .filter((v): v is string => typeof v === 'string' && INSTANCE_ID.test(v));
    return { ...base, kind: 'scheduled_change', instanceIds: ids };
  }
  return { ...base, kind: 'no_op', instanceIds: [] };
}

/** The instance id in a provider ID (`aws:///us-east-1a/i-0abc`), or undefined. */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  const m = /\/(i-[0-9a-f]+)$/.exec(providerID ?? '');
  return m?.[1];
}

/** Kinds whose instances are cordoned, replaced, drained and deleted (rebalance only on opt-in). */
export function actsOn(kind: MessageKind, actOnRebalance: boolean): boolean {
  return kind === 'spot_interrupted' || kind === 'scheduled_change' || kind === 'instance_stopped' || kind === 'instance_terminated' || (actOnRebalance && kind === 'rebalance_recommendation');
}
