// Git credentials from the mounted Secret, checked through git itself: the credential
// helper answers `git credential fill` with the Secret's files, the SSH command names the
// copied key and the Secret's known_hosts, and nothing secret reaches the environment.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { compilePolicies } from '../../../../compiler/compile.ts';
import { nullSink, StructuredLogger } from '../../../../reconciler/observability/log.ts';
import { loadConfig, type GitConfig } from '../../../../reconciler/process/config.ts';
import { createIntentSource, gitAuthFrom } from '../../../../reconciler/process/intent-source.ts';
import { SystemClock } from '../../../../reconciler/runtime/system-clock.ts';
import { CLUSTERS, GENERAL, PROD_ONLY, RECONCILER } from '../../compiler/clusters/fixtures.ts';
import { fixtureProject } from '../../compiler/helpers.ts';
import { createPolicyRepo } from '../../../integration/support/policy-repo.ts';

const base: GitConfig = { url: 'https://git.example.com/acme/capacity.git', branch: 'main', path: 'generated', pollIntervalMs: 60_000, credentialsDir: undefined, allowedSignersFile: undefined, refuseHistoryRewrites: false };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joinery-git-auth-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function gitWith(env: Record<string, string>, args: string[], input?: string): string {
  return execFileSync('git', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, input, encoding: 'utf8' });
}

describe('git credentials from the mounted Secret', () => {
  test('username and password: git obtains them through the credential helper, and they are nowhere else', () => {
    const secret = join(dir, 'secret');
    execFileSync('mkdir', ['-p', secret]);
    writeFileSync(join(secret, 'username'), 'capacity-bot');
    writeFileSync(join(secret, 'password'), "ghp_s3cr'et token");
    const { gitEnv } = gitAuthFrom({ ...base, credentialsDir: secret }, join(dir, 'work'), { PATH: '/usr/bin', GIT_SSL_CAINFO: '/etc/ssl/ca.pem' });
    const filled = gitWith(gitEnv, ['credential', 'fill'], 'protocol=https\nhost=git.example.com\npath=acme/capacity.git\n\n');
    expect(filled).toContain('username=capacity-bot');
    expect(filled).toContain("password=ghp_s3cr'et token");
    expect(JSON.stringify(gitEnv)).not.toContain('s3cr');
    // The operator's own git settings pass through.
    expect(gitEnv.GIT_SSL_CAINFO).toBe('/etc/ssl/ca.pem');
    expect(gitEnv.GIT_TERMINAL_PROMPT).toBe('0');
  });

  test('an SSH key: copied owner-only, used with the Secret known_hosts and strict host checking', () => {
    const secret = join(dir, 'secret');
    execFileSync('mkdir', ['-p', secret]);
    writeFileSync(join(secret, 'ssh-privatekey'), '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o440 });
    writeFileSync(join(secret, 'known_hosts'), 'github.com ssh-ed25519 AAAA\n');
    const { gitEnv } = gitAuthFrom({ ...base, url: 'git@github.com:acme/capacity.git', credentialsDir: secret }, join(dir, 'work'), {});
    const sshCommand = gitWith(gitEnv, ['config', '--global', 'core.sshCommand']).trim();
    const identity = join(dir, 'work', 'home', 'ssh-identity');
    expect(sshCommand).toBe(`ssh -i '${identity}' -o IdentitiesOnly=yes -o UserKnownHostsFile='${join(secret, 'known_hosts')}' -o StrictHostKeyChecking=yes -o BatchMode=yes`);
    expect(statSync(identity).mode & 0o777).toBe(0o600);
  });

  test('an SSH key without known_hosts is refused: no host is trusted blindly', () => {
    const secret = join(dir, 'secret');
    execFileSync('mkdir', ['-p', secret]);
    writeFileSync(join(secret, 'identity'), 'key');
    expect(() => gitAuthFrom({ ...base, credentialsDir: secret }, join(dir, 'work'), {})).toThrow(/known_hosts is missing/);
  });

  test('a credentials directory without credentials is refused with what it should hold', () => {
    expect(() => gitAuthFrom({ ...base, credentialsDir: dir }, join(dir, 'work'), {})).toThrow(/expected username \+ password, or ssh-privatekey/);
  });

  test('without credentials git still gets a HOME of its own (no user gitconfig leaks in)', () => {
    const { gitEnv } = gitAuthFrom(base, join(dir, 'work'), {});
    expect(gitEnv.HOME).toBe(join(dir, 'work', 'home'));
    expect(() => gitWith(gitEnv, ['config', '--global', 'credential.helper'])).toThrow();
  });
});

describe('a repository of clusters: each reconciler reads its own cluster\'s tree', () => {
  jest.setTimeout(180_000);
  test('configured from its generated ConfigMap, the reconciler of each cluster reads generated/<cluster>/ only', async () => {
    // The real compiler's output for two clusters, pushed to a real repository.
    const project = fixtureProject({ 'policies/clusters.ts': CLUSTERS, 'policies/general.ts': GENERAL, 'policies/prod-batch.ts': PROD_ONLY, 'policies/reconciler.ts': RECONCILER });
    const repo = createPolicyRepo('joinery-unit-clusters-');
    const sources: { stop(): Promise<void> }[] = [];
    try {
      const compiled = await compilePolicies({ root: project.dir, typecheck: false });
      expect(compiled.ok).toBe(true);
      const commit = repo.push(Object.fromEntries(compiled.files.map((f) => [`generated/${f.path}`, f.content])), 'two clusters');
      const seen: Record<string, { path: string | undefined; pools: [string | undefined, unknown][] }> = {};
      for (const cluster of ['dev', 'prod-use1']) {
        const configMap = parse(compiled.files.find((f) => f.path === `${cluster}/reconciler/configmap.yaml`)!.content) as { data: Record<string, string> };
        // As the Deployment runs it: the ConfigMap's environment; the repository and work dir are this test's.
        const config = loadConfig(['--git-url', repo.url, '--work-dir', join(dir, cluster)], { ...configMap.data, POD_NAMESPACE: 'joinery-system', POD_NAME: `joinery-reconciler-${cluster}` });
        const source = createIntentSource(config, { clock: new SystemClock(), logger: new StructuredLogger(new SystemClock(), nullSink, 'error'), kubeConfig: new KubeConfig() });
        sources.push(source);
        await source.start();
        expect(source.current()?.commit).toBe(commit);
        seen[cluster] = { path: config.git?.path, pools: (source.current()?.nodePools ?? []).map((p) => [p.metadata.name, p.spec.limits?.cpu]) };
      }
      expect(seen).toEqual({
        dev: { path: 'generated/dev', pools: [['general', 100]] },
        'prod-use1': { path: 'generated/prod-use1', pools: [['batch', 500], ['general', 2000]] },
      });
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
      repo.remove();
      project.remove();
    }
  });
});
