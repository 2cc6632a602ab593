// The process's HTTP endpoint (a real node:http server on 127.0.0.1) and the fence that
// keeps a replica that is not (or no longer) the leader from changing anything.
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { InMemoryEc2 } from '../../../../reconciler/adapters/in-memory/ec2.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { InstanceNotFoundError } from '../../../../reconciler/ports/cloud.ts';
import { FencedCloudProvider, NotLeaderError } from '../../../../reconciler/process/fencing.ts';
import { HealthChecks } from '../../../../reconciler/process/health.ts';
import { ProcessHttpServer } from '../../../../reconciler/process/http-server.ts';

describe('/metrics, /healthz and /readyz', () => {
  let server: ProcessHttpServer;
  let base: string;
  let synced = false;
  const registry = new Registry();
  new Counter({ name: 'joinery_test_events_total', help: 'test', registers: [registry] }).inc(3);

  beforeAll(async () => {
    server = new ProcessHttpServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      liveness: new HealthChecks('healthz').add('ping', () => undefined),
      readiness: new HealthChecks('readyz')
        .add('informers-synced', () => (synced ? undefined : 'caches not listed yet'))
        .add('intent-loaded', () => undefined),
      onError: () => undefined,
    });
    const address: AddressInfo = await server.listen();
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => server.close());

  test('/metrics is the Prometheus text format of the injected registry', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('joinery_test_events_total 3');
  });

  test('/readyz says 503 and why until every check passes, then 200', async () => {
    synced = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('[-]informers-synced failed: caches not listed yet\n[+]intent-loaded ok\nreadyz check failed\n');
    synced = true;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
    expect(await (await fetch(`${base}/readyz?verbose`)).text()).toBe('[+]informers-synced ok\n[+]intent-loaded ok\nreadyz check passed\n');
  });

  test('/healthz answers ok; other paths 404; writes 405', async () => {
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${base}/debug/pprof`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  test('a check that throws fails its probe instead of crashing the server', async () => {
    const checks = new HealthChecks('healthz').add('broken', () => {
      throw new Error('boom');
    });
    expect(checks.evaluate()).toEqual({ ok: false, results: [{ name: 'broken', failure: 'check threw: boom' }] });
  });
});

describe('the fence on the CloudProvider', () => {
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const ec2 = new InMemoryEc2({ clock, catalog: loadShippedCatalog(), clusterName: 'fence-test', seed: 1 });

  test('a replica that is not the leader cannot launch or terminate; it can still read', async () => {
    let leader = false;
    const fenced = new FencedCloudProvider(ec2, () => leader);
    await expect(fenced.create({} as never)).rejects.toThrow(NotLeaderError);
    await expect(fenced.delete('aws:///us-east-1a/i-0123')).rejects.toThrow(/refused terminate: this replica is not the leader/);
    expect(ec2.calls.create + ec2.calls.delete).toBe(0);
    expect(await fenced.list()).toEqual([]);
    // Leading again: the calls go through to the provider.
    leader = true;
    await expect(fenced.delete('aws:///us-east-1a/i-0123')).rejects.toThrow(InstanceNotFoundError);
    expect(ec2.calls.delete).toBe(1);
  });
});
