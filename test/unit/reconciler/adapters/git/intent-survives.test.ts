// Intent that survives (issue 22): on real repositories (bare repos on disk, file:// URLs),
// what an operator would notice when a commit removes every NodePool, when the reconciler
// restarts with the repository unreachable, when a commit holds a YAML alias bomb, and when
// the tracked branch is force-pushed.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { Registry } from 'prom-client';
import { NO_NODE_POOLS_CONTENT } from '../../../../../compiler/manifests/index.ts';
import { GitIntentSource } from '../../../../../reconciler/adapters/git/index.ts';
import { GitSourceMetrics } from '../../../../../reconciler/adapters/git/metrics.ts';
import type { Clock, TimerHandle } from '../../../../../reconciler/ports/clock.ts';
import type { IntentEvent } from '../../../../../reconciler/ports/intent.ts';
import { StructuredLogger, type LogRecord } from '../../../../../reconciler/observability/log.ts';
import { generatedFiles, nodeClass, nodePool } from '../../../../integration/support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from '../../../../integration/support/policy-repo.ts';

// Each test runs real git (clone, fetch, commit) several times: seconds on a loaded CI machine,
// well past jest's 5 s default.
jest.setTimeout(60_000);

class ManualClock implements Clock {
  now(): number {
    return 1_800_000_000_000;
  }
  async sleep(): Promise<void> {}
  setTimer(): TimerHandle {
    return { cancel: () => undefined };
  }
}

