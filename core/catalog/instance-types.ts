// Instance types as the scheduler sees them: what a node of the type gives to pods
// (allocatable), the labels it carries, and where and how it can be bought (offerings:
// zone x capacity type x price x availability).

import type { ResourceList } from '../resources/resource-list.ts';
import {
  RESOURCE_AMD_GPU,
  RESOURCE_HABANA_GAUDI,
  RESOURCE_NEURON,
  RESOURCE_NVIDIA_GPU,
} from '../resources/resource-list.ts';
import {
  LABEL_ARCH,
  LABEL_INSTANCE_ACCELERATOR_COUNT,
  LABEL_INSTANCE_ACCELERATOR_MANUFACTURER,
  LABEL_INSTANCE_ACCELERATOR_NAME,
  LABEL_INSTANCE_CATEGORY,
  LABEL_INSTANCE_CPU,
  LABEL_INSTANCE_CPU_MANUFACTURER,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_GENERATION,
  LABEL_INSTANCE_GPU_COUNT,
  LABEL_INSTANCE_GPU_MANUFACTURER,
  LABEL_INSTANCE_GPU_MEMORY,
  LABEL_INSTANCE_GPU_NAME,
  LABEL_INSTANCE_HYPERVISOR,
  LABEL_INSTANCE_LOCAL_NVME,
  LABEL_INSTANCE_MEMORY,
  LABEL_INSTANCE_SIZE,
  LABEL_INSTANCE_TYPE,
  LABEL_OS,
  LABEL_REGION,
  type CapacityType,
} from '../contract/labels.ts';
import { eksNodeResources, type KubeletSettings } from './eks.ts';
import type { RawInstanceType, RawCatalog } from './raw-catalog.ts';


export interface Offering {
  zone: string;
  capacityType: CapacityType;
  /** USD per hour. */
  price: number;
  available: boolean;
  /**
   * A reserved offering's capacity reservation (capacityType 'reserved'): one offering per
   * reservation, priced as already paid for, available while the reservation has room.
   */
  reservation?: { readonly id: string; readonly type: 'default' | 'capacity-block' };
}

export interface InstanceType {
  name: string;
  /** What the kubelet reports as capacity (memory net of the VM overhead). */
  capacity: ResourceList;
  /** Capacity minus kube-reserved, system-reserved and the eviction thresholds; pods = max-pods. */
  allocatable: ResourceList;
  /** Every label a node of this type carries, except zone and capacity type (per offering). */
  labels: Record<string, string>;
  offerings: Offering[];
  /** Network cards and EFA interfaces the type can take (EC2NodeClass networkInterfaces); absent = one card, no EFA. */
  network?: { cards: number; efaInterfaces: number };
}

export type SpotPriceModel = (type: RawInstanceType, zone: string) => number | undefined;

export interface BuildInstanceTypesOptions {
  /** Spot price of a type in a zone; undefined = no spot offering there. Default {@link defaultSpotPrice}. */
  spotPrice?: SpotPriceModel;
  /** Only offer these zones. */
  zones?: string[];
  /** Only these capacity types. Default on-demand and spot. */
  capacityTypes?: CapacityType[];
  kubelet?: KubeletSettings;
  /** Region label; default the catalog's meta.region. */
  region?: string;
}

/** FNV-1a, 32 bits: a stable hash for the seeded spot model. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The default spot-price model (spot prices are live market data and are not in the
 * catalog): a deterministic discount band by instance family and zone. Spot costs
 * between 30% and 60% of on-demand: 0.30 + 0.30 x h, where h in [0, 1) is the FNV-1a
 * hash of "<family>/<zone>" divided by 2^32; rounded to 1e-5 USD. Every type of a
 * family in a zone gets the same discount, as spot markets of a family tend to move
 * together. No spot offering when the type is not sold as spot.
 */
export const defaultSpotPrice: SpotPriceModel = (type, zone) => {
  if (!type.usageClasses.includes('spot') || type.onDemandPricePerHour == null) return undefined;
  const family = type.name.split('.')[0]!;
  const h = fnv1a(`${family}/${zone}`) / 2 ** 32;
  return Math.round(type.onDemandPricePerHour * (0.3 + 0.3 * h) * 1e5) / 1e5;
};

const NAME_SCHEME = /^([a-z]+)(-[0-9]+tb)?([0-9]+)/;

