// `joinery plan` end to end on real git repositories made here: each policy change is a
// branch, the command runs as a user runs it (node bin/joinery.js plan), and the tests read
// its Markdown, its JSON and its exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { PlanReport } from '../../../../compiler/plan/types.ts';
import { PolicyRepo, PROJECT, policySource } from './policy-repo.ts';

jest.setTimeout(180_000);

const WORKLOAD = join(PROJECT, 'test/fixtures/plan/workload-gpu.json');

let repo: PolicyRepo;

beforeAll(() => {
  repo = new PolicyRepo();
  repo.branch('limits', { generalCpuLimit: 2000 });
  repo.branch('families', { generalFamilies: ['m7i', 'c7i'] });
  repo.branch('no-spot', { generalCapacityTypes: ['on-demand'] });
  repo.branch('ami', { amiVersion: 'v20250601' });
  repo.branch('unrestricted', { extra: `  new NodePool(policy, 'anything', { nodeClass: nodes, limits: { cpu: 100 }, expireAfter: '720h' });` });
  repo.branch('one-gpu', { gpuMaxPerNode: 1 });
  repo.branch('broken', { raw: `import { definePolicy } from '../compiler/api/index.ts';\nexport default definePolicy(() => {\n  throw new Error('half-finished refactor');\n});\n` });
});

afterAll(() => repo?.remove());

