// Pod label selectors (matchLabels, matchExpressions) as Kubernetes evaluates them.

import type { LabelSelector } from '../api/k8s.ts';

export interface CompiledSelector {
  /** Canonical text, equal for equal selectors. */
  readonly signature: string;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const NOTHING: CompiledSelector = { signature: '<nothing>', matches: () => false };

/**
 * Compiles a selector. An undefined selector matches nothing (as in pod affinity terms
 * and topology spread constraints); an empty one matches everything. `extra` adds
 * `key In [value]` pairs (matchLabelKeys resolved against the owning pod).
 */
export function compileSelector(selector: LabelSelector | undefined, extra?: Readonly<Record<string, string>>): CompiledSelector {
  if (!selector) return NOTHING;
  const checks: { key: string; op: string; values: ReadonlySet<string> }[] = [];
  for (const [k, v] of Object.entries({ ...(selector.matchLabels ?? {}), ...(extra ?? {}) })) {
    checks.push({ key: k, op: 'In', values: new Set([v]) });
  }
  for (const e of selector.matchExpressions ?? []) {
    checks.push({ key: e.key, op: e.operator, values: new Set(e.values ?? []) });
  }
  checks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  const signature = checks.map((c) => `${c.key} ${c.op} ${[...c.values].sort().join(',')}`).join(';');
  return {
    signature,
    matches(labels) {
      for (const c of checks) {
        const v = labels?.[c.key];
        switch (c.op) {
          case 'In':
            if (v === undefined || !c.values.has(v)) return false;
            break;
          case 'NotIn':
            if (v !== undefined && c.values.has(v)) return false;
            break;
          case 'Exists':
            if (v === undefined) return false;
            break;
          case 'DoesNotExist':
            if (v !== undefined) return false;
            break;
          default:
            return false;
        }
      }
      return true;
    },
  };
}
