// The composition root of the controllers (Karpenter's controllers.go): assembles the
// production controllers over whatever adapters are given (the Kubernetes API and EC2
// in production, the simulator in `joinery simulate` and the tests), one controller
// manager, one injected metrics registry and log sink. It sits above controllers/ and
// runtime/ so that nothing a controller imports can reach back to the wiring.

import { NodeOverlayStatusController } from './controllers/nodeoverlay/controller.ts';
import { Registry } from 'prom-client';
import { DisruptionController } from './controllers/disruption/controller.ts';
import { GarbageCollectionController } from './controllers/gc/controller.ts';
import { HashController } from './controllers/hash/controller.ts';
import { NodePoolTerminationController } from './controllers/nodepool-termination/controller.ts';
import { InterruptionController } from './controllers/interruption/controller.ts';
import { NodeRepairController } from './controllers/repair/controller.ts';
import { PodDeletionCostController } from './controllers/deletion-cost/controller.ts';
import { LifecycleController } from './controllers/lifecycle/controller.ts';
import { NodeClassStatusController } from './controllers/nodeclass/controller.ts';
import { ProvisioningController } from './controllers/provisioning/controller.ts';
import { StatusController } from './controllers/status/controller.ts';
import { StaticController } from './controllers/static/controller.ts';
import { TerminationController } from './controllers/termination/controller.ts';
import { DecisionLog } from './observability/decisions.ts';
import { StructuredLogger, type LogLevel, type LogSink } from './observability/log.ts';
import { ReconcilerMetrics } from './observability/metrics.ts';
import type { Clock } from './ports/clock.ts';
import type { CloudProvider } from './ports/cloud.ts';
import type { Cluster } from './ports/cluster.ts';
import type { IntentSource } from './ports/intent.ts';
import type { EventQueue } from './ports/events.ts';
import { InstanceTypeCatalog } from './cache/instance-types.ts';
import { UnavailableOfferings } from './cache/unavailable-offerings.ts';
import { DEFAULT_OPTIONS, type ControllerContext, type ReconcilerOptions } from './runtime/context.ts';
import { logIntentEvents } from './runtime/intent-log.ts';
import { ControllerManager } from './runtime/manager.ts';
import { meteredCloud } from './runtime/metered-cloud.ts';
import { ClaimsCreatedHere, recordingClaimCreation } from './runtime/claims-created-here.ts';
import { KarpenterMetricsController } from './controllers/karpenter-metrics/controller.ts';
import type { SimulationStats } from './controllers/disruption/scheduling-simulation.ts';

export interface ReconcilerDeps {
  readonly clock: Clock;
  readonly cluster: Cluster;
  readonly cloud: CloudProvider;
  readonly intent: IntentSource;
  readonly logSink: LogSink;
  readonly logLevel?: LogLevel;
  /** Defaults to a fresh registry (never prom-client's global one). */
  readonly registry?: Registry;
  /** Metrics already registered in `registry` (the process shares them with its adapters). */
  readonly metrics?: ReconcilerMetrics;
  /** Offerings marked short, shared with a CloudProvider that marks them too (the AWS adapter). */
  readonly unavailable?: UnavailableOfferings;
  readonly options?: Partial<ReconcilerOptions>;
  /** Jitter for retries (launch throttling); defaults to Math.random. */
  readonly random?: () => number;
  /** The interruption queue; without one, interruption events are not handled. */
  readonly events?: EventQueue;
}

export interface Reconciler {
  readonly manager: ControllerManager;
  readonly context: ControllerContext;
  /** How many scheduling simulations disruption ran (bench:consolidation reports it). */
  readonly disruptionSimulations: Readonly<SimulationStats>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const options: ReconcilerOptions = { ...DEFAULT_OPTIONS, ...deps.options, batchWindow: { ...DEFAULT_OPTIONS.batchWindow, ...deps.options?.batchWindow } };
  const registry = deps.registry ?? new Registry();
  const metrics = deps.metrics ?? new ReconcilerMetrics(registry);
  const logger = new StructuredLogger(deps.clock, deps.logSink, deps.logLevel ?? 'info', 'joinery');
  const decisions = new DecisionLog(logger.child('decision'), metrics, () => deps.clock.now());
  const unavailable = deps.unavailable ?? new UnavailableOfferings(deps.clock);
  const catalog = new InstanceTypeCatalog(deps.clock, meteredCloud(deps.cloud, metrics.karpenter, 'instancetype'), unavailable);
  const claimsCreatedHere = new ClaimsCreatedHere(deps.clock);
  const context: ControllerContext = {
    clock: deps.clock,
    cluster: recordingClaimCreation(deps.cluster, claimsCreatedHere),
    claimsCreatedHere,
    cloud: deps.cloud,
    intent: deps.intent,
    logger,
    metrics,
    decisions,
    catalog,
    unavailable,
    options,
    ...(deps.events ? { events: deps.events } : {}),
  };
  // Each controller calls the cloud through its own meter (Karpenter's cloud provider metrics, by controller).
  const forController = (name: string): ControllerContext => ({ ...context, cloud: meteredCloud(deps.cloud, metrics.karpenter, name) });
  const disruption = new DisruptionController(forController('disruption'));
  const manager = new ControllerManager({ clock: deps.clock, cluster: deps.cluster, intent: deps.intent, logger, metrics });
  manager.register(
    new ProvisioningController(forController('provisioning')),
    new StaticController(forController('static')),
    new NodeOverlayStatusController(context),
    new LifecycleController({ ...forController('lifecycle'), random: deps.random ?? Math.random }),
    disruption,
    new TerminationController(forController('termination')),
    new GarbageCollectionController(forController('gc')),
    new HashController(context),
    new NodePoolTerminationController(context),
    new StatusController(context),
    new NodeClassStatusController(forController('nodeclass-status')),
    new KarpenterMetricsController(context),
  );
  if (deps.events) manager.register(new InterruptionController({ ...context, events: deps.events }));
  if (options.nodeRepair) manager.register(new NodeRepairController(context));
  if (options.podDeletionCostManagement) manager.register(new PodDeletionCostController(context));
  let unsubscribe: (() => void) | undefined;
  return {
    manager,
    context,
    disruptionSimulations: disruption.simulations,
    start: async () => {
      unsubscribe = logIntentEvents(deps.intent, decisions);
      await manager.start();
    },
    stop: async () => {
      unsubscribe?.();
      deps.events?.close();
      await manager.stop();
    },
  };
}
