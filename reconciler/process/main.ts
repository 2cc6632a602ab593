// The reconciler process: the composition root of production.
//
//   start     HTTP (/metrics, /healthz, /readyz) first, so probes answer from the start;
//             then the adapters: informers, the policy repository, EC2.
//   standby   every replica keeps its caches warm and its intent current, and competes
//             for the Lease; readiness = intent loaded + informers synced + leadership known.
//   leading   the elected replica runs the controllers, through ports fenced by its
//             leadership: once it cannot renew before the deadline, every write is refused
//             and the process exits (Kubernetes restarts it as a fresh candidate).
//   SIGTERM   stop taking work; let in-flight launches finish for up to the grace period,
//             else abandon them (each launch's NodeClaim and its client token let the next
//             leader resume it without a second instance); release the Lease so a standby
//             takes over at once; stop watches; close the server; exit 0.

import { redactUrl } from '../../core/redact-url.ts';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { jsonLineSink, StructuredLogger, type LogSink } from '../observability/log.ts';
import { ReconcilerMetrics } from '../observability/metrics.ts';
import type { Clock } from '../ports/clock.ts';
import { NotFoundError } from '../ports/cluster.ts';
import { createReconciler, type Reconciler } from '../reconciler.ts';
import { SystemClock } from '../runtime/system-clock.ts';
import { createEventQueue, createProductionAdapters, type ProductionAdapters } from './adapters.ts';
import type { ReconcilerProcessConfig } from './config.ts';
import { FencedCloudProvider, FencedClusterPort } from './fencing.ts';
import { HealthChecks } from './health.ts';
import { ProcessHttpServer } from './http-server.ts';
import { ThreadedLeaderElection } from './leader-thread.ts';
import { ProcessMetrics } from './process-metrics.ts';

export interface ProcessOptions {
  readonly version: string;
  /** Where JSON log lines go (stdout in production). */
  readonly logSink?: LogSink;
  readonly clock?: Clock;
  /** Called once the HTTP server listens (tests read the port from it). */
  readonly onListening?: (address: AddressInfo) => void;
  /** Install SIGTERM/SIGINT handlers (default true). */
  readonly handleSignals?: boolean;
}

export interface ReconcilerProcess {
  /** Resolves with the exit code once the process has shut down. */
  readonly done: Promise<number>;
  /** Starts a graceful shutdown (idempotent). */
  shutdown(reason: string, exitCode?: number): Promise<number>;
}

/** Exit code after leadership was lost: the Pod restarts and competes again. */
export const EXIT_LEADERSHIP_LOST = 3;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves true when `promise` settled within `ms`, false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

