// Runs the production reconciler in the test process: the real controllers (through
// reconciler/reconciler.ts's createReconciler) over the real adapters — KubernetesCluster
// against the test kube-apiserver, AwsCloudProvider against the test EC2 endpoint (moto
// behind the environment's fault proxy), GitIntentSource against a real repository.
// Only what production takes from flags is chosen here: the cluster identity, the EKS
// AMIs behind aliases (the public SSM parameters the environment seeds) and the spot-price
// source (moto has no spot market; see the report in reconciler-provisioning.test.ts).

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { VersionApi } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { AwsCloudProvider, type AwsCloudProviderConfig } from '../../../reconciler/adapters/aws/index.ts';
import { GitIntentSource } from '../../../reconciler/adapters/git/index.ts';
import { KubernetesCluster } from '../../../reconciler/adapters/kubernetes/index.ts';
import { GarbageCollectionController } from '../../../reconciler/controllers/gc/controller.ts';
import { DecisionLog, type DecisionRecord } from '../../../reconciler/observability/decisions.ts';
import { StructuredLogger, type LogRecord } from '../../../reconciler/observability/log.ts';
import { ReconcilerMetrics } from '../../../reconciler/observability/metrics.ts';
import type { IntentSource } from '../../../reconciler/ports/intent.ts';
import type { EventQueue } from '../../../reconciler/ports/events.ts';
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { createReconciler, type Reconciler } from '../../../reconciler/reconciler.ts';
import { SystemClock } from '../../../reconciler/runtime/system-clock.ts';
import { UnavailableOfferings } from '../../../reconciler/cache/unavailable-offerings.ts';
import { ec2ClientFor, iamClientFor, ssmClientFor } from '../../env/clients.ts';
import type { TestEnv } from '../../env/index.ts';

/** Spot prices for moto, which answers 0.00001 for every type: 40% of on-demand. */
export const TEST_SPOT_PRICING = { fractionOfOnDemand: 0.4 } as const;

export interface RunningReconciler {
  readonly reconciler: Reconciler;
  readonly cluster: KubernetesCluster;
  readonly cloud: AwsCloudProvider;
  readonly intent: IntentSource;
  readonly logs: LogRecord[];
  readonly decisions: DecisionRecord[];
  readonly metrics: ReconcilerMetrics;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly env: TestEnv;
  /** A GitIntentSource is built from these unless `intent` is given. */
  readonly repo?: { url: string; cacheDir: string };
  readonly intent?: IntentSource & { start?(): Promise<void>; stop?(): Promise<void> };
  readonly options?: Partial<ReconcilerOptions>;
  readonly ec2Client?: EC2Client;
  readonly aws?: Partial<AwsCloudProviderConfig>;
  /** How long a short offering is avoided (production: 3 min). */
  readonly unavailableTtlMs?: number;
  /** Start even when the intent source has no accepted intent yet. */
  readonly allowNoIntent?: boolean;
  /** Name of the log file in the environment's log dir (kept with JOINERY_TESTENV_KEEP=1). */
  readonly logName: string;
  /** The interruption queue (an SqsEventQueue on moto's SQS in the interruption tests). */
  readonly events?: EventQueue;
}

let kubernetesVersion: string | undefined;

export async function clusterMinorVersion(env: TestEnv): Promise<string> {
  if (!kubernetesVersion) {
    const v = await env.kubeConfig().makeApiClient(VersionApi).getCode();
    kubernetesVersion = `${v.major.replace(/\D/g, '')}.${v.minor.replace(/\D/g, '')}`;
  }
  return kubernetesVersion;
}

/** The AWS adapter as the tests configure it (see the header for what differs from production flags). */
function testCloudProvider(
  env: TestEnv,
  o: { ec2: EC2Client; minor: string; unavailable: UnavailableOfferings; clock: SystemClock; logger: StructuredLogger; metrics: ReconcilerMetrics; aws?: Partial<AwsCloudProviderConfig> },
): AwsCloudProvider {
  return new AwsCloudProvider({
    clusterName: env.clusterName,
    region: env.region,
    ec2Client: o.ec2,
    bootstrap: { name: env.clusterName, endpoint: env.apiServerUrl, certificateAuthority: env.kubeConfig().getCurrentCluster()?.caData ?? '' },
    kubernetesVersion: o.minor,
    // moto serves IAM and SSM on the same endpoint: the node roles the test classes name, and the
    // public SSM parameters AMI aliases resolve through, are seeded there.
    iamClient: iamClientFor(env.ec2Endpoint, env.region, 1),
    ssmClient: ssmClientFor(env.ec2Endpoint, env.region),
    spotPricing: TEST_SPOT_PRICING,
    unavailableOfferings: o.unavailable,
    clock: o.clock,
    logger: o.logger.child('aws'),
    metrics: o.metrics,
    ...o.aws,
  });
}

