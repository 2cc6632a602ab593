// Validation of NodePool and EC2NodeClass objects against the openAPIV3Schema of the
// shipped CRDs, with ajv. Errors name the field by JSON pointer and say how to fix it.
// What the schema cannot say (the CRDs' CEL rules) is checked by semantic-rules.ts for the
// common cases and by the real API server in the integration tests.
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { cachedFile, contentHash } from '../cache.ts';
import { karpenterCrd, type KarpenterKind, type OpenApiSchema } from '../crd/crds.ts';
import { editDistance } from '../../core/edit-distance.ts';

export interface SchemaProblem {
  /** JSON pointer of the offending field, e.g. `/spec/template/spec/expireAfter`. */
  pointer: string;
  message: string;
  fix: string;
}

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const METADATA_SCHEMA: OpenApiSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: DNS_SUBDOMAIN, maxLength: 253 },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/**
 * The CRD schema as ajv should see it: unknown fields rejected (the API server prunes or,
 * with strict field validation, rejects them; either way a typo would silently vanish),
 * metadata checked as Kubernetes does, apiVersion and kind fixed.
 */
function strictSchema(kind: KarpenterKind): OpenApiSchema {
  const crd = karpenterCrd(kind);
  const closeObjects = (node: OpenApiSchema): OpenApiSchema => {
    const copy: OpenApiSchema = { ...node };
    if (copy.properties) {
      copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([k, v]) => [k, closeObjects(v)]));
      if (copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) {
        copy.additionalProperties = false;
      }
    }
    if (copy.items) copy.items = closeObjects(copy.items);
    if (typeof copy.additionalProperties === 'object') copy.additionalProperties = closeObjects(copy.additionalProperties);
    return copy;
  };
  const root = closeObjects(crd.schema);
  root.properties = {
    ...root.properties,
    apiVersion: { type: 'string', enum: [crd.apiVersion] },
    kind: { type: 'string', enum: [kind] },
    metadata: METADATA_SCHEMA,
  };
  // status is written by controllers, never by a policy; it is allowed (objects read back
  // from a cluster carry it) but not required.
  root.required = [...new Set(['apiVersion', 'kind', 'metadata', ...(root.required ?? [])])];
  return root;
}

const AJV_OPTIONS = { allErrors: true, verbose: true, strict: false, formats: { int32: true, int64: true, 'date-time': true } } as const;
const validators = new Map<KarpenterKind, ValidateFunction>();
const require = createRequire(import.meta.url);

/**
 * The compiled validator of a kind. Compiling the CRD schemas is the slowest step of a
 * compile, so ajv's standalone code is cached by a hash of the schema and loaded with
 * require; without a writable cache it is compiled in memory.
 */
function validatorFor(kind: KarpenterKind): ValidateFunction {
  const existing = validators.get(kind);
  if (existing) return existing;
  const schema = strictSchema(kind);
  const version = (require('ajv/package.json') as { version: string }).version;
  const key = `validator-${kind}-${contentHash(JSON.stringify(schema), JSON.stringify(AJV_OPTIONS), version)}.cjs`;
  // ajv itself is only loaded when the compiled validator is not cached yet.
  const Ajv = (): typeof AjvClass => (require('ajv') as { Ajv: typeof AjvClass }).Ajv;
  const file = cachedFile(key, () => {
    const standaloneCode = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js').default;
    const ajv = new (Ajv())({ ...AJV_OPTIONS, code: { source: true } });
    return standaloneCode(ajv, ajv.compile(schema));
  });
  const validate = file ? (require(file) as ValidateFunction) : new (Ajv())(AJV_OPTIONS).compile(schema);
  validators.set(kind, validate);
  return validate;
}

/** The schema node at a JSON pointer (for suggestions), if any. */
function schemaAt(kind: KarpenterKind, pointer: string): OpenApiSchema | undefined {
  let node: OpenApiSchema | undefined = strictSchema(kind);
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node) return undefined;
    if (node.type === 'array') node = node.items;
    else if (node.properties?.[segment]) node = node.properties[segment];
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return undefined;
  }
  return node;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate, { ignoreCase: true });
    if (!best || distance < best.distance) best = { word: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.word : undefined;
}

