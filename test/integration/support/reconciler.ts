// Runs the production reconciler in the test process: the real controllers (through
// reconciler/reconciler.ts's createReconciler) over the real adapters — KubernetesCluster
// against the test kube-apiserver, AwsCloudProvider against the test EC2 endpoint (moto
// behind the environment's fault proxy), GitIntentSource against a real repository.
// Only what production takes from flags is chosen here: the cluster identity, the EKS
// AMI owners (the test registers the alias AMIs in its own account) and the spot-price
// source (moto has no spot market; see the report in reconciler-provisioning.test.ts).

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RegisterImageCommand, DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { VersionApi } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { AwsCloudProvider, type AwsCloudProviderConfig } from '../../../reconciler/adapters/aws/index.ts';
import { GitIntentSource } from '../../../reconciler/adapters/git/index.ts';
import { KubernetesCluster } from '../../../reconciler/adapters/kubernetes/index.ts';
import type { DecisionRecord } from '../../../reconciler/observability/decisions.ts';
import { StructuredLogger, type LogRecord } from '../../../reconciler/observability/log.ts';
import { ReconcilerMetrics } from '../../../reconciler/observability/metrics.ts';
import type { IntentSource } from '../../../reconciler/ports/intent.ts';
import type { EventQueue } from '../../../reconciler/ports/events.ts';
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { createReconciler, type Reconciler } from '../../../reconciler/reconciler.ts';
import { SystemClock } from '../../../reconciler/runtime/system-clock.ts';
import { UnavailableOfferings } from '../../../reconciler/cache/unavailable-offerings.ts';
import { ec2ClientFor } from '../../env/clients.ts';
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

/**
 * The EKS-optimized AL2023 AMIs `al2023@latest` resolves to, registered once in the test
 * EC2 under their public names (moto ships none of them).
 */
export async function registerAliasAmis(ec2: EC2Client, minor: string): Promise<void> {
  for (const arch of ['x86_64', 'arm64']) {
    const name = `amazon-eks-node-al2023-${arch}-standard-${minor}-v20261101`;
    const found = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
    if ((found.Images ?? []).length === 0) await ec2.send(new RegisterImageCommand({ Name: name, Architecture: arch === 'arm64' ? 'arm64' : 'x86_64', RootDeviceName: '/dev/xvda' }));
  }
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
  await registerAliasAmis(ec2, minor);

  const unavailable = new UnavailableOfferings(clock, o.unavailableTtlMs);
  const cluster = new KubernetesCluster({ kubeconfigPath: env.kubeconfigPath, clock, logger: logger.child('kubernetes') });
  const cloud = new AwsCloudProvider({
    clusterName: env.clusterName,
    region: env.region,
    ec2Client: ec2,
    bootstrap: { name: env.clusterName, endpoint: env.apiServerUrl, certificateAuthority: env.kubeConfig().getCurrentCluster()?.caData ?? '' },
    kubernetesVersion: minor,
    aliasAmiOwners: ['self'],
    spotPricing: TEST_SPOT_PRICING,
    unavailableOfferings: unavailable,
    clock,
    logger: logger.child('aws'),
    metrics,
    ...o.aws,
  });
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
  await Promise.all((intent.current()?.nodeClasses ?? []).map((c) => reconciler.context.catalog.forNodeClass(c)));
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