/**
 * One pass of the production garbage collector over the production adapters, and nothing
 * else (no other controller runs, so nothing is provisioned, disrupted or drained); returns
 * its decisions. For a test that stopped its reconciler and wants what one GC pass leaves.
 */
export async function runGcPass(env: TestEnv, o: { logName: string; gcGraceMs: number }): Promise<DecisionRecord[]> {
  const clock = new SystemClock();
  const logFile = join(env.logDir, `${o.logName}.log`);
  const logger = new StructuredLogger(clock, (r) => appendFileSync(logFile, `${JSON.stringify(r)}\n`), 'debug');
  const metrics = new ReconcilerMetrics(new Registry());
  const minor = await clusterMinorVersion(env);
  const cluster = new KubernetesCluster({ kubeconfigPath: env.kubeconfigPath, clock, logger: logger.child('kubernetes') });
  const cloud = testCloudProvider(env, { ec2: ec2ClientFor(env.ec2Endpoint, env.region, 1), minor, unavailable: new UnavailableOfferings(clock), clock, logger, metrics });
  const decisions = new DecisionLog(logger.child('decision'), metrics, () => clock.now());
  const recorded: DecisionRecord[] = [];
  decisions.subscribe((d) => recorded.push(d));
  try {
    await cluster.waitForSync();
    // No intent is known to this pass, so it judges instances and launch templates and leaves
    // instance profiles alone (the GC deletes a profile only against an accepted intent).
    const intent: IntentSource = { current: () => undefined, lastRejection: () => undefined, subscribe: () => () => undefined, refresh: async () => undefined };
    await new GarbageCollectionController({ clock, cluster, cloud, decisions, logger, intent, options: { gcGraceMs: o.gcGraceMs, gcIntervalMs: 0, clusterName: env.clusterName } }).reconcile();
  } finally {
    await cluster.stop();
  }
  return recorded;
}

export async function startReconciler(o: StartOptions): Promise<RunningReconciler> {
  const { env } = o;
  const clock = new SystemClock();
  const logs: LogRecord[] = [];
  const decisions: DecisionRecord[] = [];
  mkdirSync(env.logDir, { recursive: true });
  const logFile = join(env.logDir, `${o.logName}.log`);
  const sink = (r: LogRecord) => {
    logs.push(r);
    appendFileSync(logFile, `${JSON.stringify(r)}\n`);
  };
  const logger = new StructuredLogger(clock, sink, 'debug');
  const registry = new Registry();
  const metrics = new ReconcilerMetrics(registry);
  const minor = await clusterMinorVersion(env);
  // As in production, the SDK does not retry: the adapter does, and never repeats a launch blindly.
  const ec2 = o.ec2Client ?? ec2ClientFor(env.ec2Endpoint, env.region, 1);

  const unavailable = new UnavailableOfferings(clock, o.unavailableTtlMs);
  const cluster = new KubernetesCluster({ kubeconfigPath: env.kubeconfigPath, clock, logger: logger.child('kubernetes') });
  const cloud = testCloudProvider(env, { ec2, minor, unavailable, clock, logger, metrics, aws: o.aws });
  const intent =
    o.intent ??
    new GitIntentSource({ url: o.repo!.url, cacheDir: o.repo!.cacheDir, intervalMs: 2_000, clock, logger: logger.child('intent') });
  await (intent as { start?(): Promise<void> }).start?.();
  if (!o.allowNoIntent && !intent.current()) {
    const r = intent.lastRejection();
    throw new Error(`the test's policy commit was not accepted${r ? `: ${r.problems.map((p) => `${p.file}: ${p.field}: ${p.message}`).join('; ')}` : ''}`);
  }

  const reconciler = createReconciler({
    clock,
    cluster,
    cloud,
    intent,
    logSink: sink,
    logLevel: 'debug',
    registry,
    metrics,
    unavailable,
    ...(o.events ? { events: o.events } : {}),
    options: { clusterName: env.clusterName, ...o.options },
  });
  reconciler.context.decisions.subscribe((d) => decisions.push(d));
  // As the process does at start-up: the catalogs of the intent's classes, before pods arrive.
  // A class that does not resolve is left out (its pools launch nothing), as in production.
  await Promise.all((intent.current()?.nodeClasses ?? []).map((c) => reconciler.context.catalog.forNodeClass(c).catch(() => undefined)));
  await reconciler.start();
  let stopped = false;
  return {
    reconciler,
    cluster,
    cloud,
    intent,
    logs,
    decisions,
    metrics,
    async stop() {
      if (stopped) return;
      stopped = true;
      await reconciler.stop();
      await (intent as { stop?(): Promise<void> }).stop?.();
      await cluster.stop();
    },
  };
}

/** The last decisions, one per line, for failure messages. */
export function describeDecisions(r: RunningReconciler, n = 30): string {
  return r.decisions
    .slice(-n)
    .map((d) => `  ${d.controller} ${d.action} ${d.reason}: ${d.message}`)
    .join('\n');
}