/** How to write a value that matches a CRD pattern, by the field it is in. */
function patternFix(pointer: string, pattern: string): string {
  const field = pointer.split('/').pop() ?? '';
  const parent = pointer.split('/').slice(-2, -1)[0] ?? '';
  if (field === 'expireAfter' || field === 'consolidateAfter') return `write a duration such as '720h', '30m' or '1h30m', or 'Never'`;
  if (field === 'terminationGracePeriod') return `write a duration such as '24h' or '30m' (Never is not allowed here)`;
  if (field === 'duration') return `write hours and minutes, such as '8h', '30m' or '1h30m'`;
  if (field === 'schedule') return `write a cron schedule of five fields, such as '0 9 * * mon-fri', or @daily`;
  if (field === 'nodes' && pointer.includes('/budgets/')) return `write a node count such as '1', or a percentage from '0%' to '100%'`;
  if (parent === 'limits' || parent === 'requests') return `write a Kubernetes quantity such as 1000, '500m' or '4000Gi'`;
  if (field === 'volumeSize') return `write a size such as '100Gi' or '1Ti'`;
  if (field === 'key') return 'use a label or taint key such as example.com/team (DNS prefix, then a name of letters, digits, -, _ and .)';
  if (field === 'name' && pointer === '/metadata/name') return 'use lower-case letters, digits, - and . (a DNS subdomain), e.g. general-purpose';
  if (parent === 'labels' || parent === 'values' || field === 'value') return 'use at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit';
  if (field === 'id') return `use the AWS resource id, e.g. ${pattern.replace(/\[.*$/, '').replace(/^\^/, '')}0123456789abcdef0`;
  return `match the pattern ${pattern}`;
}

function describe(kind: KarpenterKind, error: ErrorObject): SchemaProblem {
  const pointer = error.instancePath;
  const where = pointer === '' ? kind : pointer;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { pointer: `${pointer}/${missing}`, message: `${missing} is required in ${where}`, fix: `add ${missing}` };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(schemaAt(kind, pointer)?.properties ?? {});
      const suggestion = closest(extra, allowed);
      return {
        pointer: `${pointer}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `${extra} is not a field of ${where}`,
        fix: suggestion ? `did you mean ${suggestion}?` : allowed.length > 0 ? `remove it; the fields are ${allowed.join(', ')}` : 'remove it',
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return { pointer, message: `${where} is ${JSON.stringify(error.data)}, not one of ${allowed.join(', ')}`, fix: `use one of ${allowed.join(', ')}` };
    }
    case 'pattern': {
      const pattern = (error.params as { pattern: string }).pattern;
      return { pointer, message: `${where} has an invalid value ${JSON.stringify(error.data)}`, fix: patternFix(pointer, pattern) };
    }
    case 'type': {
      const type = (error.params as { type: string }).type;
      return { pointer, message: `${where} must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`, fix: `write ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const node = schemaAt(kind, pointer);
      const range = `${node?.minimum ?? '-∞'} to ${node?.maximum ?? '∞'}`;
      return { pointer, message: `${where} is ${JSON.stringify(error.data)}, out of range (${error.message})`, fix: `use a value from ${range}` };
    }
    default:
      return { pointer, message: `${where} ${error.message ?? 'is invalid'}`, fix: 'see the Karpenter v1 API reference for this field' };
  }
}

/** Schema problems of `object` as a `kind`; empty when it is valid. */
export function schemaProblems(kind: KarpenterKind, object: unknown): SchemaProblem[] {
  const validate = validatorFor(kind);
  if (validate(object)) return [];
  const errors = validate.errors ?? [];
  // An int-or-string failing both branches reports each branch and then the anyOf: keep the
  // anyOf alone. Otherwise keep one problem per pointer and keyword.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    if (anyOfPaths.has(error.instancePath) && error.keyword !== 'anyOf' && error.schemaPath.includes('/anyOf/')) continue;
    const problem =
      error.keyword === 'anyOf'
        ? { pointer: error.instancePath, message: `${error.instancePath} is ${JSON.stringify(error.data)}, not a number or a quantity`, fix: patternFix(error.instancePath, '') }
        : describe(kind, error);
    const key = `${problem.pointer}\u0000${error.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}
