// A CloudProvider that times every call into Karpenter's cloud provider metrics
// (karpenter_cloudprovider_duration_seconds{controller, method, provider} and
// karpenter_cloudprovider_errors_total{controller, method, provider, error}), as Karpenter's
// metrics decorator does around its cloud provider. One per controller (the `controller`
// label); methods are named as Karpenter's (Create, Delete, Get, List, GetInstanceTypes,
// IsDrifted, ...), errors by their class (InsufficientCapacityError, ThrottledError, ...).

import type { CloudProvider } from '../ports/cloud.ts';
import type { KarpenterMetrics } from '../observability/karpenter-metrics.ts';

export function karpenterMethodName(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.name || err.constructor.name || 'Error';
  return typeof err;
}

export function meteredCloud(cloud: CloudProvider, metrics: KarpenterMetrics, controller: string, provider = 'aws'): CloudProvider {
  return new Proxy(cloud, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const labels = { controller, method: karpenterMethodName(property), provider };
      return (...args: unknown[]) => {
        const end = metrics.cloudProviderDuration.startTimer(labels);
        const failed = (err: unknown): never => {
          end();
          metrics.cloudProviderErrors.inc({ ...labels, error: errorName(err) });
          throw err;
        };
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          return failed(err);
        }
        if (result instanceof Promise) {
          return result.then((v) => {
            end();
            return v;
          }, failed);
        }
        end();
        return result;
      };
    },
  });
}
