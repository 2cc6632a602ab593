// The process's HTTP endpoint: a real node:http server on 127.0.0.1 serving /metrics,
// /healthz and /readyz.
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
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

  test('a healthy check may carry a note, shown with ?verbose (e.g. intent served from the local clone)', () => {
    const checks = new HealthChecks('readyz').add('intent-loaded', () => ({ note: 'serving the last accepted commit abc from the local clone' }));
    const report = checks.evaluate();
    expect(report.ok).toBe(true);
    expect(HealthChecks.format('readyz', report, false)).toBe('ok\n');
    expect(HealthChecks.format('readyz', report, true)).toBe('[+]intent-loaded ok (serving the last accepted commit abc from the local clone)\nreadyz check passed\n');
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
