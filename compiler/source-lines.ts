// Points a diagnostic at the line of the prop it is about (`limits:` in the policy) rather
// than the line that creates the construct, when the prop is written in that call. A light
// scan of the call's text, not a TypeScript parse: when the prop is not there (a preset's
// default, props passed as a variable) the construct's line stays, which is still right.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Diagnostic } from './diagnostics.ts';

/** Manifest fields (guardrail findings) -> the policy prop path that sets them. */
const MANIFEST_TO_PROP: readonly [RegExp, string][] = [
  [/^spec\.limits/, 'limits'],
  [/^spec\.template\.spec\.expireAfter/, 'expireAfter'],
  [/^spec\.template\.spec\.terminationGracePeriod/, 'terminationGracePeriod'],
  [/^spec\.disruption\.consolidateAfter/, 'disruption.consolidateAfter'],
  [/^spec\.disruption\.budgets/, 'disruption.budgets'],
  [/^spec\.disruption/, 'disruption'],
  [/^spec\.template\.spec\.taints/, 'taints'],
  [/^spec\.template\.spec\.nodeClassRef/, 'nodeClass'],
  [/^spec\.weight/, 'weight'],
];

function propPath(d: Diagnostic): string[] | undefined {
  if (!d.field) return undefined;
  if (d.field.startsWith('spec.') || d.field.startsWith('metadata.')) {
    if (d.code === 'unknown-label-key') return ['requirements'];
    if (d.code === 'zone-without-instance-types') return ['zones'];
    const match = MANIFEST_TO_PROP.find(([pattern]) => pattern.test(d.field!));
    return match?.[1].split('.');
  }
  // A policy prop path: limits.cpu, disruption.budgets[1].schedule, labels["x"].
  return d.field.replace(/\[[^\]]*\]/g, '').split('.').filter(Boolean);
}

/** Offsets of the construct call starting at `offset`: up to its closing parenthesis. */
function callEnd(text: string, offset: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = offset; i < text.length; i += 1) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (c === '(' || c === '{' || c === '[') depth += 1;
    else if (c === ')' || c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0 && c === ')') return i;
    }
  }
  return text.length;
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l += 1) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset + column - 1;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Moves each diagnostic that points at a construct call to the line of its prop, when written there. */
export function refineToPropLines(diagnostics: readonly Diagnostic[], root: string): Diagnostic[] {
  const files = new Map<string, string | undefined>();
  const read = (file: string): string | undefined => {
    if (!files.has(file)) {
      try {
        files.set(file, readFileSync(isAbsolute(file) ? file : join(root, file), 'utf8'));
      } catch {
        files.set(file, undefined);
      }
    }
    return files.get(file);
  };
  return diagnostics.map((d) => {
    const path = propPath(d);
    if (!path || !d.file?.endsWith('.ts') || d.line === undefined || d.column === undefined) return d;
    const text = read(d.file);
    if (text === undefined) return d;
    const start = offsetOf(text, d.line, d.column);
    const open = text.indexOf('(', start);
    if (open < 0) return d;
    const end = callEnd(text, open);
    let from = start;
    for (const segment of path) {
      const match = new RegExp(`(?<![\\w$.])['"]?${segment.replace(/[$]/g, '\\$')}['"]?\\s*:`).exec(text.slice(from, end));
      if (!match) return d;
      from += match.index;
    }
    return { ...d, ...position(text, from) };
  });
}
