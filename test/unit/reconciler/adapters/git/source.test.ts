// The git IntentSource on real repositories (bare repos on disk, file:// URLs): accepted
// commits, rejected ones that leave the last good intent in force, pinned commits, the
// fetch interval, fetch failures, and signature verification with SSH keys.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitIntentSource } from '../../../../../reconciler/adapters/git/index.ts';
import { GitRepositoryError } from '../../../../../reconciler/adapters/git/repository.ts';
import type { Clock, TimerHandle } from '../../../../../reconciler/ports/clock.ts';
import type { IntentEvent } from '../../../../../reconciler/ports/intent.ts';
import { generatedFiles, nodeClass, nodePool } from '../../../../integration/support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from '../../../../integration/support/policy-repo.ts';

// Each test runs real git (clone, fetch, commit) several times: seconds on a loaded CI machine,
// well past jest's 5 s default.
jest.setTimeout(60_000);

/** Time stands still; timers fire when the test says so. */
class ManualClock implements Clock {
  private timers: { fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return 1_800_000_000_000;
  }
  async sleep(): Promise<void> {}
  setTimer(_ms: number, fn: () => void): TimerHandle {
    const t = { fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => (t.cancelled = true) };
  }
  fire(): void {
    const due = this.timers.filter((t) => !t.cancelled);
    this.timers = [];
    for (const t of due) t.fn();
  }
}

const good = (pools = ['web']) => generatedFiles(pools.map((p) => nodePool(p, { nodeClass: 'default' })), [nodeClass('default', 'prod')]);

