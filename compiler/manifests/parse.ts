// The parser and validator of generated manifests: what the reconciler's git IntentSource
// and `joinery plan` read. It takes a directory (generated/) or a list of files, parses
// every YAML document, validates each NodePool and EC2NodeClass against its CRD schema and
// returns them typed, or errors naming the file, the field (JSON pointer) and a fix.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document, type Node } from 'yaml';
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { semanticProblems } from './semantic-rules.ts';
import { schemaProblems } from './schema.ts';
import { KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, NODE_OVERLAY_API_VERSION } from '../../core/contract/index.ts';

export interface ManifestFile {
  /** The path to report in errors, e.g. generated/nodepools/gpu.yaml. */
  path: string;
  content: string;
}

export interface ParsedManifest<T> {
  path: string;
  /** Index of the YAML document in the file (0 for single-object files). */
  document: number;
  object: T;
}

export interface OtherManifest {
  path: string;
  document: number;
  apiVersion: string;
  kind: string;
  name: string | undefined;
}

export interface IntentManifests {
  nodePools: ParsedManifest<NodePool>[];
  ec2NodeClasses: ParsedManifest<EC2NodeClass>[];
  nodeOverlays: ParsedManifest<NodeOverlay>[];
  /** Every other object found (CRDs, Kustomizations, the reconciler's own objects): not validated here. */
  others: OtherManifest[];
}

export interface ManifestError {
  file: string;
  document: number;
  /** 1-based line of the field (or of the nearest enclosing field present), when known. */
  line?: number;
  /** JSON pointer of the field, e.g. /spec/template/spec/expireAfter ('' for the whole document). */
  pointer: string;
  /** The same field as a path, e.g. spec.template.spec.expireAfter. */
  field: string;
  kind?: string;
  name?: string;
  message: string;
  fix: string;
}

export type IntentParseResult =
  | { ok: true; manifests: IntentManifests; errors: [] }
  | { ok: false; manifests: IntentManifests; errors: ManifestError[] };

/** spec.template.spec.requirements[0].key for /spec/template/spec/requirements/0/key. */
function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => {
      if (/^[0-9]+$/.test(segment)) return `${path}[${segment}]`;
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) return path === '' ? segment : `${path}.${segment}`;
      return `${path}[${JSON.stringify(segment)}]`;
    }, '');
}

function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let n = segments.length; n >= 0; n -= 1) {
    const path = segments.slice(0, n).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
    const node = (n === 0 ? doc.contents : doc.getIn(path, true)) as Node | null | undefined;
    if (node && (node.range || isMap(node) || isSeq(node))) {
      const offset = node.range?.[0];
      if (offset !== undefined) return lines.linePos(offset).line;
    }
  }
  return undefined;
}

const KINDS = {
  [`${KARPENTER_API_VERSION}/NodePool`]: 'NodePool',
  [`${KARPENTER_AWS_API_VERSION}/EC2NodeClass`]: 'EC2NodeClass',
  [`${NODE_OVERLAY_API_VERSION}/NodeOverlay`]: 'NodeOverlay',
} as const;

/** Parses and validates manifests given as files (e.g. read from a git commit). */
/** Alias expansions allowed per YAML document (the yaml package's maxAliasCount). */
export const MAX_ALIAS_COUNT = 100;