const good = (pools = ['web']) => generatedFiles(pools.map((p) => nodePool(p, { nodeClass: 'default' })), [nodeClass('default', 'prod')]);
const bare = (repo: PolicyRepo) => repo.url.replace(/^file:\/\//, '');

async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('GitIntentSource: intent that survives', () => {
  let repo: PolicyRepo;
  let registry: Registry;
  let metrics: GitSourceMetrics;
  let logs: LogRecord[];
  const sources: GitIntentSource[] = [];
  const source = (extra: Partial<ConstructorParameters<typeof GitIntentSource>[0]> = {}, cacheDir = `${repo.cacheDir}-${sources.length}`) => {
    const s = new GitIntentSource({
      url: repo.url,
      cacheDir,
      clock: new ManualClock(),
      metrics,
      logger: new StructuredLogger(new ManualClock(), (r) => logs.push(r), 'debug'),
      ...extra,
    });
    sources.push(s);
    return s;
  };
  beforeEach(() => {
    repo = createPolicyRepo('joinery-unit-intent-');
    registry = new Registry();
    metrics = new GitSourceMetrics(registry);
    logs = [];
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    repo.remove();
  });

  test('a commit that removes every NodePool is rejected with its commit and reason; the pools in force stay', async () => {
    const first = repo.push(good(['web', 'batch']), 'two pools');
    const s = source();
    const events: IntentEvent[] = [];
    s.subscribe((e) => events.push(e));
    await s.start();
    const empty = repo.push(generatedFiles([], [nodeClass('default', 'prod')]), 'remove every pool');
    await s.refresh();
    expect(s.current()?.commit).toBe(first);
    expect(s.current()?.nodePools).toHaveLength(2);
    expect(s.lastRejection()?.commit).toBe(empty);
    expect(s.lastRejection()?.problems).toEqual([expect.objectContaining({ file: 'generated', field: '(NodePools)' })]);
    expect(s.lastRejection()?.problems[0]?.message).toMatch(/no NodePool is declared .*--allow-no-node-pools/);
    expect(events.map((e) => e.type)).toEqual(['accepted', 'rejected']);
    expect(logs.find((l) => l.msg.startsWith('policy commit rejected'))).toMatchObject({ level: 'warn', commit: empty, commitInForce: first });
  });

  test('no NodePool with the explicit marker (compile --allow-no-node-pools) is accepted', async () => {
    repo.push(good(), 'one pool');
    const s = source();
    await s.start();
    const none = repo.push({ ...generatedFiles([], [nodeClass('default', 'prod')]), 'generated/no-node-pools.yaml': NO_NODE_POOLS_CONTENT }, 'no pools on purpose');
    await s.refresh();
    expect(s.current()?.commit).toBe(none);
    expect(s.current()?.nodePools).toEqual([]);
    expect(s.lastRejection()).toBeUndefined();
  });

  test('a restart with the repository unreachable serves the last accepted commit from the clone, and says so', async () => {
    const sha = repo.push(good(['web']), 'good');
    const cacheDir = `${repo.cacheDir}-restart`;
    const before = source({}, cacheDir);
    await before.start();
    expect(before.current()?.commit).toBe(sha);
    await before.stop();

    renameSync(bare(repo), `${bare(repo)}.away`); // the git server is down
    const after = source({}, cacheDir);
    await after.start();
    expect(after.current()?.commit).toBe(sha);
    expect(after.current()?.nodePools.map((p) => p.metadata.name)).toEqual(['web']);
    expect(after.servingFromClone).toBe(sha);
    expect(after.lastFetchError).toMatch(/git fetch of branch main/);
    expect(await counter(registry, 'joinery_git_fetch_failures_total')).toBe(1);
    expect(logs.find((l) => l.msg.startsWith('policy repository unreachable at start'))).toMatchObject({ level: 'warn', commit: sha });

    renameSync(`${bare(repo)}.away`, bare(repo)); // back: a fetch succeeds and the flag clears
    await after.refresh();
    expect(after.servingFromClone).toBeUndefined();
    expect(after.current()?.commit).toBe(sha);
  });

  test('without a recorded commit, an unreachable repository still leaves no intent', async () => {
    const s = new GitIntentSource({ url: 'file:///nonexistent/policies.git', cacheDir: `${repo.cacheDir}-none`, clock: new ManualClock(), metrics });
    sources.push(s);
    await s.start();
    expect(s.current()).toBeUndefined();
    expect(s.servingFromClone).toBeUndefined();
    expect(await counter(registry, 'joinery_git_fetch_failures_total')).toBe(1);
  });

  test('a YAML alias bomb is a rejection (reported once, not re-read every tick); the last good intent stays', async () => {
    const first = repo.push(good(), 'good');
    const s = source();
    const events: IntentEvent[] = [];
    s.subscribe((e) => events.push(e));
    await s.start();
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const bomb = repo.push({ ...good(), 'generated/bomb.yaml': `${levels.join('\n')}\n` }, 'billion laughs');
    await s.refresh();
    expect(s.current()?.commit).toBe(first);
    expect(s.lastRejection()?.commit).toBe(bomb);
    expect(s.lastRejection()?.problems[0]).toMatchObject({ file: 'generated/bomb.yaml' });
    expect(s.lastRejection()?.problems[0]?.message).toMatch(/alias/i);
    await s.refresh();
    await s.refresh();
    expect(events.map((e) => e.type)).toEqual(['accepted', 'rejected']);
  });

  test('a force-push of the tracked branch is warned about and counted, and followed by default', async () => {
    const a = repo.push(good(['web']), 'a');
    const b = repo.push(good(['web', 'batch']), 'b');
    const s = source();
    await s.start();
    expect(s.current()?.commit).toBe(b);
    execFileSync('git', ['-C', bare(repo), 'update-ref', 'refs/heads/main', a]); // history rewritten back to a
    await s.refresh();
    expect(s.current()?.commit).toBe(a);
    expect(await counter(registry, 'joinery_git_history_rewrites_total', { action: 'warned' })).toBe(1);
    expect(logs.find((l) => l.msg.startsWith('the tracked branch was rewritten'))).toMatchObject({ level: 'warn', tip: a, commitInForce: b, refused: false });
  });

  test('with refuseHistoryRewrites, a force-push is rejected and the commit in force stays', async () => {
    const a = repo.push(good(['web']), 'a');
    const b = repo.push(good(['web', 'batch']), 'b');
    const s = source({ refuseHistoryRewrites: true });
    await s.start();
    execFileSync('git', ['-C', bare(repo), 'update-ref', 'refs/heads/main', a]);
    await s.refresh();
    expect(s.current()?.commit).toBe(b);
    expect(s.lastRejection()?.commit).toBe(a);
    expect(s.lastRejection()?.problems[0]).toMatchObject({ file: '(history)', field: 'branch main' });
    expect(await counter(registry, 'joinery_git_history_rewrites_total', { action: 'refused' })).toBe(1);
    // A fast-forward from the commit in force is followed again.
    const c = repo.push(good(['web']), 'c'); // the work clone is still at b: c descends from b
    await s.refresh();
    expect(s.current()?.commit).toBe(c);
  });
});
