// Deterministic YAML for generated/: sorted keys, two-space indentation, block literals
// for multi-line text, no anchors, no folding. A small emitter for JSON values instead of
// a general YAML library: it is fast on the large CRDs and its output depends on nothing
// but the value. Strings are written plain only when no YAML 1.1 or 1.2 reader (kubectl,
// Argo CD, Flux, go-yaml) could take them for anything but a string; otherwise they are
// double-quoted (JSON escapes are valid YAML).

/** Recursively sorts object keys (code-unit order, locale-independent) and drops undefined. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_/. -]*$/;
/** YAML 1.1 booleans and nulls (go-yaml v2, used by kubectl's sigs.k8s.io/yaml) and 1.2's. */
const RESERVED = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
const PRINTABLE = /^[\t\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/u;

function plainString(text: string): boolean {
  return PLAIN.test(text) && !RESERVED.test(text) && !text.endsWith(' ') && !text.includes(' -') && !/^[-/] /.test(text);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  const text = String(value);
  return plainString(text) ? text : JSON.stringify(text);
}

/** A block literal (`|`, `|-`, `|+`) when the text can be one, else undefined. */
function blockLiteral(text: string, indent: string): string[] | undefined {
  if (!text.includes('\n') || !PRINTABLE.test(text) || text.includes('\r') || /^[ \t]/.test(text) || text.trim() === '') return undefined;
  const trailing = /\n*$/.exec(text)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const body = trailing === 0 ? text : text.slice(0, text.length - (chomp === '+' ? 0 : 1));
  const lines = body.split('\n');
  if (chomp === '+') lines.pop();
  return [`|${chomp}`, ...lines.map((line) => (line === '' ? '' : indent + line))];
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/** A scalar or empty collection after `prefix` (`key: ` or `- `), with a block literal's body lines. */
function scalarLines(prefix: string, value: unknown, bodyIndent: string): string[] {
  if (Array.isArray(value)) return [`${prefix}[]`];
  if (typeof value === 'object' && value !== null) return [`${prefix}{}`];
  const block = typeof value === 'string' ? blockLiteral(value, bodyIndent) : undefined;
  return block ? [`${prefix}${block[0]}`, ...block.slice(1)] : [`${prefix}${scalar(value)}`];
}

/** A non-empty mapping or sequence as block lines at `indent`. */
function emit(value: object, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item)) {
        const nested: string[] = [];
        emit(item, `${indent}  `, nested);
        out.push(`${indent}- ${nested[0]!.slice(indent.length + 2)}`, ...nested.slice(1));
      } else {
        out.push(...scalarLines(`${indent}- `, item, `${indent}  `));
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const name = plainString(key) ? key : JSON.stringify(key);
    if (isCollection(item)) {
      out.push(`${indent}${name}:`);
      emit(item, `${indent}  `, out);
    } else {
      out.push(...scalarLines(`${indent}${name}: `, item, `${indent}  `));
    }
  }
}

export function toYaml(value: unknown): string {
  const sorted = sortKeys(value);
  const out: string[] = [];
  if (isCollection(sorted)) emit(sorted, '', out);
  else out.push(...scalarLines('', sorted, '  '));
  return `${out.join('\n')}\n`;
}

/** A YAML document with `# ...` header lines. */
export function yamlFile(header: readonly string[], value: unknown): string {
  return `${header.map((line) => `# ${line}`.trimEnd()).join('\n')}\n${toYaml(value)}`;
}
