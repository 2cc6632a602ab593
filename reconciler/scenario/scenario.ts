// Scenario files: a simulated day (or any span) written as YAML, so users can write
// their own. Parsed into a typed Scenario; every error names the file and the field,
// says what is wrong and how to fix it.
//
//   name, start (ISO time), duration, seed
//   cluster:    name, zones, bootSeconds, readySeconds
//   ec2:        spotPrice {minFraction, maxFraction}, shortages [{from, until, instanceTypes, zones, capacityTypes}],
//               spotInterruptions {ratePerHour, notice, offerings: [{instanceTypes, zones, ratePerHour}]},
//               reservations [{id, instanceType, zone, count, type, end, tags}]  (capacity reservations
//               of the account: an EC2NodeClass's capacityReservationSelectorTerms select them by id
//               or tags; type default or capacity-block, which needs an end)
//   reconciler: batchIdle, batchMax, stabilization, spotToSpot, interruptionQueue, nodeRepair, podDeletionCost
//   fleet:      nodes alive at the start [{nodePool, instanceType, capacityType, zone, count, age}]
//   daemonSets: [{name, namespace, requests, tolerateAll}]
//   volumes:    PersistentVolumeClaims [{claim, namespace, zone, storageClass}]: with a zone, bound to a
//               PersistentVolume in that zone (ebs.csi.aws.com); without, unbound, of a
//               WaitForFirstConsumer class (default gp3), provisioned where its first pod binds
//   workloads:  Deployment {name, namespace, labels, annotations, requests, tolerations, nodeSelector,
//               spreadZones, priorityClassName, pdb, doNotDisrupt, claims, replicas: [{at, to?, replicas}]}
//               Job {name, namespace, at, completions, parallelism, duration, requests, ...}
//               Snapshot {file, at}: `kubectl get pods,nodes,daemonsets,pdb -A -o json`
//   events:     [{at, policyCommit: {message, nodePools: {<name>: {requirements, set}}, nodeClasses, policies}}]
//               [{at, deleteNodeClaims: {nodePool, reason}}]  (an operator's kubectl delete)
//               [{at, nodeNotReady: {nodePool, status, reason}}]  (a node of the pool goes NotReady)
//
// Times ("at", "from", ...) are "HH:MM" from the start of the scenario, or a duration
// ("90m", "26h").

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../core/disruption/duration.ts';
import { parseQuantity } from '../../core/resources/quantity.ts';
import type { Toleration } from '../../core/api/k8s.ts';
import { ANNOTATION_DO_NOT_DISRUPT } from '../../core/contract/index.ts';
import { unknownScenarioKeys } from './scenario-schema.ts';

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
    /** 1-based line of the field in the file, when known. */
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field}: ${detail}`);
    this.name = 'ScenarioError';
  }
}

interface ReplicaStep {
  readonly atMs: number;
  /** Ramp linearly from the previous count to `replicas`, ending here; absent = a step. */
  readonly toMs?: number;
  readonly replicas: number;
}

export interface PodShape {
  readonly requests: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Spread evenly over zones (maxSkew 1, ScheduleAnyway) when set. */
  readonly spreadZones: boolean;
  readonly priorityClassName?: string;
  /** PersistentVolumeClaims (of `volumes`, in the workload's namespace) every pod mounts. */
  readonly claims: readonly string[];
}

/** A PersistentVolumeClaim of the simulated cluster. */
export interface ScenarioVolume {
  readonly claim: string;
  readonly namespace: string;
  /** Bound to a PersistentVolume in this zone; undefined: unbound until its first pod binds. */
  readonly zone?: string;
  readonly storageClass: string;
}

export interface DeploymentWorkload extends PodShape {
  readonly kind: 'Deployment';
  readonly name: string;
  readonly namespace: string;
  readonly replicas: readonly ReplicaStep[];
  readonly pdb?: { readonly maxUnavailable?: string | number; readonly minAvailable?: string | number };
}

export interface JobWorkload extends PodShape {
  readonly kind: 'Job';
  readonly name: string;
  readonly namespace: string;
  readonly atMs: number;
  readonly completions: number;
  readonly parallelism: number;
  readonly runMs: number;
}

interface SnapshotWorkload {
  readonly kind: 'Snapshot';
  readonly file: string;
  readonly atMs: number;
}

type Workload = DeploymentWorkload | JobWorkload | SnapshotWorkload;

export interface FleetNodes {
  readonly nodePool: string;
  readonly instanceType: string;
  readonly capacityType: 'spot' | 'on-demand';
  readonly zone: string;
  readonly count: number;
  readonly ageMs: number;
}

interface RequirementPatch {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface PolicyCommit {
  readonly message: string;
  /** Compile this policies directory instead (relative to the scenario file). */
  readonly policies?: string;
  /** Per NodePool: requirements replaced by key, and dot-path fields set. */
  readonly nodePools: Readonly<Record<string, { readonly requirements?: readonly RequirementPatch[]; readonly set?: Readonly<Record<string, unknown>> }>>;
  readonly nodeClasses: Readonly<Record<string, { readonly set?: Readonly<Record<string, unknown>> }>>;
}

/** An operator's action through the API, e.g. `kubectl delete nodeclaims -l karpenter.sh/nodepool=gpu`. */
interface DeleteNodeClaims {
  readonly nodePool: string;
  readonly reason: string;
}

/** One node of the pool (picked with the seed among its Ready nodes with pods) goes NotReady while its instance runs on. */
export interface NodeNotReady {
  readonly nodePool: string;
  /** Ready False (the kubelet reports a fault) or Unknown (it stopped reporting). */
  readonly status: 'False' | 'Unknown';
  readonly reason: string;
}

export type ScenarioEvent =
  | { readonly atMs: number; readonly policyCommit: PolicyCommit; readonly deleteNodeClaims?: undefined; readonly nodeNotReady?: undefined }
  | { readonly atMs: number; readonly deleteNodeClaims: DeleteNodeClaims; readonly policyCommit?: undefined; readonly nodeNotReady?: undefined }
  | { readonly atMs: number; readonly nodeNotReady: NodeNotReady; readonly policyCommit?: undefined; readonly deleteNodeClaims?: undefined };

/** Spot interruptions of the simulated account: a seeded rate per spot offering. */
export interface SpotInterruptions {
  /** Expected interruptions per instance-hour of every spot offering no rule matches (0: none). */
  readonly ratePerHour: number;
  /** From the warning to EC2 reclaiming the instance. */
  readonly noticeMs: number;
  /** Rates of some offerings; the first matching rule wins. */
  readonly offerings: readonly { readonly instanceTypes?: readonly string[]; readonly zones?: readonly string[]; readonly ratePerHour: number }[];
}

/** A capacity reservation of the simulated account; `endMs` from the start of the scenario. */
export interface ScenarioReservation {
  readonly id: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly count: number;
  readonly type: 'default' | 'capacity-block';
  readonly endMs?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

interface Shortage {
  readonly fromMs: number;
  readonly untilMs: number;
  readonly instanceTypes?: readonly string[];
  readonly zones?: readonly string[];
  readonly capacityTypes?: readonly ('spot' | 'on-demand')[];
}

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Policies directory, resolved (undefined: the caller's default). */
  readonly policies?: string;
  readonly cluster: { readonly name: string; readonly zones: readonly string[]; readonly bootSeconds: number; readonly readySeconds: number };
  readonly ec2: { readonly spotMin: number; readonly spotMax: number; readonly shortages: readonly Shortage[]; readonly spotInterruptions: SpotInterruptions; readonly reservations: readonly ScenarioReservation[] };
  readonly reconciler: {
    readonly batchIdleMs: number;
    readonly batchMaxMs: number;
    readonly stabilizationMs: number;
    readonly spotToSpot: boolean;
    /** The reconciler reads the simulated account's interruption queue (settings.interruptionQueue). */
    readonly interruptionQueue: boolean;
    /** Karpenter's NodeRepair feature gate (repairs the NodePools that opt in). */
    readonly nodeRepair: boolean;
    /** Karpenter's PodDeletionCostManagement feature gate (pod-deletion-cost on ReplicaSet pods). */
    readonly podDeletionCost: boolean;
  };
  readonly fleet: readonly FleetNodes[];
  readonly daemonSets: readonly { readonly name: string; readonly namespace: string; readonly requests: Readonly<Record<string, string>>; readonly tolerateAll: boolean }[];
  readonly volumes: readonly ScenarioVolume[];
  readonly workloads: readonly Workload[];
  readonly events: readonly ScenarioEvent[];
  /** How often the recorder samples the fleet. */
  readonly sampleMs: number;
}

type Obj = Record<string, unknown>;

/**
 * Bounds of a scenario, so a typo (`replicas: 1e9`, `duration: 100000h`, `sampleEvery: 0s`)
 * is an error naming the field rather than a run that exhausts memory or never ends.
 */
export const SCENARIO_LIMITS = {
  /** Replicas of one Deployment step, and completions or parallelism of one Job. */
  maxReplicas: 10_000,
  /** Nodes in the starting fleet, all entries together. */
  maxFleetNodes: 5_000,
  /** Simulated time. */
  maxDurationMs: 31 * 24 * 3_600_000,
  /** Shortest sampling interval. */
  minSampleMs: 10_000,
  /** Most samples in one run (duration / sampleEvery). */
  maxSamples: 50_000,
  /** Running pods in one snapshot workload. */
  maxSnapshotPods: 50_000,
} as const;

/** ec2.reservations, each checked (id, count, type; a capacity block ends). */
function reservations(r: Reader, list: unknown[]): ScenarioReservation[] {
  const seen = new Set<string>();
  return list.map((x, i) => {
    const f = `ec2.reservations[${i}]`;
    const o = r.obj(x, f);
    const id = r.str(o.id, `${f}.id`);
    if (!/^cr-[0-9a-f]+$/.test(id)) r.fail(`${f}.id`, `"${id}" is not a capacity reservation id; write "cr-" and hex digits, e.g. cr-0123456789abcdef0`);
    if (seen.has(id)) r.fail(`${f}.id`, `"${id}" is listed twice; give each reservation its own id`);
    seen.add(id);
    const count = r.num(o.count, `${f}.count`, undefined, 1);
    if (!Number.isInteger(count)) r.fail(`${f}.count`, `${count} is not a whole number of instances`);
    const type = r.str(o.type, `${f}.type`, 'default');
    if (type !== 'default' && type !== 'capacity-block') r.fail(`${f}.type`, `"${type}" must be default (an on-demand capacity reservation) or capacity-block`);
    const endMs = o.end !== undefined ? r.time(o.end, `${f}.end`) : undefined;
    if (type === 'capacity-block' && endMs === undefined) r.fail(`${f}.end`, 'a capacity block has an end; write when it ends, e.g. end: "06:00" (from the start)');
    const tags = r.obj(o.tags, `${f}.tags`);
    return {
      id,
      instanceType: r.str(o.instanceType, `${f}.instanceType`),
      zone: r.str(o.zone, `${f}.zone`, 'us-east-1a'),
      count,
      type,
      ...(endMs !== undefined ? { endMs } : {}),
      ...(Object.keys(tags).length > 0 ? { tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, r.str(v, `${f}.tags.${k}`)])) } : {}),
    };
  });
}

class Reader {
  constructor(readonly file: string) {}

  fail(field: string, detail: string): never {
    throw new ScenarioError(this.file, field, detail);
  }

  obj(v: unknown, field: string): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, `expected a mapping, got ${Array.isArray(v) ? 'a list' : typeof v}`);
    return v as Obj;
  }

  list(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(field, `expected a list, got ${typeof v}`);
    return v;
  }

  str(v: unknown, field: string, fallback?: string): string {
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(field, `expected a string, got ${typeof v}`);
    return String(v);
  }

  num(v: unknown, field: string, fallback?: number, min = 0, max?: number): number {
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < min) this.fail(field, `expected a number >= ${min}, got ${JSON.stringify(v)}`);
    if (max !== undefined && n > max) this.fail(field, `is ${n}; at most ${max.toLocaleString('en-US')} is allowed`);
    return n;
  }

  bool(v: unknown, field: string, fallback = false): boolean {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  duration(v: unknown, field: string, fallback?: number): number {
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    try {
      return parseDuration(String(v));
    } catch {
      return this.fail(field, `"${String(v)}" is not a duration; write e.g. "90s", "15m" or "24h"`);
    }
  }

  /** "HH:MM" from the start, or a duration offset. */
  time(v: unknown, field: string, fallback?: number): number {
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    const s = String(v).trim();
    const hm = /^(\d{1,2}):(\d{2})$/.exec(s);
    if (hm) {
      const h = Number(hm[1]);
      const m = Number(hm[2]);
      if (m > 59) this.fail(field, `"${s}" has minutes above 59`);
      return (h * 60 + m) * 60_000;
    }
    try {
      return parseDuration(s);
    } catch {
      return this.fail(field, `"${s}" is not a time; write "HH:MM" from the start of the scenario (e.g. "06:30") or an offset like "26h"`);
    }
  }

  strMap(v: unknown, field: string): Record<string, string> {
    const o = this.obj(v, field);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.str(x, `${field}.${k}`);
    return out;
  }

  quantities(v: unknown, field: string): Record<string, string> {
    const out = this.strMap(v, field);
    for (const [k, q] of Object.entries(out)) {
      let value: number;
      try {
        value = parseQuantity(q);
      } catch {
        return this.fail(`${field}.${k}`, `"${q}" is not a Kubernetes quantity; write e.g. "500m", "2", "1Gi"`);
      }
      if (!Number.isFinite(value)) this.fail(`${field}.${k}`, `"${q}" is not a finite quantity; write e.g. "500m", "2", "1Gi"`);
      if (value < 0) this.fail(`${field}.${k}`, `"${q}" is negative; a request is 0 or more`);
    }
    return out;
  }
}

function podShape(r: Reader, w: Obj, field: string): PodShape {
  const requests = r.quantities(w.requests, `${field}.requests`);
  if (Object.keys(requests).length === 0) r.fail(`${field}.requests`, 'is required (e.g. {cpu: 500m, memory: 1Gi}): the reconciler sizes nodes from requests');
  const tolerations = r.list(w.tolerations, `${field}.tolerations`).map((t, i) => {
    const o = r.obj(t, `${field}.tolerations[${i}]`);
    return {
      ...(o.key !== undefined ? { key: r.str(o.key, `${field}.tolerations[${i}].key`) } : {}),
      operator: r.str(o.operator, `${field}.tolerations[${i}].operator`, o.value !== undefined ? 'Equal' : 'Exists'),
      ...(o.value !== undefined ? { value: r.str(o.value, `${field}.tolerations[${i}].value`) } : {}),
      ...(o.effect !== undefined ? { effect: r.str(o.effect, `${field}.tolerations[${i}].effect`) } : {}),
    } as Toleration;
  });
  const annotations = r.strMap(w.annotations, `${field}.annotations`);
  if (r.bool(w.doNotDisrupt, `${field}.doNotDisrupt`)) annotations[ANNOTATION_DO_NOT_DISRUPT] = 'true';
  return {
    requests,
    labels: r.strMap(w.labels, `${field}.labels`),
    annotations,
    tolerations,
    nodeSelector: r.strMap(w.nodeSelector, `${field}.nodeSelector`),
    spreadZones: r.bool(w.spreadZones, `${field}.spreadZones`),
    ...(w.priorityClassName !== undefined ? { priorityClassName: r.str(w.priorityClassName, `${field}.priorityClassName`) } : {}),
    claims: r.list(w.claims, `${field}.claims`).map((c, i) => r.str(c, `${field}.claims[${i}]`)),
  };
}

/** volumes: each claim named once per namespace; a zone, when given, is a zone name. */
function volumes(r: Reader, list: unknown[]): ScenarioVolume[] {
  const seen = new Set<string>();
  return list.map((x, i) => {
    const f = `volumes[${i}]`;
    const o = r.obj(x, f);
    const claim = r.str(o.claim, `${f}.claim`);
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(claim)) r.fail(`${f}.claim`, `"${claim}" is not a valid claim name; use lower-case letters, digits, "-" and ".", e.g. pg-data`);
    const namespace = r.str(o.namespace, `${f}.namespace`, 'default');
    if (seen.has(`${namespace}/${claim}`)) r.fail(`${f}.claim`, `"${claim}" is listed twice in namespace ${namespace}; give each claim its own name`);
    seen.add(`${namespace}/${claim}`);
    const zone = o.zone !== undefined ? r.str(o.zone, `${f}.zone`) : undefined;
    return { claim, namespace, ...(zone !== undefined ? { zone } : {}), storageClass: r.str(o.storageClass, `${f}.storageClass`, 'gp3') };
  });
}

/** Every claim a workload mounts is one of `volumes`, in the workload's namespace. */
function checkClaims(r: Reader, workloads: readonly Workload[], declared: readonly ScenarioVolume[]): void {
  workloads.forEach((w, i) => {
    if (w.kind === 'Snapshot') return;
    w.claims.forEach((c, j) => {
      if (declared.some((v) => v.claim === c && v.namespace === w.namespace)) return;
      const known = declared.filter((v) => v.namespace === w.namespace).map((v) => v.claim);
      r.fail(
        `workloads[${i}].claims[${j}]`,
        `"${c}" is not a claim of volumes in namespace ${w.namespace}${known.length > 0 ? ` (${known.join(', ')})` : ''}; declare it under volumes, e.g. volumes: [{claim: ${c}, namespace: ${w.namespace}, zone: us-east-1a}]`,
      );
    });
  });
}

function boundedFleet(r: Reader, fleet: FleetNodes[]): FleetNodes[] {
  const total = fleet.reduce((sum, f) => sum + f.count, 0);
  if (total > SCENARIO_LIMITS.maxFleetNodes) r.fail('fleet', `has ${total.toLocaleString('en-US')} nodes in all; at most ${SCENARIO_LIMITS.maxFleetNodes.toLocaleString('en-US')} are allowed`);
  return fleet;
}

export function parseScenario(text: string, file: string): Scenario {
  const r = new Reader(file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    r.fail('(document)', `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const root = r.obj(doc, '(document)');
  // Every key at every level is one the simulator reads (scenario-schema.ts, with ajv).
  const unknown = unknownScenarioKeys(text, root);
  if (unknown.length > 0) {
    const u = unknown[0]!;
    const more = unknown.length > 1 ? ` (${unknown.length - 1} more unknown: ${unknown.slice(1).map((x) => `${x.field}${x.line !== undefined ? ` at line ${x.line}` : ''}`).join(', ')})` : '';
    const hint = u.suggestion ? `did you mean "${u.suggestion}"? ` : '';
    throw new ScenarioError(file, u.field, `unknown field "${u.key}"; ${hint}expected one of ${u.known.join(', ')}${more}`, u.line);
  }
  const startText = r.str(root.start, 'start', '2026-03-03T00:00:00Z');
  const startMs = Date.parse(startText);
  if (!Number.isFinite(startMs)) r.fail('start', `"${startText}" is not an ISO time; write e.g. 2026-03-03T00:00:00Z`);
  const durationMs = r.duration(root.duration, 'duration', 24 * 3_600_000);
  if (durationMs <= 0) r.fail('duration', 'must be longer than 0s');
  if (durationMs > SCENARIO_LIMITS.maxDurationMs) r.fail('duration', `"${String(root.duration)}" is longer than the limit of ${SCENARIO_LIMITS.maxDurationMs / 3_600_000}h (31 days)`);
  const sampleMs = r.duration(root.sampleEvery, 'sampleEvery', 5 * 60_000);
  if (sampleMs < SCENARIO_LIMITS.minSampleMs) r.fail('sampleEvery', `"${String(root.sampleEvery)}" is shorter than the minimum of ${SCENARIO_LIMITS.minSampleMs / 1000}s`);
  if (durationMs / sampleMs > SCENARIO_LIMITS.maxSamples) r.fail('sampleEvery', `"${String(root.sampleEvery)}" takes ${Math.ceil(durationMs / sampleMs).toLocaleString('en-US')} samples over the duration; at most ${SCENARIO_LIMITS.maxSamples.toLocaleString('en-US')} are allowed: sample less often`);
  const baseDir = dirname(resolve(file));

  const cluster = r.obj(root.cluster, 'cluster');
  const ec2 = r.obj(root.ec2, 'ec2');
  const spot = r.obj(ec2.spotPrice, 'ec2.spotPrice');
  const rec = r.obj(root.reconciler, 'reconciler');
  const interruptions = r.obj(ec2.spotInterruptions, 'ec2.spotInterruptions');
  for (const k of Object.keys(interruptions)) if (!['ratePerHour', 'notice', 'offerings'].includes(k)) r.fail(`ec2.spotInterruptions.${k}`, 'unknown field; expected one of ratePerHour, notice, offerings');
  const spotInterruptions: SpotInterruptions = {
    ratePerHour: r.num(interruptions.ratePerHour, 'ec2.spotInterruptions.ratePerHour', 0, 0, 60),
    noticeMs: r.duration(interruptions.notice, 'ec2.spotInterruptions.notice', 120_000),
    offerings: r.list(interruptions.offerings, 'ec2.spotInterruptions.offerings').map((x, i) => {
      const f = `ec2.spotInterruptions.offerings[${i}]`;
      const o = r.obj(x, f);
      return {
        ...(o.instanceTypes !== undefined ? { instanceTypes: r.list(o.instanceTypes, `${f}.instanceTypes`).map((v, j) => r.str(v, `${f}.instanceTypes[${j}]`)) } : {}),
        ...(o.zones !== undefined ? { zones: r.list(o.zones, `${f}.zones`).map((v, j) => r.str(v, `${f}.zones[${j}]`)) } : {}),
        ratePerHour: r.num(o.ratePerHour, `${f}.ratePerHour`, undefined, 0, 60),
      };
    }),
  };
  const spotMin = r.num(spot.minFraction, 'ec2.spotPrice.minFraction', 0.3);
  const spotMax = r.num(spot.maxFraction, 'ec2.spotPrice.maxFraction', 0.65);
  if (spotMax < spotMin || spotMax > 1) r.fail('ec2.spotPrice', 'need 0 <= minFraction <= maxFraction <= 1');

  const workloads: Workload[] = r.list(root.workloads, 'workloads').map((x, i): Workload => {
    const field = `workloads[${i}]`;
    const w = r.obj(x, field);
    const kind = r.str(w.kind, `${field}.kind`);
    if (kind === 'Snapshot') {
      return { kind, file: resolve(baseDir, r.str(w.file, `${field}.file`)), atMs: r.time(w.at, `${field}.at`, 0) };
    }
    const name = r.str(w.name, `${field}.name`);
    const namespace = r.str(w.namespace, `${field}.namespace`, 'default');
    if (kind === 'Deployment') {
      const steps = r.list(w.replicas, `${field}.replicas`).map((s, j) => {
        const o = r.obj(s, `${field}.replicas[${j}]`);
        return {
          atMs: r.time(o.at, `${field}.replicas[${j}].at`),
          ...(o.to !== undefined ? { toMs: r.time(o.to, `${field}.replicas[${j}].to`) } : {}),
          replicas: r.num(o.replicas, `${field}.replicas[${j}].replicas`, undefined, 0, SCENARIO_LIMITS.maxReplicas),
        };
      });
      if (steps.length === 0) r.fail(`${field}.replicas`, 'needs at least one step, e.g. [{at: "00:00", replicas: 10}]');
      for (const [j, s] of steps.entries()) if (s.toMs !== undefined && s.toMs <= s.atMs) r.fail(`${field}.replicas[${j}].to`, 'must be after "at"');
      const pdbObj = w.pdb === undefined ? undefined : r.obj(w.pdb, `${field}.pdb`);
      if (pdbObj && (pdbObj.maxUnavailable === undefined) === (pdbObj.minAvailable === undefined)) {
        r.fail(`${field}.pdb`, 'set exactly one of maxUnavailable or minAvailable');
      }
      return {
        kind,
        name,
        namespace,
        ...podShape(r, w, field),
        replicas: [...steps].sort((a, b) => a.atMs - b.atMs),
        ...(pdbObj ? { pdb: { ...(pdbObj.maxUnavailable !== undefined ? { maxUnavailable: pdbObj.maxUnavailable as string | number } : {}), ...(pdbObj.minAvailable !== undefined ? { minAvailable: pdbObj.minAvailable as string | number } : {}) } } : {}),
      };
    }
    if (kind === 'Job') {
      const completions = r.num(w.completions, `${field}.completions`, undefined, 1, SCENARIO_LIMITS.maxReplicas);
      return {
        kind,
        name,
        namespace,
        ...podShape(r, w, field),
        atMs: r.time(w.at, `${field}.at`),
        completions,
        parallelism: r.num(w.parallelism, `${field}.parallelism`, completions, 1, SCENARIO_LIMITS.maxReplicas),
        runMs: r.duration(w.duration, `${field}.duration`),
      };
    }
    return r.fail(`${field}.kind`, `"${kind}" is not a workload kind; use Deployment, Job or Snapshot`);
  });

  const declaredVolumes = volumes(r, r.list(root.volumes, 'volumes'));
  checkClaims(r, workloads, declaredVolumes);

  const events: ScenarioEvent[] = r.list(root.events, 'events').map((x, i) => {
    const field = `events[${i}]`;
    const e = r.obj(x, field);
    if ([e.policyCommit, e.deleteNodeClaims, e.nodeNotReady].filter((x) => x !== undefined).length !== 1) {
      r.fail(field, 'set exactly one of policyCommit, deleteNodeClaims or nodeNotReady');
    }
    if (e.nodeNotReady !== undefined) {
      const n = r.obj(e.nodeNotReady, `${field}.nodeNotReady`);
      const status = r.str(n.status, `${field}.nodeNotReady.status`, 'Unknown');
      if (status !== 'Unknown' && status !== 'False') r.fail(`${field}.nodeNotReady.status`, `"${status}" must be Unknown (the kubelet stopped reporting) or False (it reports a fault)`);
      return {
        atMs: r.time(e.at, `${field}.at`),
        nodeNotReady: {
          nodePool: r.str(n.nodePool, `${field}.nodeNotReady.nodePool`),
          status: status as 'False' | 'Unknown',
          reason: r.str(n.reason, `${field}.nodeNotReady.reason`, status === 'Unknown' ? 'NodeStatusUnknown' : 'KubeletNotReady'),
        },
      };
    }
    if (e.deleteNodeClaims !== undefined) {
      const d = r.obj(e.deleteNodeClaims, `${field}.deleteNodeClaims`);
      return {
        atMs: r.time(e.at, `${field}.at`),
        deleteNodeClaims: { nodePool: r.str(d.nodePool, `${field}.deleteNodeClaims.nodePool`), reason: r.str(d.reason, `${field}.deleteNodeClaims.reason`, 'operator action') },
      };
    }
    const pc = r.obj(e.policyCommit, `${field}.policyCommit`);
    const nodePools: Record<string, { requirements?: RequirementPatch[]; set?: Record<string, unknown> }> = {};
    for (const [name, p] of Object.entries(r.obj(pc.nodePools, `${field}.policyCommit.nodePools`))) {
      const pf = `${field}.policyCommit.nodePools.${name}`;
      const po = r.obj(p, pf);
      nodePools[name] = {
        ...(po.requirements !== undefined
          ? {
              requirements: r.list(po.requirements, `${pf}.requirements`).map((q, j) => {
                const qo = r.obj(q, `${pf}.requirements[${j}]`);
                return {
                  key: r.str(qo.key, `${pf}.requirements[${j}].key`),
                  operator: r.str(qo.operator, `${pf}.requirements[${j}].operator`),
                  ...(qo.values !== undefined ? { values: r.list(qo.values, `${pf}.requirements[${j}].values`).map((v, k) => r.str(v, `${pf}.requirements[${j}].values[${k}]`)) } : {}),
                };
              }),
            }
          : {}),
        ...(po.set !== undefined ? { set: r.obj(po.set, `${pf}.set`) } : {}),
      };
    }
    const nodeClasses: Record<string, { set?: Record<string, unknown> }> = {};
    for (const [name, p] of Object.entries(r.obj(pc.nodeClasses, `${field}.policyCommit.nodeClasses`))) {
      const po = r.obj(p, `${field}.policyCommit.nodeClasses.${name}`);
      nodeClasses[name] = po.set !== undefined ? { set: r.obj(po.set, `${field}.policyCommit.nodeClasses.${name}.set`) } : {};
    }
    return {
      atMs: r.time(e.at, `${field}.at`),
      policyCommit: {
        message: r.str(pc.message, `${field}.policyCommit.message`, 'policy change'),
        ...(pc.policies !== undefined ? { policies: resolve(baseDir, r.str(pc.policies, `${field}.policyCommit.policies`)) } : {}),
        nodePools,
        nodeClasses,
      },
    };
  });

  return {
    file,
    name: r.str(root.name, 'name', 'scenario'),
    description: r.str(root.description, 'description', ''),
    startMs,
    durationMs,
    seed: r.num(root.seed, 'seed', 1),
    ...(root.policies !== undefined ? { policies: resolve(baseDir, r.str(root.policies, 'policies')) } : {}),
    cluster: {
      name: r.str(cluster.name, 'cluster.name', 'sim'),
      zones: r.list(cluster.zones, 'cluster.zones').map((z, i) => r.str(z, `cluster.zones[${i}]`)),
      bootSeconds: r.num(cluster.bootSeconds, 'cluster.bootSeconds', 45),
      readySeconds: r.num(cluster.readySeconds, 'cluster.readySeconds', 15),
    },
    ec2: {
      spotMin,
      spotMax,
      spotInterruptions,
      shortages: r.list(ec2.shortages, 'ec2.shortages').map((x, i) => {
        const f = `ec2.shortages[${i}]`;
        const s = r.obj(x, f);
        return {
          fromMs: r.time(s.from, `${f}.from`),
          untilMs: r.time(s.until, `${f}.until`),
          ...(s.instanceTypes !== undefined ? { instanceTypes: r.list(s.instanceTypes, `${f}.instanceTypes`).map((v, j) => r.str(v, `${f}.instanceTypes[${j}]`)) } : {}),
          ...(s.zones !== undefined ? { zones: r.list(s.zones, `${f}.zones`).map((v, j) => r.str(v, `${f}.zones[${j}]`)) } : {}),
          ...(s.capacityTypes !== undefined
            ? {
                capacityTypes: r.list(s.capacityTypes, `${f}.capacityTypes`).map((v, j) => {
                  const c = r.str(v, `${f}.capacityTypes[${j}]`);
                  if (c !== 'spot' && c !== 'on-demand') r.fail(`${f}.capacityTypes[${j}]`, `"${c}" must be spot or on-demand`);
                  return c as 'spot' | 'on-demand';
                }),
              }
            : {}),
        };
      }),
      reservations: reservations(r, r.list(ec2.reservations, 'ec2.reservations')),
    },
    reconciler: {
      batchIdleMs: r.duration(rec.batchIdle, 'reconciler.batchIdle', 1_000),
      batchMaxMs: r.duration(rec.batchMax, 'reconciler.batchMax', 10_000),
      stabilizationMs: r.duration(rec.stabilization, 'reconciler.stabilization', 15_000),
      spotToSpot: r.bool(rec.spotToSpot, 'reconciler.spotToSpot'),
      interruptionQueue: r.bool(rec.interruptionQueue, 'reconciler.interruptionQueue', true),
      nodeRepair: r.bool(rec.nodeRepair, 'reconciler.nodeRepair'),
      podDeletionCost: r.bool(rec.podDeletionCost, 'reconciler.podDeletionCost'),
    },
    fleet: boundedFleet(r, r.list(root.fleet, 'fleet').map((x, i) => {
      const f = `fleet[${i}]`;
      const n = r.obj(x, f);
      const ct = r.str(n.capacityType, `${f}.capacityType`, 'on-demand');
      if (ct !== 'spot' && ct !== 'on-demand') r.fail(`${f}.capacityType`, `"${ct}" must be spot or on-demand`);
      return {
        capacityType: ct as 'spot' | 'on-demand',
        nodePool: r.str(n.nodePool, `${f}.nodePool`),
        instanceType: r.str(n.instanceType, `${f}.instanceType`),
        zone: r.str(n.zone, `${f}.zone`, 'us-east-1a'),
        count: r.num(n.count, `${f}.count`, 1, 1, SCENARIO_LIMITS.maxFleetNodes),
        ageMs: r.duration(n.age, `${f}.age`, 0),
      };
    })),
    daemonSets: r.list(root.daemonSets, 'daemonSets').map((x, i) => {
      const f = `daemonSets[${i}]`;
      const d = r.obj(x, f);
      return {
        name: r.str(d.name, `${f}.name`),
        namespace: r.str(d.namespace, `${f}.namespace`, 'kube-system'),
        requests: r.quantities(d.requests, `${f}.requests`),
        tolerateAll: r.bool(d.tolerateAll, `${f}.tolerateAll`, true),
      };
    }),
    volumes: declaredVolumes,
    workloads,
    events: events.sort((a, b) => a.atMs - b.atMs),
    sampleMs,
  };
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, '(file)', `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; pass an existing scenario file to --scenario`);
  }
  return parseScenario(text, file);
}
