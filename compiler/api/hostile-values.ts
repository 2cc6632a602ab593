// Bounds every value a policy hands the API before anything reads it: numbers must be
// finite, lists and strings bounded, objects plain and free of `__proto__`, `constructor`
// and `prototype` keys, nesting shallow. A construct with such a value reports it as a
// field-named issue and is kept out of the compile, so no later step meets NaN, Infinity,
// an 800,000-value list or a polluted prototype (and none fails with a stack trace).
import type { ValueIssue } from './construct-info.ts';

/** At most this many entries in any list (requirement values, taints, selector terms, ...). */
export const MAX_LIST_ENTRIES = 1_000;
/** At most this many keys in any object (labels, tags, ...). */
export const MAX_OBJECT_KEYS = 1_000;
/** At most this many characters in any string. */
export const MAX_STRING_LENGTH = 65_536;
/** At most this many levels of nesting. */
export const MAX_DEPTH = 16;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_ISSUES = 20;

function isPlainPrototype(proto: unknown): boolean {
  return proto === Object.prototype || proto === null;
}

/** Issues for every unsafe value under `value`, named from `field` (e.g. `requirements[0].values`). */
export function unsafeValueIssues(value: unknown, field = ''): ValueIssue[] {
  const issues: ValueIssue[] = [];
  const seen = new Set<object>();
  const name = (path: string): string => path || '(props)';
  const visit = (v: unknown, path: string, depth: number): void => {
    if (issues.length >= MAX_ISSUES) return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ field: name(path), message: `is ${v}, not a finite number`, fix: 'write a finite number' });
      return;
    }
    if (typeof v === 'bigint') {
      issues.push({ field: name(path), message: `is a bigint (${v}n)`, fix: 'write a plain number' });
      return;
    }
    if (typeof v === 'string') {
      if (v.length > MAX_STRING_LENGTH) issues.push({ field: name(path), message: `is ${v.length} characters long; at most ${MAX_STRING_LENGTH} are allowed`, fix: 'shorten it' });
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (seen.has(v)) {
      issues.push({ field: name(path), message: 'refers back to itself (a cycle)', fix: 'pass plain, acyclic values' });
      return;
    }
    if (depth > MAX_DEPTH) {
      issues.push({ field: name(path), message: `is nested more than ${MAX_DEPTH} levels deep`, fix: 'flatten the value' });
      return;
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_LIST_ENTRIES) {
        issues.push({ field: name(path), message: `has ${v.length} entries; at most ${MAX_LIST_ENTRIES} are allowed`, fix: `list at most ${MAX_LIST_ENTRIES} (a requirement with that many values selects nearly everything: use a broader rule such as a category or a generation range)` });
        return;
      }
      seen.add(v);
      v.forEach((entry, i) => visit(entry, `${path}[${i}]`, depth + 1));
      seen.delete(v);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (!isPlainPrototype(proto)) {
      // A class instance (a construct such as the nodeClass, a Date) is not the caller's data.
      if (proto !== null && typeof proto === 'object' && Object.hasOwn(proto, 'constructor')) return;
      issues.push({ field: name(path), message: 'has a __proto__ key (it replaces the object\'s prototype)', fix: 'remove the __proto__ key' });
      return;
    }
    const keys = Object.keys(v);
    if (keys.length > MAX_OBJECT_KEYS) {
      issues.push({ field: name(path), message: `has ${keys.length} keys; at most ${MAX_OBJECT_KEYS} are allowed`, fix: `keep it to at most ${MAX_OBJECT_KEYS} keys` });
      return;
    }
    seen.add(v);
    for (const key of keys) {
      const child = /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({ field: child, message: `"${key}" is not allowed as a key`, fix: `remove the "${key}" key` });
        continue;
      }
      visit((v as Record<string, unknown>)[key], child, depth + 1);
    }
    seen.delete(v);
  };
  visit(value, field, 0);
  return issues;
}
