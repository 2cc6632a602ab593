// `joinery import`, step 1: the Karpenter objects of YAML files and directories (or of a
// live cluster, see live.ts), each with where it came from. Anything that is not a
// NodePool or EC2NodeClass of Karpenter v1 or v1beta1 is an error naming the file and the
// document index (0-based, as `---` separates them), never skipped in silence.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type ImportedKind = 'NodePool' | 'EC2NodeClass';

export interface ImportedObject {
  kind: ImportedKind;
  /** `karpenter.sh/v1`, `karpenter.sh/v1beta1`, `karpenter.k8s.aws/v1`, `karpenter.k8s.aws/v1beta1`. */
  apiVersion: string;
  name: string;
  /** The object as read (plain JSON). */
  object: Record<string, unknown>;
  /** Where it came from: `file.yaml#2` (document index) or `cluster <context>`. */
  origin: string;
}

/** Input `joinery import` cannot read: names the file, the document and the fix. */
export class ImportInputError extends Error {
  override name = 'ImportInputError';
  constructor(
    readonly file: string,
    readonly documentIndex: number | undefined,
    message: string,
    readonly fix: string,
  ) {
    super(`${file}${documentIndex === undefined ? '' : ` (document ${documentIndex})`}: ${message}\n    fix: ${fix}`);
  }
}

const GROUPS: Readonly<Record<ImportedKind, string>> = { NodePool: 'karpenter.sh', EC2NodeClass: 'karpenter.k8s.aws' };
const VERSIONS = ['v1', 'v1beta1'];
const OLD_KINDS: Readonly<Record<string, string>> = {
  Provisioner: 'NodePool',
  AWSNodeTemplate: 'EC2NodeClass',
  Machine: 'NodeClaim',
};

/** Classifies one parsed document; throws ImportInputError when it is not a Karpenter NodePool or EC2NodeClass. */
export function classifyDocument(doc: unknown, file: string, index: number | undefined): ImportedObject {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ImportInputError(file, index, `is not a Kubernetes object (got ${Array.isArray(doc) ? 'a list' : typeof doc === 'string' ? 'a string' : String(doc)})`, 'give NodePool and EC2NodeClass manifests (kubectl get nodepools,ec2nodeclasses -o yaml)');
  }
  const o = doc as Record<string, unknown>;
  const kind = o.kind;
  const apiVersion = o.apiVersion;
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
    throw new ImportInputError(file, index, 'has no kind or apiVersion: it is not a Kubernetes manifest', 'give NodePool and EC2NodeClass manifests (kubectl get nodepools,ec2nodeclasses -o yaml)');
  }
  if (Object.hasOwn(OLD_KINDS, kind) && apiVersion.startsWith('karpenter')) {
    throw new ImportInputError(file, index, `${kind} (${apiVersion}) is a Karpenter v1alpha5 object, which Karpenter v1 no longer reads`, `migrate it to a ${OLD_KINDS[kind]} first (Karpenter's v1beta1 migration guide, or karpenter-convert), then import that`);
  }
  if (kind !== 'NodePool' && kind !== 'EC2NodeClass') {
    throw new ImportInputError(file, index, `is a ${kind} (${apiVersion}), not a Karpenter NodePool or EC2NodeClass`, 'import only NodePool and EC2NodeClass manifests; remove the other objects from the input or point at the files that hold the Karpenter objects');
  }
  const [group, version] = apiVersion.split('/');
  if (group !== GROUPS[kind] || !VERSIONS.includes(version ?? '')) {
    throw new ImportInputError(file, index, `${kind} has apiVersion ${apiVersion}; joinery imports ${GROUPS[kind]}/v1 and ${GROUPS[kind]}/v1beta1`, `use apiVersion: ${GROUPS[kind]}/v1`);
  }
  const metadata = o.metadata as { name?: unknown } | undefined;
  if (typeof metadata?.name !== 'string' || metadata.name === '') {
    throw new ImportInputError(file, index, `${kind} has no metadata.name`, 'name the object');
  }
  if (typeof o.spec !== 'object' || o.spec === null) {
    throw new ImportInputError(file, index, `${kind} ${metadata.name} has no spec`, 'give the full manifest (kubectl get ... -o yaml)');
  }
  return { kind, apiVersion, name: metadata.name, object: JSON.parse(JSON.stringify(o)) as Record<string, unknown>, origin: index === undefined ? file : `${file}#${index}` };
}

/** The objects of one YAML text; `kind: List` documents (kubectl get -o yaml) are unpacked. */
export function readManifestText(text: string, file: string): ImportedObject[] {
  const out: ImportedObject[] = [];
  const docs = parseAllDocuments(text);
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line;
      throw new ImportInputError(file, index, `is not valid YAML${line ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`, 'fix the YAML syntax');
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document (a trailing ---)
    if (typeof value === 'object' && !Array.isArray(value) && (value as { kind?: unknown }).kind === 'List') {
      const items = (value as { items?: unknown }).items;
      if (!Array.isArray(items)) throw new ImportInputError(file, index, 'is a List without items', 'give the output of kubectl get nodepools,ec2nodeclasses -o yaml');
      for (const [i, item] of items.entries()) {
        const o = classifyDocument(item, file, index);
        out.push({ ...o, origin: `${file}#${index}.items[${i}]` });
      }
      continue;
    }
    out.push(classifyDocument(value, file, index));
  }
  return out;
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** In a directory, kustomization files list the manifests; they are not manifests themselves. */
const KUSTOMIZATION = /^kustomization\.ya?ml$/;

/** Every object of the given files and directories (directories: their .yaml, .yml and .json files but kustomization.yaml, recursively, in name order). */
export function readManifestPaths(paths: readonly string[], cwd: string): ImportedObject[] {
  const files: string[] = [];
  for (const path of paths) {
    const full = isAbsolute(path) ? path : join(cwd, path);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      throw new ImportInputError(path, undefined, 'does not exist', 'give existing YAML files or directories');
    }
    if (stat.isDirectory()) {
      const found = readdirSync(full, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && YAML_EXTENSIONS.has(extname(e.name)) && !KUSTOMIZATION.test(e.name))
        .map((e) => join(e.parentPath, e.name))
        .sort();
      if (found.length === 0) throw new ImportInputError(path, undefined, 'holds no .yaml, .yml or .json file', 'point at the directory that holds the Karpenter manifests');
      files.push(...found);
    } else {
      files.push(full);
    }
  }
  const objects: ImportedObject[] = [];
  for (const file of files) {
    const shown = relative(cwd, file) || file;
    objects.push(...readManifestText(readFileSync(file, 'utf8'), shown.startsWith('..') ? file : shown));
  }
  return objects;
}
