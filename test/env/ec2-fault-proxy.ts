// The test EC2 endpoint: a pass-through proxy in front of moto that can answer
// InsufficientInstanceCapacity for offerings a test marks unavailable, and inject call
// faults (a 500 after the call took effect, a plain 500, a throttle) into the next N
// calls of an Action (see ec2-faults.ts).
// Run as its own process by cluster.ts:
//
//   node bin/tsx-run.js test/env/ec2-fault-proxy.ts --port P --upstream http://127.0.0.1:M
//
// Control (tests use TestEnv.ec2Faults):
//   GET  /__testenv/health                  200 once serving
//   GET  /__testenv/unavailable-offerings   the current list (JSON)
//   PUT  /__testenv/unavailable-offerings   replace it: [{"instanceType":"m5.large","zone":"us-east-1a","capacityType":"spot"}]
//   GET  /__testenv/call-faults             {"pending": [...], "injected": [{"action","kind","at"}]}
//   PUT  /__testenv/call-faults             replace the pending list: [{"action":"CreateFleet","kind":"error-after-success","count":3}]
//                                           (kinds: error-after-success, server-error, throttle); clears "injected"
//   PUT  /__testenv/outage                  {"durationMs": 5000, "mode": "unavailable"|"reset"}: from now on, for that long,
//                                           every EC2 call answers 503 Unavailable (or has its connection closed
//                                           unanswered) without reaching moto; each is added to "injected" as kind "outage"
// Every other request goes to moto unchanged, and so does every request while both lists are empty.
import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { ec2ClientFor } from './clients.ts';
import {
  allFailedFleetResponse, callFaultResponse, isOutage, outageHolds, outageResponse, type Outage, fleetCapacityType, fleetErrorSet, fleetOverrides, injectErrorSet, isCallFault, isUnavailable,
  runInstancesIceResponse, runInstancesOffering, takeCallFault, withOverrides, type CallFault, type CallFaultKind, type FleetOverride,
  type OfferingRequest, type UnavailableOffering,
} from './ec2-faults.ts';