async function planJson(...args: string[]): Promise<{ code: number; report: PlanReport; stderr: string }> {
  const { code, stdout, stderr } = await repo.plan([...args, '--json', '--skip-typecheck']);
  let report: PlanReport;
  try {
    report = JSON.parse(stdout) as PlanReport;
  } catch {
    throw new Error(`joinery plan printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
  }
  return { code, report, stderr };
}

function summaries(report: PlanReport, name: string): string[] {
  return report.diff.find((d) => d.name === name)?.fields.map((f) => f.summary) ?? [];
}

function envelope(report: PlanReport, pool: string) {
  const e = report.envelopes.find((p) => p.nodePool === pool);
  if (!e?.before || !e.after) throw new Error(`no before/after envelope for ${pool}`);
  return { before: e.before, after: e.after };
}

test('a change of limits: said in words, and the most the pool can cost at its limits rises', async () => {
  const { code, report } = await planJson('--base', 'main', '--head', 'limits');
  expect(code).toBe(0);
  expect(report.exitCode).toBe(0);
  expect(report.diff.map((d) => `${d.kind}/${d.name}`)).toEqual(['NodePool/general-purpose']);
  expect(summaries(report, 'general-purpose')).toEqual(['limits.cpu 1000 -> 2000']);
  const { before, after } = envelope(report, 'general-purpose');
  // The cpu limit binds in base; doubled, it lets the pool spend more, at most twice as much
  // (the memory limit, 4000Gi, is unchanged and binds too).
  expect(before.bindingLimits).toContain('cpu');
  expect(after.maxHourlyCostAtLimits!).toBeGreaterThan(before.maxHourlyCostAtLimits! * 1.2);
  expect(after.maxHourlyCostAtLimits!).toBeLessThanOrEqual(before.maxHourlyCostAtLimits! * 2);
  expect(after.bindingLimits).toContain('memory');
  expect(after.instanceTypeCount).toBe(before.instanceTypeCount);
  // A limit applies to running nodes without replacing them.
  expect(report.consequences.filter((c) => c.kind === 'drift')).toEqual([]);
  // The worktree of each ref is gone afterwards.
  expect(repo.worktrees()).toHaveLength(1);
});

test('a change of families: the envelope narrows to them, and nodes of the other families drift', async () => {
  const { code, report } = await planJson('--base', 'main', '--head', 'families');
  expect(code).toBe(0);
  expect(summaries(report, 'general-purpose')).toEqual(['instance families restricted to c7i and m7i']);
  const { before, after } = envelope(report, 'general-purpose');
  expect(after.families).toEqual(['c7i', 'm7i']);
  expect(before.families.length).toBeGreaterThan(10);
  expect(before.families).toEqual(expect.arrayContaining(['c7i', 'm7i', 'm6i', 'r7i']));
  expect(after.instanceTypeCount).toBeLessThan(before.instanceTypeCount);
  const drift = report.consequences.find((c) => c.kind === 'drift' && c.name === 'general-purpose');
  expect(drift?.summary).toMatch(/no longer meet its requirements/);
  expect(drift?.summary).toContain(`nodes on ${before.instanceTypeCount - after.instanceTypeCount} instance types`);
});

test('removal of spot: "spot removed from capacity types", and spot nodes drift', async () => {
  const { code, report } = await planJson('--base', 'main', '--head', 'no-spot');
  expect(code).toBe(0);
  expect(summaries(report, 'general-purpose')).toEqual(['spot removed from capacity types (now on-demand)']);
  const { before, after } = envelope(report, 'general-purpose');
  expect(before.capacityTypes).toEqual(['on-demand', 'spot']);
  expect(after.capacityTypes).toEqual(['on-demand']);
  const drift = report.consequences.find((c) => c.kind === 'drift' && c.name === 'general-purpose');
  expect(drift?.summary).toMatch(/nodes on spot capacity no longer meet its requirements/);
});

test('an AMI change drifts every node of the pools that use the EC2NodeClass', async () => {
  const { code, report } = await planJson('--base', 'main', '--head', 'ami');
  expect(code).toBe(0);
  expect(report.diff).toEqual([expect.objectContaining({ kind: 'EC2NodeClass', name: 'default', change: 'changed' })]);
  expect(summaries(report, 'default')).toEqual(['AMI al2023@v20250505 -> al2023@v20250601']);
  const drift = report.consequences.filter((c) => c.kind === 'drift');
  expect(drift).toHaveLength(1);
  expect(drift[0]).toMatchObject({ objectKind: 'EC2NodeClass', name: 'default', severity: 'warning' });
  expect(drift[0]!.summary).toMatch(/amiSelectorTerms changed, so every node of NodePools general-purpose and gpu drifts/);
});

test('a new unrestricted pool: the guardrail error is new in head, and the exit code is 1', async () => {
  const { code, report } = await planJson('--base', 'main', '--head', 'unrestricted');
  expect(code).toBe(1);
  expect(report.exitCode).toBe(1);
  expect(report.diff).toEqual([expect.objectContaining({ kind: 'NodePool', name: 'anything', change: 'added' })]);
  const finding = report.findings.find((f) => f.code === 'unrestricted-instance-selection');
  expect(finding).toMatchObject({ new: true, severity: 'error', object: { kind: 'NodePool', name: 'anything' }, file: 'policies/cluster.ts' });
  expect(finding?.line).toBeGreaterThan(0);
  // The base pools' findings are not new.
  expect(report.findings.filter((f) => f.new && f.object?.name !== 'anything')).toEqual([]);
  const markdown = await repo.plan(['--base', 'main', '--head', 'unrestricted', '--skip-typecheck']);
  expect(markdown.code).toBe(1);
  expect(markdown.stdout).toMatch(/❌ \d+ new errors?/);
  expect(markdown.stdout).toMatch(/- \*\*error\*\* `unrestricted-instance-selection` NodePool `anything` \(`policies\/cluster\.ts:\d+`\)/);
  // The new pool's envelope: its whole catalog and no limit on memory, but capped by limits.cpu.
  const added = report.envelopes.find((p) => p.nodePool === 'anything');
  expect(added?.before).toBeUndefined();
  expect(added?.after?.instanceTypeCount).toBeGreaterThan(500);
  expect(added?.after?.bindingLimits).toEqual(['cpu']);
});

test('what-if on a recorded workload: leads with the stranded training pods, grouped by their StatefulSet, and does not call head cheaper', async () => {
  const { code, stdout, stderr } = await repo.plan(['--base', 'main', '--head', 'one-gpu', '--workload', WORKLOAD, '--skip-typecheck']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout.split('\n')[0]).toBe('<!-- joinery-plan -->');
  expect(stdout).toContain('- GPUs per node: at least 1 -> exactly 1');
  // The summary line leads with the stranded pods and does not call the lower $/h a saving.
  expect(stdout).toMatch(/what-if: ⚠️ 3 pods no longer fit, not cheaper \(-\$[0-9.]+\/h only because they are not placed\) \(synthetic spot prices\)/);
  // The what-if section opens with them, one line per workload, before the cost table.
  const section = stdout.slice(stdout.indexOf('#### What-if'));
  expect(section).toMatch(/^#### What-if: `[^`]+`\n\n\*\*3 pods no longer fit under head\*\* \(one workload\):\n\n- StatefulSet `ml\/train`: 3 pods \(`ml\/train-0`, `ml\/train-1` and `ml\/train-2`\): [^\n]*NodePool gpu: needs 4 nvidia\.com\/gpu; the largest it allows has 1/);
  expect(section.indexOf('no longer fit under head')).toBeLessThan(section.indexOf('| pods that fit nowhere | 0 | 3 | +3 |'));
  // The price model is stated.
  expect(section).toMatch(/Prices: on-demand from the shipped us-east-1 on-demand list prices.*; spot prices are \*\*synthetic\*\*: not market prices/);
  expect(section).toMatch(/\| \$\/h per placed pod \| \$[0-9.]+ \| \$[0-9.]+ \|/);
  expect(section).toMatch(/Cost: not cheaper: \$[0-9.]+\/h less only because 3 pods no longer fit and are not placed; per placed pod/);
  // The 1-GPU inference pods still fit; nothing else changes.
  expect(stdout).not.toMatch(/infer/);

  const json = await planJson('--base', 'main', '--head', 'one-gpu', '--workload', WORKLOAD);
  const w = json.report.whatIf!;
  expect(w.base.unschedulable).toEqual([]);
  expect(w.noLongerFit.map((p) => p.pod)).toEqual(['ml/train-0', 'ml/train-1', 'ml/train-2']);
  expect(w.noLongerFitByOwner.map((g) => [g.owner, g.pods.length])).toEqual([['StatefulSet ml/train', 3]]);
  expect(w.priceModel.spotSynthetic).toBe(true);
  // 32 pods in the snapshot; DaemonSet pods, the finished job and the pods on the kept
  // (managed node group) node are not placed again: 12 web, 2 batch, 3 train, 2 infer.
  expect(w.pods).toBe(19);
  expect(w.karpenterNodes).toBe(3);
  expect(w.otherNodes).toBe(1);
  expect(w.base.nodesByPool.gpu).toBeGreaterThan(0);
  expect(w.head.hourlyCost).toBeLessThan(w.base.hourlyCost);
  expect(w.head.podsPlaced).toBe(w.base.podsPlaced - 3);
  expect(w.current.unpriced).toBe(0);
});

test('--spot-prices: the what-if is priced from the snapshot, and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-spot-'));
  try {
    const file = join(dir, 'spot.json');
    // Every spot offering of the shipped catalog at $0.0001/h: spot nodes become almost free.
    const history = loadShippedCatalog().instanceTypes.filter((t) => t.usageClasses.includes('spot')).flatMap((t) =>
      t.zones.map((zone) => ({ InstanceType: t.name, AvailabilityZone: zone, SpotPrice: '0.000100', ProductDescription: 'Linux/UNIX', Timestamp: '2026-12-01T10:00:00.000Z' })),
    );
    writeFileSync(file, JSON.stringify({ SpotPriceHistory: history }));
    const withSnapshot = await planJson('--base', 'main', '--head', 'limits', '--workload', WORKLOAD, '--spot-prices', file);
    const w = withSnapshot.report.whatIf!;
    expect(w.priceModel.spotSynthetic).toBe(false);
    expect(w.priceModel.spot).toMatch(new RegExp(`^from .*spot\\.json \\(${history.length} type-and-zone prices, latest 2026-12-01T10:00:00\\.000Z\\)$`));
    const without = await planJson('--base', 'main', '--head', 'limits', '--workload', WORKLOAD);
    expect(without.report.whatIf!.priceModel.spotSynthetic).toBe(true);
    expect(w.base.hourlyCost).toBeLessThan(without.report.whatIf!.base.hourlyCost);

    writeFileSync(file, '{"Prices": []}');
    const bad = await repo.plan(['--base', 'main', '--head', 'limits', '--workload', WORKLOAD, '--spot-prices', file, '--skip-typecheck']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/spot\.json: has no SpotPriceHistory list/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown ref is a usage error that names the ref', async () => {
  const { code, stdout, stderr } = await repo.plan(['--base', 'no-such-branch', '--skip-typecheck']);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/--base no-such-branch: unknown ref/);
});

