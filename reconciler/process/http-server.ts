// The process's HTTP endpoint (node:http): /metrics for Prometheus, /healthz for the
// liveness probe and /readyz for the readiness probe. Read-only, GET and HEAD only.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { HealthChecks } from './health.ts';

export interface ProcessHttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly liveness: HealthChecks;
  readonly readiness: HealthChecks;
  readonly onError: (err: Error) => void;
}

export class ProcessHttpServer {
  private readonly server: Server;

  constructor(private readonly options: ProcessHttpServerOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.onError(err instanceof Error ? err : new Error(String(err)));
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
    });
    // Probes and scrapes are short; do not let idle connections hold shutdown up.
    this.server.keepAliveTimeout = 5_000;
    this.server.requestTimeout = 10_000;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        this.server.on('error', this.options.onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/metrics': {
        const body = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case '/healthz':
      case '/livez':
        return this.health(req, res, url, this.options.liveness);
      case '/readyz':
        return this.health(req, res, url, this.options.readiness);
      default:
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found: try /metrics, /healthz or /readyz\n');
    }
  }

  private health(req: IncomingMessage, res: ServerResponse, url: URL, checks: HealthChecks): void {
    const report = checks.evaluate();
    const body = HealthChecks.format(checks.kind, report, url.searchParams.has('verbose') || !report.ok);
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
