// The cloud provider meter: every call is timed under Karpenter's names with the calling
// controller and Karpenter's method name, failures counted by error class and rethrown
// unchanged, and a method the provider lacks (isDrifted on the simulator) stays absent.
import { Registry } from 'prom-client';
import { KarpenterMetrics } from '../../../../reconciler/observability/karpenter-metrics.ts';
import { InstanceNotFoundError, type CloudProvider } from '../../../../reconciler/ports/cloud.ts';
import { meteredCloud } from '../../../../reconciler/runtime/metered-cloud.ts';

function fakeProvider(): CloudProvider {
  return {
    getInstanceTypes: async () => [],
    create: async () => {
      throw new Error('not used');
    },
    delete: async (providerID: string) => {
      throw new InstanceNotFoundError(providerID);
    },
    get: async () => {
      throw new Error('not used');
    },
    list: async () => [],
    listLaunchTemplates: async () => [],
    deleteLaunchTemplate: async () => undefined,
    resolveNodeClass: async () => {
      throw new Error('not used');
    },
  } as unknown as CloudProvider;
}

describe('meteredCloud', () => {
  test('times calls per controller and method, counts errors by class, passes results and errors through', async () => {
    const metrics = new KarpenterMetrics(new Registry());
    const cloud = meteredCloud(fakeProvider(), metrics, 'termination');
    expect(await cloud.list()).toEqual([]);
    expect(await cloud.list()).toEqual([]);
    await expect(cloud.delete('aws:///us-east-1a/i-0')).rejects.toBeInstanceOf(InstanceNotFoundError);

    const durations = (await metrics.cloudProviderDuration.get()).values.filter((v) => v.metricName === 'karpenter_cloudprovider_duration_seconds_count');
    expect(durations.map((v) => [v.labels, v.value])).toEqual([
      [{ controller: 'termination', method: 'List', provider: 'aws' }, 2],
      [{ controller: 'termination', method: 'Delete', provider: 'aws' }, 1],
    ]);
    expect((await metrics.cloudProviderErrors.get()).values.map((v) => [v.labels, v.value])).toEqual([
      [{ controller: 'termination', method: 'Delete', provider: 'aws', error: 'InstanceNotFoundError' }, 1],
    ]);
  });

  test('an optional method the provider does not have is still absent', () => {
    const cloud = meteredCloud(fakeProvider(), new KarpenterMetrics(new Registry()), 'disruption');
    expect(cloud.isDrifted).toBeUndefined();
  });
});
