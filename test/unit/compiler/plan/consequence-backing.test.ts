// `joinery plan` states only what a test has watched the reconciler do. Every consequence
// kind compiler/plan/consequences.ts can print is mapped here to the tests that apply the
// same change to a running fleet (simulated, or the real test environment) and observe
// the reconciler doing what the plan says. A kind added to ConsequenceKind without an
// entry does not type-check; a kind consequences.ts prints that is not here, or an entry
// whose test is gone or renamed, fails below.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsequenceKind } from '../../../../compiler/plan/types.ts';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

interface Backing {
  readonly file: string;
  /** A fixed part of the test's name, as written in the file. */
  readonly test: string;
}

export const CONSEQUENCE_BACKING: Readonly<Record<ConsequenceKind, readonly Backing[]>> = {
  drift: [
    // NodePool template drift (expireAfter, terminationGracePeriod): every node replaced within the budget.
    { file: 'test/unit/behaviour/drift-template.test.ts', test: 'on a running pool: its ${NODES} nodes (2 days old) drift and are replaced' },
    { file: 'test/unit/behaviour/drift-template.test.ts', test: 'terminationGracePeriod set on a running pool' },
    // Requirement drift: nodes no longer admitted are replaced, within the budget.
    { file: 'test/unit/behaviour/drift-budget.test.ts', test: '80 drifting nodes under a 10% budget: never more than 8 disrupting at once' },
    { file: 'test/integration/disruption-drift.test.ts', test: 'rolls every old node under a budget of one, never more than one at a time, replacement first' },
    // EC2NodeClass drift.
    { file: 'test/unit/behaviour/plan-consequences.test.ts', test: 'EC2NodeClass drift: the plan says every node of the pools using the class drifts and is replaced' },
  ],
  'expire-after-shortened': [
    // None expired early; they drift and the replacements carry the new value ...
    { file: 'test/unit/behaviour/drift-template.test.ts', test: 'expireAfter 720h -> 24h on a running pool' },
    // ... and expiry is forceful: the budget does not hold it back.
    { file: 'test/integration/disruption-expiration.test.ts', test: 'an expired node is replaced (replacement first) although the budget allows no disruption' },
  ],
  'pool-removed': [
    { file: 'test/unit/behaviour/removed-pool.test.ts', test: 'a NodePool removed from git: its ${NODES} nodes are replaced in the other pool and removed, at most 10% at a time' },
    { file: 'test/unit/behaviour/removed-pool.test.ts', test: 'a removed pool whose pods fit no other NodePool: its nodes stay' },
    { file: 'test/integration/removed-pool.test.ts', test: 'a NodePool removed from git and pruned' },
  ],
  'budget-removed': [
    { file: 'test/unit/behaviour/plan-consequences.test.ts', test: "all budgets removed: the plan says Karpenter's default (10% of nodes) applies" },
    { file: 'test/unit/behaviour/plan-consequences.test.ts', test: 'a scheduled budget window removed: the plan says which' },
  ],
  'budget-weakened': [{ file: 'test/unit/behaviour/plan-consequences.test.ts', test: 'budget weakened 0 -> 3 nodes: the plan says so' }],
  'consolidation-more-aggressive': [
    { file: 'test/unit/behaviour/plan-consequences.test.ts', test: 'consolidation made more aggressive (WhenEmpty -> WhenEmptyOrUnderutilized)' },
  ],
  // Not a change to running nodes: a guardrail finding new in head, reported as the compiler reports it.
  'new-finding': [{ file: 'test/unit/compiler/plan/consequences.test.ts', test: 'findings are new unless base has the same rule on the same object and field' }],
};

/** The kinds consequences.ts can print, read from its source (`kind: '...'`). */
function printedKinds(): string[] {
  const text = readFileSync(join(REPO, 'compiler/plan/consequences.ts'), 'utf8');
  return [...new Set([...text.matchAll(/kind: '([a-z-]+)'/g)].map((m) => m[1]!))].sort();
}

describe('every consequence `joinery plan` prints is backed by a test that watches the reconciler do it', () => {
  test('each kind consequences.ts prints has backing tests, and each registered kind is printed', () => {
    expect(printedKinds()).toEqual(Object.keys(CONSEQUENCE_BACKING).sort());
  });

  test.each(Object.entries(CONSEQUENCE_BACKING).flatMap(([kind, tests]) => tests.map((t) => [kind, t.file, t.test] as const)))('%s: %s has the test "%s"', (_kind, file, name) => {
    expect(existsSync(join(REPO, file))).toBe(true);
    const text = readFileSync(join(REPO, file), 'utf8');
    expect(text).toContain(name);
  });
});