function kebab(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function gpuResource(manufacturer: string): string | undefined {
  const m = manufacturer.toLowerCase();
  if (m === 'nvidia') return RESOURCE_NVIDIA_GPU;
  if (m === 'amd') return RESOURCE_AMD_GPU;
  if (m === 'habana') return RESOURCE_HABANA_GAUDI;
  return undefined;
}

/** The labels Karpenter's AWS provider gives a node of this type. */
function instanceTypeLabels(raw: RawInstanceType, region: string | undefined): Record<string, string> {
  const [family, size] = raw.name.split('.', 2) as [string, string | undefined];
  const labels: Record<string, string> = {
    [LABEL_INSTANCE_TYPE]: raw.name,
    [LABEL_ARCH]: raw.arch,
    [LABEL_OS]: 'linux',
    [LABEL_INSTANCE_FAMILY]: family,
    [LABEL_INSTANCE_CPU]: String(raw.vcpu),
    [LABEL_INSTANCE_MEMORY]: String(raw.memoryMiB),
  };
  if (region) labels[LABEL_REGION] = region;
  if (size) labels[LABEL_INSTANCE_SIZE] = size;
  const m = NAME_SCHEME.exec(family);
  if (m) {
    labels[LABEL_INSTANCE_CATEGORY] = m[1]!;
    labels[LABEL_INSTANCE_GENERATION] = m[3]!;
  }
  if (raw.manufacturer) labels[LABEL_INSTANCE_CPU_MANUFACTURER] = raw.manufacturer.toLowerCase();
  if (raw.hypervisor) labels[LABEL_INSTANCE_HYPERVISOR] = raw.hypervisor;
  if (raw.instanceStorageGB) labels[LABEL_INSTANCE_LOCAL_NVME] = String(raw.instanceStorageGB);
  if (raw.gpu && raw.gpu.count > 0) {
    labels[LABEL_INSTANCE_GPU_COUNT] = String(raw.gpu.count);
    labels[LABEL_INSTANCE_GPU_NAME] = kebab(raw.gpu.name);
    labels[LABEL_INSTANCE_GPU_MANUFACTURER] = raw.gpu.manufacturer.toLowerCase();
    labels[LABEL_INSTANCE_GPU_MEMORY] = String(raw.gpu.memoryMiB);
  }
  if (raw.neuron && raw.neuron.count > 0) {
    labels[LABEL_INSTANCE_ACCELERATOR_COUNT] = String(raw.neuron.count);
    labels[LABEL_INSTANCE_ACCELERATOR_NAME] = kebab(raw.neuron.name);
    labels[LABEL_INSTANCE_ACCELERATOR_MANUFACTURER] = 'aws';
  }
  return labels;
}

/** Extended resources a node of this type advertises (GPUs, Neuron devices). */
function instanceTypeExtendedResources(raw: RawInstanceType): ResourceList {
  const out: ResourceList = {};
  if (raw.gpu && raw.gpu.count > 0) {
    const name = gpuResource(raw.gpu.manufacturer);
    if (name) out[name] = raw.gpu.count;
  }
  if (raw.neuron && raw.neuron.count > 0) out[RESOURCE_NEURON] = raw.neuron.count;
  return out;
}

/**
 * Builds the scheduler's instance types from the raw catalog: EKS allocatable, Karpenter
 * labels, and an offering per zone and capacity type (on-demand at the list price, spot
 * at `options.spotPrice`, default {@link defaultSpotPrice}). Types without a price are
 * skipped. Sorted by name.
 */
export function buildInstanceTypes(raw: RawCatalog, options: BuildInstanceTypesOptions = {}): InstanceType[] {
  const spotPrice = options.spotPrice ?? defaultSpotPrice;
  const zoneFilter = options.zones ? new Set(options.zones) : undefined;
  const capacityTypes = new Set<CapacityType>(options.capacityTypes ?? ['on-demand', 'spot']);
  const region = options.region ?? (typeof raw.meta?.region === 'string' ? raw.meta.region : undefined);
  const out: InstanceType[] = [];
  for (const t of raw.instanceTypes) {
    if (t.onDemandPricePerHour == null) continue;
    const { capacity, allocatable } = eksNodeResources(
      {
        vcpu: t.vcpu,
        memoryMiB: t.memoryMiB,
        enis: t.maxNetworkInterfaces,
        ipv4PerEni: t.ipv4PerInterface,
        instanceStorageGB: t.instanceStorageGB ?? null,
        extended: instanceTypeExtendedResources(t),
      },
      options.kubelet,
    );
    const offerings: Offering[] = [];
    for (const zone of [...t.zones].sort()) {
      if (zoneFilter && !zoneFilter.has(zone)) continue;
      if (capacityTypes.has('on-demand') && t.usageClasses.includes('on-demand')) {
        offerings.push({ zone, capacityType: 'on-demand', price: t.onDemandPricePerHour, available: true });
      }
      if (capacityTypes.has('spot')) {
        const price = spotPrice(t, zone);
        if (price !== undefined) offerings.push({ zone, capacityType: 'spot', price, available: true });
      }
    }
    if (offerings.length === 0) continue;
    const cards = t.maximumNetworkCards ?? 1;
    const efaInterfaces = t.maximumEfaInterfaces ?? 0;
    out.push({ name: t.name, capacity, allocatable, labels: instanceTypeLabels(t, region), offerings, ...(cards > 1 || efaInterfaces > 0 ? { network: { cards, efaInterfaces } } : {}) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
