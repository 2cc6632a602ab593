// Configuration of the AWS CloudProvider: one plain object, defaults for everything but
// the cluster's identity, so the reconciler process (flags, ConfigMap) and tests build it
// the same way. Credentials are never configured here: the SDK's default chain finds them
// (IRSA, EKS Pod Identity, environment, instance profile).

import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../observability/log.ts';
import type { ReconcilerMetrics } from '../../observability/metrics.ts';
import type { UnavailableOfferings } from '../../cache/unavailable-offerings.ts';
import type { BackoffOptions } from './calls.ts';
import type { PriceListApi } from '../../../core/catalog/price-list.ts';
import type { SpotPricing } from './pricing.ts';
import type { ClusterBootstrap } from './userdata.ts';

export interface AwsCloudProviderConfig {
  /** Instances are tagged kubernetes.io/cluster/<clusterName>=owned and listed by that tag. */
  readonly clusterName: string;
  readonly region: string;
  /** EC2 endpoint override: a VPC endpoint, or moto in tests. */
  readonly endpoint?: string;
  /**
   * Use this client instead of building one (to share it, or to add SDK middleware). Build it
   * with `maxAttempts: 1`: retries are the adapter's, which look a launch up before repeating it.
   */
  readonly ec2Client?: EC2Client;
  /** IAM API endpoint override (moto in tests). IAM is global: the client is built for `region` all the same. */
  readonly iamEndpoint?: string;
  /**
   * Whether the catalog of a class checks (and creates) its instance profile, so a class
   * whose role does not exist offers nothing to launch. Default true; false for read-only
   * tools (`joinery explain`), which must create nothing.
   */
  readonly checkInstanceProfiles?: boolean;
  /** Use this IAM client instead of building one (build it with `maxAttempts: 1`, as the EC2 one). */
  readonly iamClient?: IAMClient;
  /** What nodes need to join: the API endpoint, CA bundle, service CIDR and DNS IP. */
  readonly bootstrap: ClusterBootstrap;
  /** SSM endpoint override (a VPC endpoint, or moto in tests); AMI aliases and ssmParameter terms are read from SSM. */
  readonly ssmEndpoint?: string;
  /** Use this SSM client instead of building one (built, like the EC2 one, with `maxAttempts: 1`). */
  readonly ssmClient?: SSMClient;
  /**
   * Kubernetes minor version ("1.33"); AMI aliases (al2023@latest) resolve for it. Without
   * it a class with an alias is not ready (the process asks the API server for it).
   */
  readonly kubernetesVersion?: string;
  /** The on-demand price table (shape of data/ec2-us-east-1.json). Default the shipped one. */
  readonly onDemandPriceTablePath?: string;
  /**
   * The AWS Price List API (price-list.ts's sdkPriceListApi): the region's on-demand prices
   * replace the shipped table every 12 h, as Karpenter's pricing controller does. Absent: the
   * shipped table only (Karpenter's --isolated-vpc).
   */
  readonly priceList?: PriceListApi;
  /** Default: DescribeSpotPriceHistory. */
  readonly spotPricing?: SpotPricing;
  /** DescribeInstanceTypes/Offerings are refetched after this long. Default 6 h. */
  readonly instanceTypesTtlMs?: number;
  /** Spot prices are refetched after this long. Default 5 min. */
  readonly spotPriceTtlMs?: number;
  /** Subnets and security groups are re-resolved after this long. Default 1 min. */
  readonly discoveryTtlMs?: number;
  /** AMIs (and the SSM parameters behind aliases) are re-resolved after this long. Default 5 min. */
  readonly amiTtlMs?: number;
  /** An instance profile found holding its role (or a role found missing) is checked again after this long. Default 5 min. */
  readonly instanceProfileTtlMs?: number;
  readonly backoff?: BackoffOptions;
  /** Offerings a fleet reported short even though it launched: marked here (shared with the catalog). */
  readonly unavailableOfferings?: UnavailableOfferings;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly metrics?: ReconcilerMetrics;
}

export const AWS_DEFAULTS = {
  instanceTypesTtlMs: 6 * 60 * 60_000,
  spotPriceTtlMs: 5 * 60_000,
  discoveryTtlMs: 60_000,
  amiTtlMs: 5 * 60_000,
  instanceProfileTtlMs: 5 * 60_000,
};
