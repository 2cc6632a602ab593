// The project's import graph, checked with dependency-cruiser against .dependency-cruiser.cjs
// (the rules and why type-only imports count are there): no import circle anywhere in
// core/, compiler/, reconciler/, cli/, bench/, policies/ and data/, and the layering:
// core/ imports only core/; compiler/ imports only core/, data/ and itself; the
// reconciler's controllers never import its adapters; the simulator's kube-scheduler
// never reaches joinery's solver (core/scheduling/). A failure lists every circle as
// `a.ts → b.ts → a.ts`, and every forbidden import as `from → to`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDERS = ['core', 'compiler', 'reconciler', 'cli', 'bench', 'policies', 'data'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: ({ name: string } | string)[];
}

let violations: Violation[] = [];

beforeAll(() => {
  const out = execFileSync(
    process.execPath,
    ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...FOLDERS],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const result = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
  // A wrong root or config that cruises nothing would pass every rule.
  expect(result.summary.totalCruised).toBeGreaterThan(100);
  violations = result.summary.violations;
}, 120_000);

function ruleViolations(rule: string): Violation[] {
  return violations.filter((v) => v.rule.name === rule);
}

/** Each circle once, as `from → … → from`, whichever of its modules dependency-cruiser reported it from. */
function circles(): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const v of ruleViolations('no-circular')) {
    const path = [v.from, ...(v.cycle ?? []).map((step) => (typeof step === 'string' ? step : step.name))];
    const key = [...new Set(path)].sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(path.join(' → '));
  }
  return lines.sort();
}

function imports(rule: string): string[] {
  return ruleViolations(rule)
    .map((v) => `${v.from} → ${v.to}`)
    .sort();
}

test('no import circles', () => {
  expect(circles()).toEqual([]);
});

test('core/ imports nothing of the project outside core/', () => {
  expect(imports('core-imports-only-core')).toEqual([]);
});

test('compiler/ imports only core/, data/ and itself', () => {
  expect(imports('compiler-imports-only-core')).toEqual([]);
});

test('data/ imports only core/', () => {
  expect(imports('data-imports-only-core')).toEqual([]);
});

test('reconciler/controllers/ never import reconciler/adapters/', () => {
  expect(imports('controllers-not-adapters')).toEqual([]);
});

test("the simulator's kube-scheduler never reaches joinery's solver, directly or through other modules", () => {
  expect(imports('sim-scheduler-not-solver')).toEqual([]);
  expect(imports('sim-scheduler-process-not-solver')).toEqual([]);
});

test('every violation belongs to a rule checked above', () => {
  const checked = new Set(['no-circular', 'core-imports-only-core', 'compiler-imports-only-core', 'data-imports-only-core', 'controllers-not-adapters', 'sim-scheduler-not-solver', 'sim-scheduler-process-not-solver']);
  expect(violations.filter((v) => !checked.has(v.rule.name)).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
});