test('a base that does not compile is reported, and head is still reported alone', async () => {
  const { code, report } = await planJson('--base', 'broken', '--head', 'limits');
  expect(report.base.compiled).toBe(false);
  expect(report.base.errors).toEqual([expect.objectContaining({ code: 'policy-threw', file: 'policies/cluster.ts' })]);
  expect(report.base.errors[0]!.message).toMatch(/half-finished refactor/);
  expect(report.head.compiled).toBe(true);
  // Head's pools are still described; nothing is compared.
  expect(report.envelopes.map((e) => e.nodePool).sort()).toEqual(['general-purpose', 'gpu']);
  expect(report.envelopes.every((e) => e.before === undefined && e.after !== undefined)).toBe(true);
  expect(report.diff).toEqual([]);
  // Head has no error finding, so the plan is clean.
  expect(code).toBe(0);
  const markdown = await repo.plan(['--base', 'broken', '--head', 'limits', '--skip-typecheck']);
  expect(markdown.stdout).toMatch(/base does not compile/);
  expect(markdown.stdout).toMatch(/half-finished refactor/);
});

test('defaults: head is the working tree (type-checked), base the merge base with main; a head that does not compile exits 1', async () => {
  const path = join(repo.dir, 'policies', 'cluster.ts');
  writeFileSync(path, policySource().replace("limits: { gpus: 16 }", "limits: { gpus: 'sixteen' }"));
  try {
    const { code, stdout, stderr } = await repo.plan(['--json']);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as PlanReport;
    expect(code).toBe(1);
    expect(report.head.ref).toEqual({ label: 'working tree', commit: null, workingTree: true });
    expect(report.base.ref.label).toBe('merge base with main');
    expect(report.base.ref.commit).toBe(repo.git('rev-parse', 'main'));
    expect(report.head.compiled).toBe(false);
    expect(report.head.errors[0]).toMatchObject({ code: 'type-error', file: 'policies/cluster.ts' });
  } finally {
    writeFileSync(path, policySource());
  }
});

describe('bad workload files are usage errors naming the file and the reason', () => {
  test('not JSON', async () => {
    const file = join(repo.dir, 'not-json.json');
    writeFileSync(file, 'NAME READY STATUS\nweb-1 1/1 Running\n');
    const { code, stderr } = await repo.plan(['--workload', 'not-json.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^joinery plan: not-json\.json: not valid JSON \(/);
    expect(stderr).toMatch(/kubectl get pods,nodes,daemonsets -A -o json/);
  });

  test('JSON, but not a pod list', async () => {
    const file = join(repo.dir, 'nodes-only.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }] }));
    const { code, stderr } = await repo.plan(['--workload', 'nodes-only.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/nodes-only\.json: not a pod list: it holds no Pod \(found 1 Node\)/);
  });

  test('a missing file', async () => {
    const { code, stderr } = await repo.plan(['--workload', 'nowhere.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/nowhere\.json: no such file/);
  });

  test('--workload and --cluster together', async () => {
    const { code, stderr } = await repo.plan(['--workload', 'x.json', '--cluster']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/exclusive/);
  });
});
