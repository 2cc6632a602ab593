// The capacity envelope of a NodePool: what it may launch against the shipped catalog
// (instance types, families, zones, capacity types, smallest and largest node, GPUs) and
// the most it can cost per hour at its limits. The pool is read by the scheduling core
// (nodePoolFromManifest), so the plan and the solver agree on what a pool admits. The
// prices are the ones the reconciler's solver uses: with the intent's NodeOverlays applied
// (core/catalog/overlays.ts, as reconciler/views/scheduling.ts applies them), and the
// envelope says which overlay changed which prices.
import type { CapacityReservationSelectorTerm, EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { applyOverlays, resolveOverlays, type OverlayPool } from '../../core/catalog/overlays.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CPU, LABEL_INSTANCE_FAMILY, LABEL_INSTANCE_GPU_COUNT, LABEL_INSTANCE_GPU_NAME, LABEL_INSTANCE_MEMORY } from '../../core/contract/labels.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { nodePoolFromManifest, type NodePoolManifest } from '../../core/scheduling/nodepool.ts';
import { maxSpendAtLimits, type SpendType } from './max-spend.ts';
import type { CapacityEnvelope, NodeSize, OverlayPriceEffect, PoolEnvelope, ReservedEnvelope } from './types.ts';
import { byName } from './words.ts';

function nodeSize(type: InstanceType): NodeSize {
  return {
    instanceType: type.name,
    vcpu: Number(type.labels[LABEL_INSTANCE_CPU] ?? 0),
    memoryGiB: Math.round((Number(type.labels[LABEL_INSTANCE_MEMORY] ?? 0) / 1024) * 100) / 100,
    gpus: Number(type.labels[LABEL_INSTANCE_GPU_COUNT] ?? 0),
  };
}

function bySize(a: NodeSize, b: NodeSize): number {
  return a.vcpu - b.vcpu || a.memoryGiB - b.memoryGiB || a.gpus - b.gpus || byName(a.instanceType, b.instanceType);
}

function emptyEnvelope(error?: string): CapacityEnvelope {
  const envelope: CapacityEnvelope = {
    instanceTypeCount: 0,
    families: [],
    zones: [],
    capacityTypes: [],
    smallest: undefined,
    largest: undefined,
    gpu: { instanceTypeCount: 0, maxPerNode: 0, names: [] },
    maxHourlyCostAtLimits: 0,
    bindingLimits: [],
  };
  if (error !== undefined) envelope.error = error;
  return envelope;
}

/**
 * The instance types (with only the offerings it allows) a pool may launch. Throws the
 * core's NodePoolError, naming the field, when the pool's requirements are invalid.
 */
export function admittedInstanceTypes(pool: NodePool, catalog: readonly InstanceType[]): InstanceType[] {
  // The generated NodePool type is structurally the manifest the core reads.
  return nodePoolFromManifest(pool as unknown as NodePoolManifest, catalog).instanceTypes.filter((t) => t.offerings.length > 0);
}

function overlayPool(pool: NodePool): OverlayPool {
  const labels = pool.spec.template.metadata?.labels;
  return { name: pool.metadata.name ?? '', ...(labels ? { labels } : {}) };
}

function priceChange(o: NodeOverlay): string {
  return o.spec.price !== undefined ? `price ${o.spec.price}` : `priceAdjustment ${o.spec.priceAdjustment}`;
}

/** The most the pool can cost per hour at its limits over `types` (each at its dearest offering), and the binding limits. */
function spendAtLimits(pool: NodePool, types: readonly InstanceType[]): { cost: number | null; binding: string[] } {
  const limits: Record<string, number> = {};
  for (const [resource, value] of Object.entries(pool.spec.limits ?? {})) {
    try {
      limits[resource] = parseResourceQuantity(resource, value);
    } catch {
      // An unparsable limit is the compiler's error to report; it bounds nothing here.
    }
  }
  const spendTypes: SpendType[] = types.map((t) => ({
    name: t.name,
    price: Math.max(...t.offerings.map((o) => o.price)),
    capacity: { ...t.capacity, nodes: 1 },
  }));
  const spend = maxSpendAtLimits(spendTypes, limits);
  return { cost: spend.cost === null ? null : Math.round(spend.cost * 100) / 100, binding: spend.binding };
}

/**
 * The envelope of one pool over `catalog` (the shipped instance types with their offerings),
 * priced with `overlays` (the intent's NodeOverlays that are applied: valid and conflict-free).
 */
function capacityEnvelope(pool: NodePool, catalog: readonly InstanceType[], overlays: readonly NodeOverlay[] = [], classes: readonly EC2NodeClass[] = []): CapacityEnvelope {
  let admitted: InstanceType[];
  try {
    admitted = admittedInstanceTypes(pool, catalog);
  } catch (error) {
    return emptyEnvelope((error as Error).message);
  }
  const effect = overlays.length > 0 ? applyOverlays(admitted, overlays, overlayPool(pool)) : undefined;
  const envelope = emptyEnvelope();
  envelope.instanceTypeCount = admitted.length;
  envelope.families = [...new Set(admitted.map((t) => t.labels[LABEL_INSTANCE_FAMILY] ?? t.name.split('.')[0]!))].sort(byName);
  envelope.zones = [...new Set(admitted.flatMap((t) => t.offerings.map((o) => o.zone)))].sort(byName);
  envelope.capacityTypes = [...new Set(admitted.flatMap((t) => t.offerings.map((o) => o.capacityType)))].sort(byName);
  const sizes = admitted.map(nodeSize).sort(bySize);
  envelope.smallest = sizes[0];
  envelope.largest = sizes[sizes.length - 1];
  const gpuTypes = admitted.filter((t) => Number(t.labels[LABEL_INSTANCE_GPU_COUNT] ?? 0) > 0);
  envelope.gpu = {
    instanceTypeCount: gpuTypes.length,
    maxPerNode: Math.max(0, ...gpuTypes.map((t) => Number(t.labels[LABEL_INSTANCE_GPU_COUNT]))),
    names: [...new Set(gpuTypes.map((t) => t.labels[LABEL_INSTANCE_GPU_NAME]).filter((n): n is string => n !== undefined))].sort(byName),
  };

  const spend = spendAtLimits(pool, effect?.types ?? admitted);
  envelope.maxHourlyCostAtLimits = spend.cost;
  envelope.bindingLimits = spend.binding;
  if (effect && effect.pricedTypes.size > 0) {
    const overlayByName = new Map(overlays.map((o) => [o.metadata.name ?? '', o]));
    envelope.overlays = [...effect.pricedTypes.entries()]
      .map(([name, types]): OverlayPriceEffect => ({
        nodeOverlay: name,
        change: priceChange(overlayByName.get(name)!),
        offerings: effect.pricedOfferings.get(name) ?? 0,
        instanceTypes: [...types].sort(byName),
      }))
      .sort((a, b) => byName(a.nodeOverlay, b.nodeOverlay));
    envelope.maxHourlyCostWithoutOverlays = spendAtLimits(pool, admitted).cost;
  }
  const reserved = reservedEnvelope(pool, classes);
  if (reserved) {
    envelope.reserved = reserved;
    if (reserved.admitted && !envelope.capacityTypes.includes('reserved')) envelope.capacityTypes = [...envelope.capacityTypes, 'reserved'].sort(byName);
  }
  return envelope;
}

/** A selector term in words. */
function describeTerm(t: CapacityReservationSelectorTerm): string {
  if (t.id) return `id ${t.id}`;
  const tags = Object.entries(t.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  return [tags.length > 0 ? `tags ${tags.join(',')}` : '', t.instanceMatchCriteria ? `${t.instanceMatchCriteria} match` : '', t.ownerID ? `owner ${t.ownerID}` : ''].filter(Boolean).join(' ');
}

/** Does the pool's karpenter.sh/capacity-type requirement admit reserved? (No requirement: on-demand only, as Karpenter defaults it.) */
function admitsReserved(pool: NodePool): boolean {
  const reqs = (pool.spec.template.spec.requirements ?? []).filter((r) => r.key === LABEL_CAPACITY_TYPE);
  if (reqs.length === 0) return false;
  return reqs.every((r) => (r.operator === 'In' ? (r.values ?? []).includes('reserved') : r.operator === 'NotIn' ? !(r.values ?? []).includes('reserved') : r.operator === 'Exists'));
}

/** The reservations the pool's EC2NodeClass selects, if any. */
function reservedEnvelope(pool: NodePool, classes: readonly EC2NodeClass[]): ReservedEnvelope | undefined {
  const name = pool.spec.template.spec.nodeClassRef.name;
  const terms = classes.find((c) => c.metadata.name === name)?.spec?.capacityReservationSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  return { nodeClass: name, terms: terms.map(describeTerm), admitted: admitsReserved(pool) };
}

/** The overlays of an intent that are applied to `pools` (valid, and not in conflict with a heavier or earlier one). */
function activeOverlays(pools: readonly NodePool[], overlays: readonly NodeOverlay[] | undefined, catalog: readonly InstanceType[]): NodeOverlay[] {
  if (!overlays || overlays.length === 0) return [];
  const targets = pools.flatMap((pool) => {
    try {
      return [{ pool: overlayPool(pool), types: admittedInstanceTypes(pool, catalog) }];
    } catch {
      return [];
    }
  });
  return [...resolveOverlays(overlays, targets).active];
}

/**
 * Before and after envelopes of every pool present on either side, by name, each side
 * priced with its own NodeOverlays (`overlays.base`, `overlays.head`).
 */
export function poolEnvelopes(
  base: readonly NodePool[] | undefined,
  head: readonly NodePool[],
  catalog: readonly InstanceType[],
  onlyChanged?: ReadonlySet<string>,
  overlays: { readonly base?: readonly NodeOverlay[]; readonly head?: readonly NodeOverlay[] } = {},
  nodeClasses: { readonly base?: readonly EC2NodeClass[]; readonly head?: readonly EC2NodeClass[] } = {},
): PoolEnvelope[] {
  const b = new Map((base ?? []).map((p) => [p.metadata.name ?? '', p]));
  const a = new Map(head.map((p) => [p.metadata.name ?? '', p]));
  const baseOverlays = activeOverlays(base ?? [], overlays.base, catalog);
  const headOverlays = activeOverlays(head, overlays.head, catalog);
  const names = [...new Set([...b.keys(), ...a.keys()])].sort(byName).filter((n) => !onlyChanged || onlyChanged.has(n));
  return names.map((nodePool) => ({
    nodePool,
    before: b.has(nodePool) ? capacityEnvelope(b.get(nodePool)!, catalog, baseOverlays, nodeClasses.base) : undefined,
    after: a.has(nodePool) ? capacityEnvelope(a.get(nodePool)!, catalog, headOverlays, nodeClasses.head) : undefined,
  }));
}