export function startReconcilerProcess(config: ReconcilerProcessConfig, options: ProcessOptions): ReconcilerProcess {
  const clock = options.clock ?? new SystemClock();
  const sink = options.logSink ?? jsonLineSink(process.stdout);
  const root = new StructuredLogger(clock, sink, config.logLevel, 'joinery');
  const log = root.child('process');
  const registry = new Registry();
  const metrics = new ReconcilerMetrics(registry);
  const processMetrics = new ProcessMetrics(registry, options.version);

  let adapters: ProductionAdapters | undefined;
  let elector: ThreadedLeaderElection | undefined;
  let reconciler: Reconciler | undefined;
  let informersSynced = false;
  let shuttingDown = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let shutdownPromise: Promise<number> | undefined;

  const isLeader = (): boolean => (config.leaderElection.enabled ? (elector?.isLeader() ?? false) : !shuttingDown);

  // --- health
  const liveness = new HealthChecks('healthz')
    .add('ping', () => undefined)
    .add('leader-election', () => {
      // The renew deadline should have stopped a leader long before this; if it has not,
      // the process is wedged and a restart is the fix.
      const since = elector?.msSinceRenewal();
      const limit = config.leaderElection.leaseDurationMs + 20_000;
      return since !== undefined && since > limit ? `leading without a renewal for ${Math.round(since / 1000)}s` : undefined;
    });
  const readiness = new HealthChecks('readyz')
    .add('shutdown', () => (shuttingDown ? 'shutting down' : undefined))
    .add('informers-synced', () => (informersSynced ? undefined : 'the caches of pods, nodes, NodeClaims, DaemonSets, PDBs and NodePools have not listed yet'))
    .add('intent-loaded', () => {
      if (!adapters) return 'starting';
      const current = adapters.intent.current();
      if (current) {
        // Started while the policy repository was unreachable: ready, on the last accepted commit.
        const fromClone = (adapters.intent as { servingFromClone?: string }).servingFromClone;
        return fromClone ? { note: `serving the last accepted commit ${fromClone} from the local clone: the policy repository could not be fetched since the start (see the log)` } : undefined;
      }
      const rejection = adapters.intent.lastRejection();
      return rejection
        ? `commit ${rejection.commit} was rejected (${rejection.problems.length} problem(s), first: ${rejection.problems[0]?.file} ${rejection.problems[0]?.field}: ${rejection.problems[0]?.message}) and no earlier commit was accepted`
        : 'no policy commit accepted yet';
    })
    .add('leader-election', () => {
      if (!config.leaderElection.enabled) return undefined;
      return elector?.leadershipKnown() ? undefined : 'the leader Lease has not been read yet';
    });
  processMetrics.reportReadiness(() => readiness.evaluate().ok);

  const server = new ProcessHttpServer({
    host: config.listen.host,
    port: config.listen.port,
    registry,
    liveness,
    readiness,
    onError: (err) => log.error('HTTP server error', { error: err.message }),
  });

  // --- leading
  const startActing = async (): Promise<void> => {
    if (!adapters || reconciler || shuttingDown) return;
    reconciler = createReconciler({
      clock,
      cluster: new FencedClusterPort(adapters.cluster, isLeader, (operation, err) => {
        const code = (err as { code?: unknown }).code;
        const label = err instanceof NotFoundError ? '404' : typeof code === 'number' ? String(code) : 'none';
        processMetrics.kubernetesApiErrors.inc({ operation, code: label });
      }),
      cloud: new FencedCloudProvider(adapters.cloud, isLeader),
      intent: adapters.intent,
      logSink: sink,
      logLevel: config.logLevel,
      registry,
      metrics,
      unavailable: adapters.unavailable,
      events: createEventQueue(config, root),
      options: {
        clusterName: config.clusterName,
        batchWindow: { idleMs: config.batchIdleMs, maxMs: config.batchMaxMs },
        registrationTimeoutMs: config.registrationTimeoutMs,
        spotToSpotConsolidation: config.spotToSpotConsolidation,
        interruptionActOnRebalance: config.interruptionActOnRebalance,
        nodeRepair: config.featureGates.nodeRepair,
        podDeletionCostManagement: config.featureGates.podDeletionCostManagement,
        minValuesPolicy: config.minValuesPolicy,
        sizeForArrivingDemand: config.sizeForArrivingDemand,
        consolidationRampReplacementMs: config.consolidationRampReplacementMs,
      },
    });
    log.info('starting the controllers');
    await reconciler.start();
    processMetrics.leader.set(1);
  };

  const onLeadershipLost = (): void => {
    processMetrics.leader.set(0);
    processMetrics.leaderTransitions.inc({ event: 'lost' });
    // Writes are already fenced; exit so a fresh process competes again with clean state.
    void shutdown('leadership lost', EXIT_LEADERSHIP_LOST);
  };

  // --- shutdown
  async function shutdown(reason: string, exitCode = 0): Promise<number> {
    if (shutdownPromise) return shutdownPromise;
    shuttingDown = true;
    shutdownPromise = (async () => {
      log.info('shutting down', { reason, gracePeriodMs: config.shutdownGracePeriodMs });
      // 1. No new work; in-flight reconciles (launches) may finish within the grace period.
      //    The Lease keeps being renewed meanwhile, so they finish as the leader.
      if (reconciler) {
        const finished = await within(reconciler.stop(), config.shutdownGracePeriodMs);
        if (!finished) {
          processMetrics.abandonedOnShutdown.inc();
          log.warn('in-flight work outlived the grace period and is abandoned; the next leader resumes it from its NodeClaims', {
            gracePeriodMs: config.shutdownGracePeriodMs,
          });
        }
      }
      // 2. Step down: the fence closes, then the Lease is emptied for a standby.
      if (elector) {
        const wasLeader = elector.isLeader();
        await elector.release(config.leaderElection.renewDeadlineMs);
        if (wasLeader) processMetrics.leaderTransitions.inc({ event: 'released' });
      }
      processMetrics.leader.set(0);
      // 3. Watches, the repository poller, the server.
      await Promise.allSettled([adapters?.cluster.stop(), adapters?.intent.stop()]);
      await server.close();
      log.info('stopped', { exitCode });
      return exitCode;
    })();
    const code = await shutdownPromise;
    resolveDone(code);
    return code;
  }

  // --- start
  const start = async (): Promise<void> => {
    const address = await server.listen();
    log.info('serving /metrics, /healthz and /readyz', { address: `${address.address}:${address.port}` });
    options.onListening?.(address);

    adapters = await createProductionAdapters(config, { clock, logger: root, metrics });
    log.info('configured', {
      clusterName: config.clusterName,
      region: config.region,
      ec2Endpoint: config.ec2Endpoint === undefined ? undefined : redactUrl(config.ec2Endpoint),
      iamEndpoint: config.iamEndpoint === undefined ? undefined : redactUrl(config.iamEndpoint),
      intent: config.git ? { source: 'git', url: redactUrl(config.git.url), branch: config.git.branch, path: config.git.path } : { source: 'cluster' },
      kubernetesVersion: adapters.kubernetesVersion,
      leaderElection: config.leaderElection.enabled ? `${config.leaderElection.namespace}/${config.leaderElection.leaseName} as ${config.leaderElection.identity}` : 'disabled',
    });
    if (shuttingDown) return;

    adapters.cluster.waitForSync().then(
      () => {
        informersSynced = true;
        log.info('informers synced');
      },
      (err: unknown) => log.error('informers failed to start', { error: message(err) }),
    );
    // Every replica exports the intent it holds (standbys too, and a new leader whose intent
    // was accepted before its controllers started): the gauges are idempotent.
    const intentSource = adapters.intent;
    const cloud = adapters.cloud;
    const publishIntent = (): void => {
      const current = intentSource.current();
      if (!current) return;
      metrics.intentInfo.reset();
      metrics.intentInfo.set({ commit: current.commit }, 1);
      metrics.intentAcceptedAtSeconds.set(current.acceptedAt / 1000);
      // Standbys too, before they lead: the catalog (instance types, prices, subnets, AMIs per
      // EC2NodeClass) is read now, so a replica that wins the Lease solves its first batch
      // without waiting for EC2. Reads only; a failure is left to the batch that needs it.
      const warmStarted = Date.now();
      cloud.warm(current.nodeClasses).then(
        () => log.info('instance catalog read ahead of the first batch', { nodeClasses: current.nodeClasses.length, ms: Date.now() - warmStarted }),
        (err: unknown) => log.debug('could not read the instance catalog ahead of the first batch', { error: message(err) }),
      );
    };
    intentSource.subscribe((event) => {
      if (event.type === 'accepted') publishIntent();
    });
    intentSource.start().then(publishIntent, (err: unknown) => log.error('the intent source failed to start', { error: message(err) }));

    if (!config.leaderElection.enabled) {
      log.warn('leader election is disabled: run exactly one replica');
      await startActing();
      return;
    }
    // On a thread of its own: renewals never wait behind a long solve on this one.
    elector = new ThreadedLeaderElection(
      { election: config.leaderElection, kubeconfigPath: config.kubeconfig, logLevel: config.logLevel },
      {
        onStartedLeading: () => {
          processMetrics.leaderTransitions.inc({ event: 'acquired' });
          startActing().catch((err: unknown) => {
            log.error('the controllers failed to start', { error: message(err) });
            void shutdown('controllers failed to start', 1);
          });
        },
        onStoppedLeading: (why) => {
          if (why === 'lost') onLeadershipLost();
        },
        onError: (operation) => processMetrics.leaseErrors.inc({ operation }),
        onThreadFailed: (err) => {
          log.error('the leader election thread failed', { error: err.message });
          void shutdown('leader election thread failed', 1);
        },
      },
    );
  };

  start().catch((err: unknown) => {
    log.error('failed to start', { error: message(err) });
    void shutdown('failed to start', 1);
  });

  if (options.handleSignals ?? true) {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log.warn('second signal: exiting at once', { signal });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      void shutdown(`received ${signal}`, 0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const onFatal = (err: unknown) => {
      log.error('unexpected error; shutting down', { error: message(err), stack: err instanceof Error ? err.stack?.split('\n').slice(0, 6).join(' | ') : undefined });
      void shutdown('unexpected error', 1);
    };
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
  }

  return { done, shutdown };
}


