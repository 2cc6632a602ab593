// A real HTTP server on 127.0.0.1 plays an API server that is busy for a moment; the
// clients of RetryingKubeConfig wait as it says and get their answer, as client-go's do.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { RetryingKubeConfig, type RetryAfterPolicy } from '../../../../../reconciler/adapters/kubernetes/retrying-kube-config.ts';

type Answer = { status: number; retryAfter?: string; body: unknown };

let server: Server;
let answers: Answer[] = [];
let requests: string[] = [];
const waits: number[] = [];

const policy: RetryAfterPolicy = {
  maxRetries: 3,
  defaultWaitMs: 1_000,
  maxWaitMs: 10_000,
  sleep: async (ms) => {
    waits.push(ms);
  },
};

function kubeConfig(): RetryingKubeConfig {
  const kc = new RetryingKubeConfig(policy);
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const busy = (retryAfter?: string): Answer => ({
  status: 429,
  ...(retryAfter ? { retryAfter } : {}),
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'storage is (re)initializing', reason: 'TooManyRequests', code: 429 },
});
const nodeList: Answer = { status: 200, body: { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] } };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    const a = answers.shift() ?? { status: 500, body: { message: 'no answer scripted' } };
    res.writeHead(a.status, { 'content-type': 'application/json', ...(a.retryAfter ? { 'retry-after': a.retryAfter } : {}) });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  answers = [];
  requests = [];
  waits.length = 0;
});

test('a list answered "storage is (re)initializing" twice is sent again after each Retry-After and succeeds', async () => {
  answers = [busy('1'), busy('2'), nodeList];
  const list = await kubeConfig().makeApiClient(CoreV1Api).listNode();
  expect(list.metadata?.resourceVersion).toBe('7');
  expect(requests).toEqual(['GET /api/v1/nodes', 'GET /api/v1/nodes', 'GET /api/v1/nodes']);
  expect(waits).toEqual([1_000, 2_000]);
});

test('a 429 without Retry-After waits the default; a Retry-After beyond the cap waits the cap', async () => {
  answers = [busy(), busy('600'), nodeList];
  await kubeConfig().makeApiClient(CoreV1Api).listNode();
  expect(waits).toEqual([1_000, 10_000]);
});

test('a 503 with Retry-After is retried; a 500 without it is the answer', async () => {
  answers = [{ status: 503, retryAfter: '1', body: { message: 'busy' } }, nodeList];
  await kubeConfig().makeApiClient(CoreV1Api).listNode();
  expect(requests).toHaveLength(2);

  requests = [];
  answers = [{ status: 500, body: { kind: 'Status', message: 'internal error', code: 500 } }, nodeList];
  await expect(kubeConfig().makeApiClient(CoreV1Api).listNode()).rejects.toMatchObject({ code: 500 });
  expect(requests).toHaveLength(1);
});

test('after maxRetries the 429 is the answer', async () => {
  answers = [busy('1'), busy('1'), busy('1'), busy('1'), nodeList];
  await expect(kubeConfig().makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' }))
    .rejects.toMatchObject({ code: 429 });
  expect(requests).toHaveLength(4);
});

test('an eviction answered 429 (a PodDisruptionBudget says no) is not retried: it is the caller\'s answer', async () => {
  answers = [{ status: 429, retryAfter: '10', body: { kind: 'Status', message: 'Cannot evict pod as it would violate the pod\'s disruption budget.', code: 429 } }];
  await expect(kubeConfig().makeApiClient(CoreV1Api).createNamespacedPodEviction({ name: 'web-1', namespace: 'default', body: { metadata: { name: 'web-1', namespace: 'default' } } }))
    .rejects.toMatchObject({ code: 429 });
  expect(requests).toEqual(['POST /api/v1/namespaces/default/pods/web-1/eviction']);
  expect(waits).toEqual([]);
});

test('every HTTPS request shares one keep-alive agent until the TLS material changes', async () => {
  const { RequestContext, HttpMethod } = await import('@kubernetes/client-node');
  const { Agent } = await import('node:https');
  const kc = new RetryingKubeConfig();
  const load = (cert: string) =>
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from('ca').toString('base64'), skipTLSVerify: false }],
      users: [{ name: 'u', certData: Buffer.from(cert).toString('base64'), keyData: Buffer.from('key').toString('base64') }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  const agentOf = async () => {
    const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/nodes', HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    return ctx.getAgent();
  };
  load('cert-1');
  const first = await agentOf();
  expect(first).toBeInstanceOf(Agent);
  expect((first as InstanceType<typeof Agent>).options.keepAlive).toBe(true);
  expect(await agentOf()).toBe(first); // not a new agent (and handshake) per request
  load('cert-2'); // a rotated client certificate
  const rotated = await agentOf();
  expect(rotated).not.toBe(first);
  expect(await agentOf()).toBe(rotated);
});