export function parseIntentManifestFiles(files: readonly ManifestFile[]): IntentParseResult {
  const manifests: IntentManifests = { nodePools: [], ec2NodeClasses: [], nodeOverlays: [], others: [] };
  const errors: ManifestError[] = [];
  const seen = new Map<string, string>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(file.content, { lineCounter: lines, prettyErrors: false });
    const documents = Array.isArray(docs) ? docs : [];
    if (!Array.isArray(docs)) {
      errors.push({ file: file.path, document: 0, pointer: '', field: '', message: 'is not a YAML stream', fix: 'check the file is YAML' });
      continue;
    }
    for (const [index, doc] of documents.entries()) {
      const base = { file: file.path, document: index };
      if (doc.errors.length > 0) {
        for (const error of doc.errors) {
          errors.push({ ...base, line: error.linePos?.[0].line, pointer: '', field: '', message: `YAML syntax error: ${error.message.split('\n')[0]}`, fix: 'fix the YAML syntax at that line' });
        }
        continue;
      }
      let value: unknown;
      try {
        // Aliases are bounded: a YAML alias bomb (nested anchors expanding exponentially)
        // is an error of the file, not a hang or a crash of its reader.
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (err) {
        errors.push({ ...base, pointer: '', field: '', message: `YAML cannot be read: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, fix: `use at most ${MAX_ALIAS_COUNT} alias expansions per document (compiled manifests use none)` });
        continue;
      }
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        errors.push({ ...base, line: lineOf(doc, lines, ''), pointer: '', field: '', message: 'is not a Kubernetes object', fix: 'each YAML document must be a mapping with apiVersion, kind and metadata' });
        continue;
      }
      const object = value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
      const name = typeof object.metadata?.name === 'string' ? object.metadata.name : undefined;
      if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        errors.push({ ...base, line: lineOf(doc, lines, ''), pointer: typeof object.apiVersion !== 'string' ? '/apiVersion' : '/kind', field: typeof object.apiVersion !== 'string' ? 'apiVersion' : 'kind', message: 'apiVersion and kind are required', fix: 'add apiVersion and kind (e.g. karpenter.sh/v1, NodePool)' });
        continue;
      }
      const kind = KINDS[`${object.apiVersion}/${object.kind}` as keyof typeof KINDS];
      if (!kind) {
        if ((object.kind === 'NodePool' || object.kind === 'EC2NodeClass') && object.apiVersion.startsWith('karpenter')) {
          errors.push({ ...base, line: lineOf(doc, lines, '/apiVersion'), pointer: '/apiVersion', field: 'apiVersion', kind: object.kind, name, message: `${object.kind} ${object.apiVersion} is not the Karpenter v1 API`, fix: `use apiVersion ${object.kind === 'NodePool' ? KARPENTER_API_VERSION : KARPENTER_AWS_API_VERSION} (migrate v1beta1 objects with Karpenter's v1 upgrade guide)` });
          continue;
        }
        manifests.others.push({ path: file.path, document: index, apiVersion: object.apiVersion, kind: object.kind, name });
        continue;
      }
      const problems = [...schemaProblems(kind, value), ...semanticProblems(kind, value)];
      for (const problem of problems) {
        errors.push({ ...base, line: lineOf(doc, lines, problem.pointer), pointer: problem.pointer, field: pointerToField(problem.pointer), kind, name, message: problem.message, fix: problem.fix });
      }
      if (problems.length > 0) continue;
      const identity = `${kind}/${name}`;
      const first = seen.get(identity);
      if (first) {
        errors.push({ ...base, line: lineOf(doc, lines, '/metadata/name'), pointer: '/metadata/name', field: 'metadata.name', kind, name, message: `${kind} "${name}" is also defined in ${first}`, fix: 'rename one of them; names are cluster-wide' });
        continue;
      }
      seen.set(identity, file.path);
      if (kind === 'NodePool') manifests.nodePools.push({ ...base, path: file.path, object: value as NodePool });
      else if (kind === 'EC2NodeClass') manifests.ec2NodeClasses.push({ ...base, path: file.path, object: value as EC2NodeClass });
      else manifests.nodeOverlays.push({ ...base, path: file.path, object: value as NodeOverlay });
    }
  }
  return errors.length === 0 ? { ok: true, manifests, errors: [] } : { ok: false, manifests, errors };
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

/**
 * Parses and validates the NodePools and EC2NodeClasses in a directory (every *.yaml and
 * *.yml below it; paths in errors are `dir`-relative joined onto `dir` as given) or in a
 * list of files.
 */
export async function parseIntentManifests(source: string | readonly ManifestFile[]): Promise<IntentParseResult> {
  if (typeof source !== 'string') return parseIntentManifestFiles(source);
  const files = await Promise.all(
    (await yamlFilesUnder(source)).map(async (path) => ({ path: join(source, relative(source, path)), content: await readFile(path, 'utf8') })),
  );
  return parseIntentManifestFiles(files);
}
