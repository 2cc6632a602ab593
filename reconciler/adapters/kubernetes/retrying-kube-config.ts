// A KubeConfig whose API clients wait and retry when the API server says "not now".
//
// Why: client-go (and so Karpenter) retries a request that the API server answers with 429,
// or with a 5xx carrying a Retry-After header, waiting as the header says, up to 10 times
// (rest.Request's retry with checkWait). The API server answers that way when API Priority
// and Fairness throttles a client and, since ResilientWatchCacheInitialization (beta, on by
// default from Kubernetes 1.31), while a resource's watch cache (re)initializes ("storage is
// (re)initializing", Retry-After: 1), e.g. after its etcd watch was compacted away.
// @kubernetes/client-node does not retry at all, so one busy second of the API server would
// turn into a failed list, a failed patch, a failed reconcile. Every client this KubeConfig
// builds retries the same way client-go does.
//
// Not retried: an eviction (POST .../pods/<name>/eviction) answered 429 means a
// PodDisruptionBudget says no; that answer is the caller's to act on (cluster.ts).
//
// Connections are kept alive and shared: @kubernetes/client-node builds a new HTTPS agent
// for every request, so every list, patch and create paid a TCP and TLS handshake, on the
// API server's CPU as on ours. client-go keeps its connections (HTTP/2). Seeding 1,000
// objects through one keep-alive agent took 4.2 s against 15.3 s (47 connections against
// 1,000) and half the API server's CPU (bench/lib/real-seed.ts, session of 2026-12-07).

import { Agent as HttpsAgent } from 'node:https';
import {
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type HttpLibrary,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

export interface RetryAfterPolicy {
  /** Attempts after the first one (client-go: 10). */
  readonly maxRetries: number;
  /** Wait when a 429 carries no usable Retry-After. */
  readonly defaultWaitMs: number;
  /** Upper bound on one wait, whatever the header says. */
  readonly maxWaitMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const CLIENT_GO_RETRY_POLICY: RetryAfterPolicy = {
  maxRetries: 10,
  defaultWaitMs: 1_000,
  maxWaitMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const EVICTION_PATH = /\/pods\/[^/]+\/eviction(\?|$)/;

/**
 * How long to wait before sending the request again, or undefined when the answer stands:
 * 429 always (the request was not processed), 5xx only with a Retry-After header (the server
 * asks for it), never a PDB's answer to an eviction.
 */
export function retryWaitMs(request: RequestContext, response: ResponseContext, policy: Pick<RetryAfterPolicy, 'defaultWaitMs' | 'maxWaitMs'>): number | undefined {
  const status = response.httpStatusCode;
  const header = response.headers['retry-after'];
  const seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
  if (status === 429) {
    if (request.getHttpMethod().toString() === 'POST' && EVICTION_PATH.test(request.getUrl())) return undefined;
    return Math.min(policy.maxWaitMs, seconds !== undefined && seconds > 0 ? seconds * 1000 : policy.defaultWaitMs);
  }
  if (status >= 500 && status <= 599 && seconds !== undefined) return Math.min(policy.maxWaitMs, Math.max(seconds * 1000, policy.defaultWaitMs));
  return undefined;
}

/** An HTTP library that sends through `inner` and retries as retryWaitMs says. */
export function retryAfterHttpLibrary(inner: HttpLibrary, policy: RetryAfterPolicy = CLIENT_GO_RETRY_POLICY): HttpLibrary {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      for (let attempt = 0; ; attempt += 1) {
        const response = await inner.send(request).toPromise();
        const wait = attempt < policy.maxRetries ? retryWaitMs(request, response, policy) : undefined;
        if (wait === undefined) return response;
        // Read the refused answer to its end so its connection goes back to the pool.
        await response.body.text().catch(() => undefined);
        await policy.sleep(wait);
      }
    },
  });
}

/** TLS material as a comparable string (Buffers by content). */
function material(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(material);
  return v;
}

/** A KubeConfig whose makeApiClient builds clients that retry as client-go does, over kept-alive connections. */
export class RetryingKubeConfig extends KubeConfig {
  /** The agent every HTTPS request of this config's API clients shares, with the TLS options it was made for. */
  private shared: { agent: HttpsAgent; tls: string } | undefined;

  constructor(private readonly policy: RetryAfterPolicy = CLIENT_GO_RETRY_POLICY) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!(made instanceof HttpsAgent)) return; // plain HTTP (a test server): left as made
    const o = made.options;
    // A new agent when the TLS material changes (a rotated client certificate from an exec
    // plugin); compared by content, as the files are read again for every request. The old
    // agent is not destroyed: requests may still be in flight on it.
    const tls = JSON.stringify([o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map(material));
    if (this.shared?.tls !== tls) this.shared = { agent: new HttpsAgent({ ...o, keepAlive: true }), tls };
    context.setAgent(this.shared.agent);
  }

  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    // As KubeConfig.makeApiClient, with the retrying HTTP library in place of the default.
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: retryAfterHttpLibrary(new IsomorphicFetchHttpLibrary(), this.policy),
      }),
    );
  }
}
