// A ControllerContext for reading, not acting: the ports a caller already has (the
// live cluster and EC2 for `joinery explain`, the simulator in tests) with a private
// catalog cache and metrics registry, and logs that go nowhere unless a sink is given.
// `explain` gets exactly what the disruption controller gets, so it evaluates the same way.

import { Registry } from 'prom-client';
import { DecisionLog } from '../observability/decisions.ts';
import { nullSink, StructuredLogger, type LogSink } from '../observability/log.ts';
import { ReconcilerMetrics } from '../observability/metrics.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { Cluster } from '../ports/cluster.ts';
import type { IntentSource } from '../ports/intent.ts';
import { DEFAULT_OPTIONS, type ControllerContext, type ReconcilerOptions } from '../runtime/context.ts';
import { InstanceTypeCatalog } from '../cache/instance-types.ts';
import { UnavailableOfferings } from '../cache/unavailable-offerings.ts';

export interface ReadOnlyContextDeps {
  readonly clock: Clock;
  readonly cluster: Cluster;
  readonly cloud: CloudProvider;
  readonly intent: IntentSource;
  /** The reconciler's settings that change what disruption decides (spot-to-spot, limits). */
  readonly options?: Partial<ReconcilerOptions>;
  readonly logSink?: LogSink;
}

export function readOnlyContext(deps: ReadOnlyContextDeps): ControllerContext {
  const logger = new StructuredLogger(deps.clock, deps.logSink ?? nullSink, 'warn', 'joinery-explain');
  const metrics = new ReconcilerMetrics(new Registry());
  const unavailable = new UnavailableOfferings(deps.clock);
  return {
    clock: deps.clock,
    cluster: deps.cluster,
    cloud: deps.cloud,
    intent: deps.intent,
    logger,
    metrics,
    decisions: new DecisionLog(logger.child('decision'), metrics, () => deps.clock.now()),
    catalog: new InstanceTypeCatalog(deps.clock, deps.cloud, unavailable),
    unavailable,
    options: { ...DEFAULT_OPTIONS, ...deps.options, batchWindow: { ...DEFAULT_OPTIONS.batchWindow, ...deps.options?.batchWindow } },
  };
}
