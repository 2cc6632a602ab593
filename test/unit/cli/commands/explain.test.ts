// joinery explain without a reachable cluster: a clear error and exit 1 (it used to end with
// Node's bare exit code 13: the informers retried on unref'd timers and nothing settled).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../../compiler/helpers.ts';

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joinery-explain-'));
  // Port 1 on 127.0.0.1: nothing listens, the connection is refused at once.
  writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
users: [{name: u, user: {token: t}}]
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('joinery explain node', () => {
  it('with no API server behind the kubeconfig: names the server, the context and the kubeconfig, exit 1', () => {
    const result = runCli(['explain', 'node', 'x', '--kubeconfig', join(dir, 'kubeconfig')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/joinery explain: cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:1 \(context gone, kubeconfig .*kubeconfig\): ECONNREFUSED/);
  });

  it('with a kubeconfig that does not exist, or a context it lacks: says which, exit 1', () => {
    const missing = runCli(['explain', 'node', 'x', '--kubeconfig', join(dir, 'nope')], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot load the kubeconfig .*nope/);
    const context = runCli(['explain', 'node', 'x', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'prod'], dir);
    expect(context.code).toBe(1);
    expect(context.stderr).toMatch(/has no context "prod" \(contexts: gone\)/);
  });
});

describe('joinery explain pod', () => {
  it('with no API server behind the kubeconfig: names the server, exit 1', () => {
    const result = runCli(['explain', 'pod', 'default/web-0', '--kubeconfig', join(dir, 'kubeconfig')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/joinery explain: cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:1/);
  });

  it('usage errors: no pod name, the namespace given twice, --namespace on a node: exit 2', () => {
    const none = runCli(['explain', 'pod'], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing the pod name: joinery explain pod <namespace>\/<name>/);
    const twice = runCli(['explain', 'pod', 'a/web-0', '-n', 'b'], dir);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/give the namespace once/);
    const node = runCli(['explain', 'node', 'x', '-n', 'b'], dir);
    expect(node.code).toBe(2);
    expect(node.stderr).toMatch(/--namespace is for explain pod/);
  });
});