const { values: opts } = parseArgs({
  options: { port: { type: 'string' }, upstream: { type: 'string' }, region: { type: 'string', default: 'us-east-1' } },
});
if (!opts.port || !opts.upstream) {
  process.stderr.write('usage: ec2-fault-proxy.ts --port <port> --upstream <moto URL> [--region us-east-1]\n');
  process.exit(2);
}
const upstream = new URL(opts.upstream);
const ec2 = ec2ClientFor(opts.upstream, opts.region ?? 'us-east-1');
const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ec2-fault-proxy: ${msg}\n`);

let unavailable: UnavailableOffering[] = [];
let callFaults: CallFault[] = [];
let injected: { action: string; kind: CallFaultKind | 'outage'; at: string }[] = [];
let outage: (Outage & { startedAt: number; refused: number }) | undefined;
const subnetZones = new Map<string, string>();

async function learnSubnetZones(ids: string[]): Promise<void> {
  const unknown = [...new Set(ids)].filter((id) => !subnetZones.has(id));
  if (unknown.length === 0) return;
  const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: unknown }));
  for (const s of out.Subnets ?? []) if (s.SubnetId && s.AvailabilityZone) subnetZones.set(s.SubnetId, s.AvailabilityZone);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends the request to moto; resolves with its status, headers and body. */
function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
    const up = request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

function reply(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const h: Record<string, string | string[] | undefined> = { ...headers, 'content-length': String(buf.length) };
  delete h['transfer-encoding']; // the body is sent whole
  res.writeHead(status, h);
  res.end(buf);
}

const XML = { 'content-type': 'text/xml; charset=utf-8' };

async function createFleet(req: IncomingMessage, params: URLSearchParams): Promise<Answer> {
  const capacityType = fleetCapacityType(params);
  const overrides = fleetOverrides(params);
  await learnSubnetZones(overrides.map((o) => o.fields.get('SubnetId')).filter((s): s is string => s !== undefined));
  const offeringOf = (o: FleetOverride): OfferingRequest => ({
    instanceType: o.fields.get('InstanceType') ?? '',
    zone: o.fields.get('AvailabilityZone') ?? subnetZones.get(o.fields.get('SubnetId') ?? ''),
    capacityType,
  });
  const failed = overrides.filter((o) => isUnavailable(unavailable, offeringOf(o))).map((o) => ({ override: o, offering: offeringOf(o) }));
  if (failed.length === 0) return forward(req, Buffer.from(params.toString()));
  const errorSet = fleetErrorSet(params, failed);
  const kept = overrides.filter((o) => !failed.some((f) => f.override === o));
  const reduced = withOverrides(params, kept);
  log(`CreateFleet ${capacityType}: no capacity for ${failed.map((f) => `${f.offering.instanceType}/${f.offering.zone ?? '?'}`).join(', ')}; ` +
    (reduced ? `launching from ${kept.length} other override(s)` : 'no override left'));
  if (!reduced) return { status: 200, headers: XML, body: allFailedFleetResponse(errorSet, `fleet-${randomUUID()}`, randomUUID()) };
  const up = await forward(req, Buffer.from(reduced.toString()));
  if (up.status !== 200) return up;
  return { ...up, body: injectErrorSet(up.body.toString('utf8'), errorSet) };
}

async function runInstances(req: IncomingMessage, params: URLSearchParams): Promise<Answer> {
  const subnet = params.get('SubnetId') ?? params.get('NetworkInterface.1.SubnetId');
  if (subnet) await learnSubnetZones([subnet]);
  const offering = runInstancesOffering(params, (id) => subnetZones.get(id));
  if (isUnavailable(unavailable, offering)) {
    log(`RunInstances: no capacity for ${offering.instanceType}/${offering.zone ?? '?'} (${offering.capacityType})`);
    return { status: 500, headers: XML, body: runInstancesIceResponse(offering, randomUUID()) };
  }
  return forward(req, Buffer.from(params.toString()));
}

/** The call as moto (and the capacity faults) answer it. */
function pass(req: IncomingMessage, params: URLSearchParams, action: string | null): Promise<Answer> {
  if (unavailable.length > 0 && action === 'CreateFleet') return createFleet(req, params);
  if (unavailable.length > 0 && action === 'RunInstances') return runInstances(req, params);
  return forward(req, Buffer.from(params.toString()));
}

/** Applies the pending call fault for this Action, if any, around `pass`. */
async function withCallFault(req: IncomingMessage, params: URLSearchParams, action: string): Promise<Answer> {
  const taken = takeCallFault(callFaults, action);
  callFaults = taken.pending;
  if (!taken.fault) return pass(req, params, action);
  if (taken.fault === 'error-after-success') {
    const up = await pass(req, params, action);
    log(`${action}: forwarded (moto answered ${up.status}), answering 500 instead (injected)`);
  } else {
    log(`${action}: answering ${taken.fault} without forwarding (injected)`);
  }
  injected.push({ action, kind: taken.fault, at: new Date().toISOString() });
  const answer = callFaultResponse(taken.fault, action, randomUUID());
  return { status: answer.status, headers: XML, body: answer.body };
}

async function control(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const json = { 'content-type': 'application/json' };
  if (req.url === '/__testenv/health') return reply(res, 200, json, '{"ok":true}');
  if (req.url === '/__testenv/unavailable-offerings') {
    if (req.method === 'PUT') {
      const parsed = JSON.parse(body.toString('utf8') || '[]') as unknown;
      if (!Array.isArray(parsed) || !parsed.every((r) => typeof (r as UnavailableOffering).instanceType === 'string')) {
        return reply(res, 400, json, '{"error":"expected a JSON array of {instanceType, zone?, capacityType?}"}');
      }
      unavailable = parsed as UnavailableOffering[];
      log(`unavailable offerings: ${JSON.stringify(unavailable)}`);
    }
    return reply(res, 200, json, JSON.stringify(unavailable));
  }
  if (req.url === '/__testenv/call-faults') {
    if (req.method === 'PUT') {
      const parsed = JSON.parse(body.toString('utf8') || '[]') as unknown;
      if (!Array.isArray(parsed) || !parsed.every(isCallFault)) {
        return reply(res, 400, json, '{"error":"expected a JSON array of {action, kind: error-after-success|server-error|throttle, count > 0}"}');
      }
      callFaults = parsed;
      injected = [];
      log(`call faults: ${JSON.stringify(callFaults)}`);
    }
    return reply(res, 200, json, JSON.stringify({ pending: callFaults, injected }));
  }
  if (req.url === '/__testenv/outage' && req.method === 'PUT') {
    const parsed = JSON.parse(body.toString('utf8') || '{}') as unknown;
    if (!isOutage(parsed)) return reply(res, 400, json, '{"error":"expected {durationMs: 1..600000, mode: unavailable|reset}"}');
    outage = { ...parsed, startedAt: Date.now(), refused: 0 };
    const extended = parsed.untilRefused ? `, and on until ${parsed.untilRefused} call(s) were refused (at most ${parsed.maxMs ?? parsed.durationMs} ms)` : '';
    log(`outage: every call ${parsed.mode === 'reset' ? 'has its connection closed' : 'answers 503'} for ${parsed.durationMs} ms${extended}`);
    return reply(res, 200, json, JSON.stringify(outage));
  }
  return reply(res, 404, json, '{"error":"unknown control path"}');
}

const server = createServer((req, res) => {
  void (async () => {
    const body = await readBody(req);
    if (req.url?.startsWith('/__testenv/')) return control(req, res, body);
    if (outage && outageHolds(outage, outage.startedAt, outage.refused, Date.now())) {
      outage.refused += 1;
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '?';
      injected.push({ action, kind: 'outage', at: new Date().toISOString() });
      if (outage.mode === 'reset') {
        req.socket.destroy();
        return;
      }
      const answer = outageResponse(action, randomUUID());
      return reply(res, answer.status, XML, answer.body);
    }
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (req.method === 'POST' && isForm && (unavailable.length > 0 || callFaults.length > 0)) {
      const params = new URLSearchParams(body.toString('utf8'));
      const action = params.get('Action');
      const answer = action ? await withCallFault(req, params, action) : await pass(req, params, action);
      return reply(res, answer.status, answer.headers, answer.body);
    }
    const up = await forward(req, body);
    reply(res, up.status, up.headers, up.body);
  })().catch((err: unknown) => {
    log(`request failed: ${(err as Error).message}`);
    if (!res.headersSent) reply(res, 502, { 'content-type': 'text/plain' }, `ec2-fault-proxy: ${(err as Error).message}`);
  });
});

server.listen(Number(opts.port), '127.0.0.1', () => log(`forwarding 127.0.0.1:${opts.port} to ${opts.upstream}`));
// Test traffic only: nothing in flight is worth waiting for.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