describe('GitIntentSource', () => {
  let repo: PolicyRepo;
  const sources: GitIntentSource[] = [];
  const source = (extra: Partial<ConstructorParameters<typeof GitIntentSource>[0]> = {}) => {
    const s = new GitIntentSource({ url: repo.url, cacheDir: `${repo.cacheDir}-${sources.length}`, clock: new ManualClock(), ...extra });
    sources.push(s);
    return s;
  };
  beforeEach(() => {
    repo = createPolicyRepo('joinery-unit-git-');
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    repo.remove();
  });

  test('accepts the branch tip: its NodePools and EC2NodeClasses, at its commit', async () => {
    const sha = repo.push(good(['web', 'batch']), 'two pools');
    const s = source();
    const events: IntentEvent[] = [];
    s.subscribe((e) => events.push(e));
    await s.start();
    expect(s.current()?.commit).toBe(sha);
    expect(s.current()?.nodePools.map((p) => p.metadata.name)).toEqual(['batch', 'web']);
    expect(s.current()?.nodeClasses.map((c) => c.metadata.name)).toEqual(['default']);
    expect(events.map((e) => e.type)).toEqual(['accepted']);
    await s.refresh(); // same commit: nothing new
    expect(events).toHaveLength(1);
  });

  test('a bad commit is rejected with file and field; the last good intent stays; a fix is accepted', async () => {
    const first = repo.push(good(), 'good');
    const s = source();
    await s.start();
    const pool = nodePool('web', { nodeClass: 'missing' });
    pool.spec.template.spec.expireAfter = 'soon';
    const bad = repo.push(generatedFiles([pool], [nodeClass('default', 'prod')]), 'bad');
    await s.refresh();
    expect(s.current()?.commit).toBe(first);
    const rejection = s.lastRejection();
    expect(rejection?.commit).toBe(bad);
    expect(rejection?.problems.map((p) => `${p.file} ${p.field}`)).toEqual(['generated/nodepools/web.yaml spec.template.spec.expireAfter']);
    expect(rejection?.problems[0]?.message).toMatch(/^line \d+: NodePool web: /);
    // Schema-valid but pointing at a class that is not there: rejected too.
    const dangling = repo.push(generatedFiles([nodePool('web', { nodeClass: 'missing' })], [nodeClass('default', 'prod')]), 'dangling');
    await s.refresh();
    expect(s.lastRejection()).toMatchObject({ commit: dangling, problems: [{ file: 'generated/nodepools/web.yaml', field: 'spec.template.spec.nodeClassRef.name' }] });
    expect(s.lastRejection()?.problems[0]?.message).toContain('EC2NodeClass "missing" is not defined (defined: default)');
    const fixed = repo.push(good(), 'fixed');
    await s.refresh();
    expect(s.current()?.commit).toBe(fixed);
    expect(s.lastRejection()).toBeUndefined();
  });

  test('a commit without the manifests directory is rejected, not read as "no pools"', async () => {
    repo.push(good(), 'good');
    const s = source();
    await s.start();
    const empty = repo.push({ 'README.md': 'moved\n' }, 'generated/ removed');
    await s.refresh();
    expect(s.lastRejection()).toMatchObject({ commit: empty, problems: [{ file: 'generated', field: '(directory)' }] });
    expect(s.current()?.nodePools).toHaveLength(1);
  });

  test('a pinned commit is held even when the branch moves', async () => {
    const pinned = repo.push(good(['web']), 'v1');
    repo.push(good(['web', 'batch']), 'v2');
    const s = source({ commit: pinned });
    await s.start();
    expect(s.current()?.commit).toBe(pinned);
    expect(s.current()?.nodePools).toHaveLength(1);
  });

  test('the interval fetches new commits without being asked', async () => {
    repo.push(good(), 'v1');
    const clock = new ManualClock();
    const s = source({ clock, intervalMs: 30_000 });
    await s.start();
    const next = repo.push(good(['web', 'batch']), 'v2');
    const accepted = new Promise<IntentEvent>((resolve) => s.subscribe(resolve));
    clock.fire();
    expect(await accepted).toMatchObject({ type: 'accepted', intent: { commit: next } });
  });

  test('git runs with the environment it is given (a HOME whose .gitconfig rewrites the URL)', async () => {
    const sha = repo.push(good(), 'good');
    const home = mkdtempSync(join(tmpdir(), 'joinery-home-'));
    try {
      writeFileSync(join(home, '.gitconfig'), `[url "${repo.url}"]\n\tinsteadOf = https://git.example.com/platform/policies.git\n`);
      const s = source({ url: 'https://git.example.com/platform/policies.git', gitEnv: { HOME: home, GIT_TERMINAL_PROMPT: '0' } });
      await s.start();
      expect(s.lastFetchError).toBeUndefined();
      expect(s.current()?.commit).toBe(sha);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('an unreachable repository is reported and leaves no intent, without throwing', async () => {
    const s = new GitIntentSource({ url: 'file:///nonexistent/policies.git', cacheDir: `${repo.cacheDir}-x`, clock: new ManualClock() });
    sources.push(s);
    await s.start();
    expect(s.current()).toBeUndefined();
    expect(s.lastRejection()).toBeUndefined();
    expect(s.lastFetchError).toMatch(/git fetch of branch main of file:\/\/\/nonexistent\/policies.git failed/);
  });

  test('a fetch warning never shows the token of a credential URL, nor does the error git echoes', async () => {
    const token = 'ghp_0123456789abcdefSECRET';
    const url = `https://${token}@127.0.0.1:9/acme/policies.git`;
    const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, fields }),
      error: () => undefined,
      child: () => logger,
    };
    const s = new GitIntentSource({ url, cacheDir: `${repo.cacheDir}-token`, clock: new ManualClock(), logger, gitEnv: { GIT_TERMINAL_PROMPT: '0' } });
    sources.push(s);
    await s.start();
    expect(warnings.map((w) => w.msg)).toContain('policy repository fetch failed; the intent in force stays');
    const printed = JSON.stringify(warnings) + (s.lastFetchError ?? '');
    expect(printed).not.toContain(token);
    expect(printed).toContain('https://***@127.0.0.1:9/acme/policies.git');

    // git's own message quoting the URL (and the token alone) is redacted as well.
    const echoed = new GitRepositoryError('fetch of branch main', url, new Error(`fatal: unable to access '${url}/': The requested URL returned error: 403\nremote: token ${token} is expired`));
    expect(echoed.message).not.toContain(token);
    expect(echoed.message).toBe("git fetch of branch main of https://***@127.0.0.1:9/acme/policies.git failed: fatal: unable to access 'https://***@127.0.0.1:9/acme/policies.git/': The requested URL returned error: 403 remote: token *** is expired");
  });

  describe('with signature verification', () => {
    let keys: string;
    beforeEach(() => {
      keys = mkdtempSync(join(tmpdir(), 'joinery-keys-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'release')]);
      const pub = execFileSync('cat', [join(keys, 'release.pub')], { encoding: 'utf8' }).trim();
      writeFileSync(join(keys, 'allowed_signers'), `platform@example.com ${pub}\n`);
    });
    afterEach(() => rmSync(keys, { recursive: true, force: true }));

    test('an unsigned commit is refused; a commit signed with an allowed key is followed', async () => {
      const unsigned = repo.push(good(), 'unsigned');
      const s = source({ verifySignatures: { allowedSignersFile: join(keys, 'allowed_signers') } });
      await s.start();
      expect(s.current()).toBeUndefined();
      expect(s.lastRejection()).toMatchObject({ commit: unsigned, problems: [{ file: '(commit)', field: 'signature' }] });

      const signed = repo.pushSigned(good(['web', 'batch']), 'signed', join(keys, 'release.pub'));
      await s.refresh();
      expect(s.current()?.commit).toBe(signed);
    });
  });
});
