// The keys a scenario file may have, as a JSON schema checked with ajv before the scenario
// is read: a misspelt key (`shortage:` for `shortages:`) would otherwise be ignored and the
// day simulated without it. Only the structure is here (which keys, at which level); the
// values are read and checked by scenario.ts, whose messages say how to fix each one.
// An unknown key is reported with its line in the file and the nearest known key.

import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { editDistance } from '../../core/edit-distance.ts';
import { cachedFile, contentHash } from '../../compiler/cache.ts';

type Schema = Record<string, unknown>;

/** A mapping with exactly these keys (each value checked by `props` when given, else anything). */
function closed(keys: readonly string[], props: Record<string, Schema> = {}): Schema {
  return { type: 'object', properties: Object.fromEntries(keys.map((k) => [k, props[k] ?? {}])), additionalProperties: false };
}

/** A list whose mapping items have these keys; other values are left to scenario.ts. */
function listOf(item: Schema): Schema {
  return { type: 'array', items: item };
}

/** A mapping whose keys are names (free) and whose values have these keys. */
function namedMap(value: Schema): Schema {
  return { type: 'object', additionalProperties: value };
}

const TOLERATION = closed(['key', 'operator', 'value', 'effect']);
const POD_SHAPE = ['requests', 'labels', 'annotations', 'tolerations', 'nodeSelector', 'spreadZones', 'priorityClassName', 'doNotDisrupt', 'claims'];
const POD_PROPS = { tolerations: listOf(TOLERATION) };

const DEPLOYMENT = closed(['kind', 'name', 'namespace', 'replicas', 'pdb', ...POD_SHAPE], {
  ...POD_PROPS,
  replicas: listOf(closed(['at', 'to', 'replicas'])),
  pdb: closed(['maxUnavailable', 'minAvailable']),
});
const JOB = closed(['kind', 'name', 'namespace', 'at', 'completions', 'parallelism', 'duration', ...POD_SHAPE], POD_PROPS);
const SNAPSHOT = closed(['kind', 'file', 'at']);

const WORKLOAD: Schema = {
  allOf: [
    { if: { type: 'object', required: ['kind'], properties: { kind: { const: 'Deployment' } } }, then: DEPLOYMENT },
    { if: { type: 'object', required: ['kind'], properties: { kind: { const: 'Job' } } }, then: JOB },
    { if: { type: 'object', required: ['kind'], properties: { kind: { const: 'Snapshot' } } }, then: SNAPSHOT },
  ],
};

const EVENT = closed(['at', 'policyCommit', 'deleteNodeClaims', 'nodeNotReady'], {
  policyCommit: closed(['message', 'policies', 'nodePools', 'nodeClasses'], {
    nodePools: namedMap(closed(['requirements', 'set'], { requirements: listOf(closed(['key', 'operator', 'values', 'minValues'])) })),
    nodeClasses: namedMap(closed(['set'])),
  }),
  deleteNodeClaims: closed(['nodePool', 'reason']),
  nodeNotReady: closed(['nodePool', 'status', 'reason']),
});

export const SCENARIO_SCHEMA: Schema = closed(
  ['name', 'description', 'start', 'duration', 'seed', 'policies', 'cluster', 'ec2', 'reconciler', 'fleet', 'daemonSets', 'volumes', 'workloads', 'events', 'sampleEvery'],
  {
    cluster: closed(['name', 'zones', 'bootSeconds', 'readySeconds']),
    ec2: closed(['spotPrice', 'shortages', 'spotInterruptions', 'reservations'], {
      reservations: listOf(closed(['id', 'instanceType', 'zone', 'count', 'type', 'end', 'tags'])),
      spotPrice: closed(['minFraction', 'maxFraction']),
      spotInterruptions: closed(['ratePerHour', 'notice', 'offerings'], { offerings: listOf(closed(['instanceTypes', 'zones', 'ratePerHour'])) }),
      shortages: listOf(closed(['from', 'until', 'instanceTypes', 'zones', 'capacityTypes'])),
    }),
    reconciler: closed(['batchIdle', 'batchMax', 'stabilization', 'spotToSpot', 'interruptionQueue', 'nodeRepair', 'podDeletionCost']),
    fleet: listOf(closed(['nodePool', 'instanceType', 'capacityType', 'zone', 'count', 'age'])),
    daemonSets: listOf(closed(['name', 'namespace', 'requests', 'tolerateAll'])),
    volumes: listOf(closed(['claim', 'namespace', 'zone', 'storageClass'])),
    workloads: listOf(WORKLOAD),
    events: listOf(EVENT),
  },
);

const require = createRequire(import.meta.url);
const AJV_OPTIONS = { allErrors: true, strict: false } as const;
let compiled: ValidateFunction | undefined;

/**
 * The compiled validator. Compiling costs about as much as the rest of reading a scenario,
 * so ajv's standalone code is cached by a hash of the schema (as the compiler caches the
 * CRD validators) and loaded with require; without a writable cache it is compiled in memory.
 */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const version = (require('ajv/package.json') as { version: string }).version;
  const key = `scenario-validator-${contentHash(JSON.stringify(SCENARIO_SCHEMA), JSON.stringify(AJV_OPTIONS), version)}.cjs`;
  const Ajv = (): typeof AjvClass => (require('ajv') as { Ajv: typeof AjvClass }).Ajv;
  const file = cachedFile(key, () => {
    const standaloneCode = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js').default;
    const ajv = new (Ajv())({ ...AJV_OPTIONS, code: { source: true } });
    return standaloneCode(ajv, ajv.compile(SCENARIO_SCHEMA));
  });
  compiled = file ? (require(file) as ValidateFunction) : new (Ajv())(AJV_OPTIONS).compile(SCENARIO_SCHEMA);
  return compiled;
}

/** The keys the schema allows where an additionalProperties error points (its schemaPath). */
function knownKeys(schemaPath: string): string[] {
  let node: unknown = SCENARIO_SCHEMA;
  for (const seg of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (node === null || typeof node !== 'object') return [];
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

export interface UnknownKey {
  /** Where it is, as scenario errors name fields: `ec2.shortage`, `workloads[0].replica`. */
  readonly field: string;
  readonly key: string;
  /** 1-based line of the key in the file (undefined when the document has no position for it). */
  readonly line: number | undefined;
  readonly known: readonly string[];
  /** The known key nearest to it, when it is close enough to be a typo. */
  readonly suggestion: string | undefined;
}

function fieldOf(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function keyLine(doc: Document, lines: LineCounter, path: readonly (string | number)[], key: string): number | undefined {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(key, k, { ignoreCase: true });
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

/**
 * The keys of a parsed scenario document that the schema does not know, in the order they
 * appear in the file. `text` is the file the document was read from (for line numbers).
 */
export function unknownScenarioKeys(text: string, value: unknown): UnknownKey[] {
  const validate = validator();
  if (validate(value)) return [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const seen = new Set<string>();
  const out: UnknownKey[] = [];
  for (const e of (validate.errors ?? []) as ErrorObject[]) {
    if (e.keyword !== 'additionalProperties') continue;
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const path = pathOf(e.instancePath);
    const field = fieldOf([...path, key]);
    if (seen.has(field)) continue;
    seen.add(field);
    const known = knownKeys(e.schemaPath);
    out.push({ field, key, line: keyLine(doc, lines, path, key), known, suggestion: nearest(key, known) });
  }
  return out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
