// The shape of the shipped EC2 catalog (data/ec2-us-east-1.json): one record per
// instance type, as DescribeInstanceTypes, DescribeInstanceTypeOfferings and the
// public price list describe it. Core never reads it from disk; data/catalog.ts does.

interface RawGpu {
  count: number;
  manufacturer: string;
  name: string;
  memoryMiB: number;
}

interface RawAccelerator {
  count: number;
  name: string;
}

export interface RawInstanceType {
  name: string;
  vcpu: number;
  memoryMiB: number;
  arch: string;
  manufacturer?: string | null;
  gpu: RawGpu | null;
  neuron: RawAccelerator | null;
  maxNetworkInterfaces: number;
  ipv4PerInterface: number;
  /** NetworkInfo.MaximumNetworkCards; absent = 1. */
  maximumNetworkCards?: number;
  /** NetworkInfo.EfaInfo.MaximumEfaInterfaces when EfaSupported; absent or 0 = no EFA. */
  maximumEfaInterfaces?: number;
  networkPerformance?: string | null;
  instanceStorageGB?: number | null;
  bareMetal?: boolean;
  hypervisor?: string | null;
  burstable?: boolean;
  currentGeneration?: boolean;
  usageClasses: string[];
  zones: string[];
  onDemandPricePerHour: number | null;
}

export interface RawCatalog {
  meta?: { region?: string; count?: number; [k: string]: unknown };
  instanceTypes: RawInstanceType[];
}
