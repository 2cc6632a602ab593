// Faults for the test EC2, which moto cannot produce: InsufficientInstanceCapacity for
// an offering (instance type, zone, capacity type), and call faults for the next N calls
// of an Action: a 500 after the call took effect (forwarded to moto, its answer replaced
// by InternalError), a plain 500 (not forwarded), or throttling (503 RequestLimitExceeded).
// Pure functions over EC2 Query requests (form-encoded, as @aws-sdk/client-ec2 sends
// them) and responses; ec2-fault-proxy.ts applies them in front of moto.
//
// As EC2 does: an instant CreateFleet launches from the overrides that have capacity and
// lists an InsufficientInstanceCapacity error for each one that has none (no instance at
// all when none has capacity); RunInstances fails with InsufficientInstanceCapacity.

/** An offering without capacity; an absent field matches every value. */
export interface UnavailableOffering {
  instanceType: string;
  zone?: string;
  capacityType?: 'on-demand' | 'spot';
}

export interface OfferingRequest {
  instanceType: string;
  zone: string | undefined;
  capacityType: 'on-demand' | 'spot';
}

export function isUnavailable(rules: readonly UnavailableOffering[], o: OfferingRequest): boolean {
  return rules.some((r) =>
    r.instanceType === o.instanceType &&
    (r.zone === undefined || r.zone === o.zone) &&
    (r.capacityType === undefined || r.capacityType === o.capacityType));
}

/** One override of one launch template config of a CreateFleet request. */
export interface FleetOverride {
  config: number;
  index: number;
  /** The override's own parameters, keyed without the `LaunchTemplateConfigs.N.Overrides.M.` prefix. */
  fields: Map<string, string>;
}

const OVERRIDE_KEY = /^LaunchTemplateConfigs\.(\d+)\.Overrides\.(\d+)\.(.+)$/;
const CONFIG_KEY = /^LaunchTemplateConfigs\.(\d+)\.(.+)$/;

export function fleetOverrides(params: URLSearchParams): FleetOverride[] {
  const byKey = new Map<string, FleetOverride>();
  for (const [key, value] of params) {
    const m = OVERRIDE_KEY.exec(key);
    if (!m) continue;
    const id = `${m[1]}.${m[2]}`;
    const o = byKey.get(id) ?? { config: Number(m[1]), index: Number(m[2]), fields: new Map<string, string>() };
    o.fields.set(m[3] ?? '', value);
    byKey.set(id, o);
  }
  return [...byKey.values()].sort((a, b) => a.config - b.config || a.index - b.index);
}

export function fleetCapacityType(params: URLSearchParams): 'on-demand' | 'spot' {
  return params.get('TargetCapacitySpecification.DefaultTargetCapacityType') === 'spot' ? 'spot' : 'on-demand';
}

/**
 * The CreateFleet request with only the `kept` overrides, renumbered from 1; launch
 * template configs left with no override are dropped (they would launch the
 * template's own instance type). Null when no config is left.
 */
export function withOverrides(params: URLSearchParams, kept: FleetOverride[]): URLSearchParams | null {
  const configsKept = [...new Set(kept.map((o) => o.config))].sort((a, b) => a - b);
  if (configsKept.length === 0) return null;
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    if (OVERRIDE_KEY.test(key)) continue;
    const m = CONFIG_KEY.exec(key);
    if (!m) {
      out.append(key, value);
      continue;
    }
    const newConfig = configsKept.indexOf(Number(m[1])) + 1;
    if (newConfig > 0) out.append(`LaunchTemplateConfigs.${newConfig}.${m[2]}`, value);
  }
  for (const [ci, config] of configsKept.entries()) {
    kept.filter((o) => o.config === config).forEach((o, oi) => {
      for (const [field, value] of o.fields) out.append(`LaunchTemplateConfigs.${ci + 1}.Overrides.${oi + 1}.${field}`, value);
    });
  }
  return out;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function iceMessage(o: OfferingRequest): string {
  return `We currently do not have sufficient ${o.instanceType} capacity in the Availability Zone you requested (${o.zone ?? 'any'}). ` +
    'Our system will be working on provisioning additional capacity. (test environment: injected fault)';
}

/** `<errorSet>` of a CreateFleet response: one InsufficientInstanceCapacity per failed override. */
export function fleetErrorSet(params: URLSearchParams, failed: { override: FleetOverride; offering: OfferingRequest }[]): string {
  const items = failed.map(({ override, offering }) => {
    const spec = ['LaunchTemplateId', 'LaunchTemplateName', 'Version']
      .map((f) => [f, params.get(`LaunchTemplateConfigs.${override.config}.LaunchTemplateSpecification.${f}`)] as const)
      .filter(([, v]) => v !== null)
      .map(([f, v]) => `<${f[0]?.toLowerCase()}${f.slice(1)}>${xml(v ?? '')}</${f[0]?.toLowerCase()}${f.slice(1)}>`).join('');
    const overrides = [...override.fields]
      .map(([f, v]) => `<${f[0]?.toLowerCase()}${f.slice(1)}>${xml(v)}</${f[0]?.toLowerCase()}${f.slice(1)}>`).join('');
    return `<item><launchTemplateAndOverrides><launchTemplateSpecification>${spec}</launchTemplateSpecification>` +
      `<overrides>${overrides}</overrides></launchTemplateAndOverrides><lifecycle>${offering.capacityType}</lifecycle>` +
      `<errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>${xml(iceMessage(offering))}</errorMessage></item>`;
  });
  return `<errorSet>${items.join('')}</errorSet>`;
}

