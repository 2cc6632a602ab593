// The production adapters, built from the process configuration: the Kubernetes API
// (informers over @kubernetes/client-node), EC2 (@aws-sdk/client-ec2) and the policy
// repository (simple-git). Each is started and stopped by the process (main.ts).

import { readFileSync } from 'node:fs';
import { VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { AwsCloudProvider } from '../adapters/aws/index.ts';
import { SqsEventQueue } from '../adapters/aws/sqs.ts';
import { sdkPriceListApi } from '../adapters/aws/price-list.ts';
import type { PriceListApi } from '../../core/catalog/price-list.ts';
import type { EventQueue } from '../ports/events.ts';
import { KubernetesCluster, loadKubeConfig } from '../adapters/kubernetes/index.ts';
import type { Logger } from '../observability/log.ts';
import type { ReconcilerMetrics } from '../observability/metrics.ts';
import type { Clock } from '../ports/clock.ts';
import { UnavailableOfferings } from '../cache/unavailable-offerings.ts';
import type { ReconcilerProcessConfig } from './config.ts';
import { createIntentSource, type RunnableIntentSource } from './intent-source.ts';

export interface ProductionAdapters {
  readonly kubeConfig: KubeConfig;
  readonly cluster: KubernetesCluster;
  readonly cloud: AwsCloudProvider;
  readonly intent: RunnableIntentSource;
  /** Shared by the CloudProvider (which marks short offerings) and the reconciler's catalog. */
  readonly unavailable: UnavailableOfferings;
  readonly kubernetesVersion: string | undefined;
}

export interface AdapterDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
}

/** The cluster CA nodes trust, base64 PEM: configured, else the kubeconfig's (in-cluster: ca.crt). */
function certificateAuthorityOf(kubeConfig: KubeConfig, configured: string | undefined): string {
  if (configured) return configured;
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster?.caData) return cluster.caData;
  if (cluster?.caFile) return readFileSync(cluster.caFile).toString('base64');
  throw new Error('the cluster CA is unknown: the kubeconfig has none; set --cluster-ca-bundle (env JOINERY_CLUSTER_CA_BUNDLE)');
}

/** "1.33" from the API server's /version (EKS reports minor "33+"). */
async function serverMinorVersion(kubeConfig: KubeConfig, logger: Logger): Promise<string | undefined> {
  try {
    const info = await kubeConfig.makeApiClient(VersionApi).getCode();
    return `${info.major.replace(/\D/g, '')}.${info.minor.replace(/\D/g, '')}`;
  } catch (err) {
    logger.warn('could not read the API server version; AMI aliases resolve without it', {
      error: err instanceof Error ? err.message : String(err),
      fix: 'set --kubernetes-version (env JOINERY_KUBERNETES_VERSION)',
    });
    return undefined;
  }
}

/** The AWS Price List API the on-demand prices are refreshed from, as in Karpenter: asked unless --isolated-vpc. */
async function priceListFor(config: ReconcilerProcessConfig): Promise<PriceListApi | undefined> {
  if (config.isolatedVpc) return undefined;
  return sdkPriceListApi(config.region, config.pricingEndpoint ? { endpoint: config.pricingEndpoint } : {});
}

export async function createProductionAdapters(config: ReconcilerProcessConfig, deps: AdapterDeps): Promise<ProductionAdapters> {
  const { clock, logger, metrics } = deps;
  const kubeConfig = loadKubeConfig(config.kubeconfig ? { kubeconfigPath: config.kubeconfig } : {});
  const kubernetesVersion = config.kubernetesVersion ?? (await serverMinorVersion(kubeConfig, logger));
  const unavailable = new UnavailableOfferings(clock);
  const cluster = new KubernetesCluster({ kubeConfig, clock, logger: logger.child('kubernetes') });
  const priceList = await priceListFor(config);
  const cloud = new AwsCloudProvider({
    clusterName: config.clusterName,
    region: config.region,
    ...(config.ec2Endpoint ? { endpoint: config.ec2Endpoint } : {}),
    ...(config.iamEndpoint ? { iamEndpoint: config.iamEndpoint } : {}),
    ...(config.ssmEndpoint ? { ssmEndpoint: config.ssmEndpoint } : {}),
    bootstrap: {
      name: config.clusterName,
      endpoint: config.bootstrap.endpoint,
      certificateAuthority: certificateAuthorityOf(kubeConfig, config.bootstrap.certificateAuthority),
      ...(config.bootstrap.serviceCidr ? { serviceCidr: config.bootstrap.serviceCidr } : {}),
      ...(config.bootstrap.dnsClusterIP ? { dnsClusterIP: config.bootstrap.dnsClusterIP } : {}),
    },
    ...(kubernetesVersion ? { kubernetesVersion } : {}),
    ...(priceList ? { priceList } : {}),
    unavailableOfferings: unavailable,
    clock,
    logger: logger.child('aws'),
    metrics,
  });
  const intent = createIntentSource(config, { clock, logger: logger.child('intent'), kubeConfig, registry: metrics.registry });
  return { kubeConfig, cluster, cloud, intent, unavailable, kubernetesVersion };
}

/** The interruption queue of the configuration (a fresh one per leadership: close() ends it), or none. */
export function createEventQueue(config: ReconcilerProcessConfig, logger: Logger): EventQueue | undefined {
  if (!config.interruptionQueue) return undefined;
  return new SqsEventQueue({
    queueName: config.interruptionQueue,
    region: config.region,
    ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
    logger: logger.child('sqs'),
  });
}
