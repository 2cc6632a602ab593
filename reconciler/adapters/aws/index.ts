// The AWS CloudProvider: `new AwsCloudProvider(config)` (see config.ts for every setting).
export { AwsCloudProvider, instanceIdOf, registrationTaints } from './provider.ts';
export { AWS_DEFAULTS, type AwsCloudProviderConfig } from './config.ts';
export type { SpotPricing } from './pricing.ts';
export type { ClusterBootstrap } from './userdata.ts';
export { CAPACITY_ERROR_CODES } from './errors.ts';