/** Adds `errorSet` to moto's CreateFleet response (which has none). */
export function injectErrorSet(responseXml: string, errorSet: string): string {
  const close = responseXml.lastIndexOf('</CreateFleetResponse>');
  if (close < 0) return responseXml;
  return responseXml.slice(0, close) + errorSet + responseXml.slice(close);
}

/** A CreateFleet response in which every override failed: a fleet ID, no instance. */
export function allFailedFleetResponse(errorSet: string, fleetId: string, requestId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>` +
    `<fleetId>${fleetId}</fleetId>${errorSet}<fleetInstanceSet/></CreateFleetResponse>`;
}

/** The error response EC2 gives a RunInstances call without capacity (HTTP 500). */
export function runInstancesIceResponse(o: OfferingRequest, requestId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code><Message>${xml(iceMessage(o))}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`;
}

export function runInstancesOffering(params: URLSearchParams, zoneOfSubnet: (id: string) => string | undefined): OfferingRequest {
  const subnet = params.get('SubnetId') ?? params.get('NetworkInterface.1.SubnetId');
  return {
    instanceType: params.get('InstanceType') ?? 'm1.small',
    zone: params.get('Placement.AvailabilityZone') ?? (subnet ? zoneOfSubnet(subnet) : undefined),
    capacityType: params.get('InstanceMarketOptions.MarketType') === 'spot' ? 'spot' : 'on-demand',
  };
}

// ---- call faults ---------------------------------------------------------------------------

/**
 * What the proxy does to a call:
 *   error-after-success  forwards it to moto (it takes effect), then answers 500 InternalError;
 *   server-error         answers 500 InternalError without forwarding (nothing happens);
 *   throttle             answers 503 RequestLimitExceeded without forwarding.
 */
export type CallFaultKind = 'error-after-success' | 'server-error' | 'throttle';

/** The next `count` calls of `action` (an EC2 Query Action, e.g. CreateFleet) get `kind`. */
export interface CallFault {
  action: string;
  kind: CallFaultKind;
  count: number;
}

export const CALL_FAULT_KINDS: readonly CallFaultKind[] = ['error-after-success', 'server-error', 'throttle'];

export function isCallFault(v: unknown): v is CallFault {
  const f = v as CallFault;
  return typeof f === 'object' && f !== null && typeof f.action === 'string' && CALL_FAULT_KINDS.includes(f.kind) &&
    Number.isInteger(f.count) && f.count > 0;
}

/**
 * The fault for one call of `action`: the first pending fault for that action, with one
 * call fewer left (dropped once spent). The list is not changed; the new one is returned.
 */
export function takeCallFault(pending: readonly CallFault[], action: string): { fault: CallFaultKind | undefined; pending: CallFault[] } {
  const i = pending.findIndex((f) => f.action === action && f.count > 0);
  if (i < 0) return { fault: undefined, pending: [...pending] };
  const f = pending[i]!;
  const rest = [...pending.slice(0, i), ...(f.count > 1 ? [{ ...f, count: f.count - 1 }] : []), ...pending.slice(i + 1)];
  return { fault: f.kind, pending: rest };
}

/** The HTTP answer a call fault gives (after forwarding, for error-after-success). */
export function callFaultResponse(kind: CallFaultKind, action: string, requestId: string): { status: number; body: string } {
  const throttled = kind === 'throttle';
  const code = throttled ? 'RequestLimitExceeded' : 'InternalError';
  const message = throttled
    ? 'Request limit exceeded. (test environment: injected fault)'
    : `An internal error has occurred${kind === 'error-after-success' ? ' (test environment: injected after the call took effect)' : ' (test environment: injected fault)'}`;
  return {
    status: throttled ? 503 : 500,
    body: '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Response><Errors><Error><Code>${code}</Code><Message>${xml(`${action}: ${message}`)}</Message></Error></Errors>` +
      `<RequestID>${requestId}</RequestID></Response>`,
  };
}

// ---- outage --------------------------------------------------------------------------------

/**
 * An outage of the EC2 endpoint: for `durationMs` every call fails without reaching moto,
 * `unavailable` with 503 Unavailable, `reset` by closing the connection unanswered. With
 * `untilRefused`, it lasts past `durationMs` until that many calls were refused (at most
 * `maxMs` in all), so a test knows the caller met it whatever its timing.
 */
export type OutageMode = 'unavailable' | 'reset';
export interface Outage {
  durationMs: number;
  mode: OutageMode;
  untilRefused?: number;
  maxMs?: number;
}

export function isOutage(v: unknown): v is Outage {
  const o = v as Outage;
  const ms = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= 600_000;
  return typeof o === 'object' && o !== null && ms(o.durationMs) &&
    (o.mode === 'unavailable' || o.mode === 'reset') &&
    (o.untilRefused === undefined || (Number.isInteger(o.untilRefused) && o.untilRefused >= 0)) &&
    (o.maxMs === undefined || (ms(o.maxMs) && o.maxMs >= o.durationMs));
}

/** Whether an outage that started at `startedAt` and has refused `refused` calls still holds at `now`. */
export function outageHolds(o: Outage, startedAt: number, refused: number, now: number): boolean {
  if (now < startedAt + o.durationMs) return true;
  return refused < (o.untilRefused ?? 0) && now < startedAt + (o.maxMs ?? o.durationMs);
}

/** What EC2 answers while it is unavailable (HTTP 503). */
export function outageResponse(action: string, requestId: string): { status: number; body: string } {
  return {
    status: 503,
    body: '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Response><Errors><Error><Code>Unavailable</Code><Message>${xml(`${action}: The service is unavailable. (test environment: injected outage)`)}</Message></Error></Errors>` +
      `<RequestID>${requestId}</RequestID></Response>`,
  };
}
