// The capacity envelope of a NodePool: what it may launch against the shipped catalog
// (instance types, families, zones, capacity types, smallest and largest node, GPUs) and
// the most it can cost per hour at its limits. The pool is read by the scheduling core
// (nodePoolFromManifest), so the plan and the solver agree on what a pool admits.
import type { NodePool } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { LABEL_INSTANCE_CPU, LABEL_INSTANCE_FAMILY, LABEL_INSTANCE_GPU_COUNT, LABEL_INSTANCE_GPU_NAME, LABEL_INSTANCE_MEMORY } from '../../core/contract/labels.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { nodePoolFromManifest, type NodePoolManifest } from '../../core/scheduling/nodepool.ts';
import { maxSpendAtLimits, type SpendType } from './max-spend.ts';
import type { CapacityEnvelope, NodeSize, PoolEnvelope } from './types.ts';
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

/** The envelope of one pool over `catalog` (the shipped instance types with their offerings). */
function capacityEnvelope(pool: NodePool, catalog: readonly InstanceType[]): CapacityEnvelope {
  let admitted: InstanceType[];
  try {
    admitted = admittedInstanceTypes(pool, catalog);
  } catch (error) {
    return emptyEnvelope((error as Error).message);
  }
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

  const limits: Record<string, number> = {};
  for (const [resource, value] of Object.entries(pool.spec.limits ?? {})) {
    try {
      limits[resource] = parseResourceQuantity(resource, value);
    } catch {
      // An unparsable limit is the compiler's error to report; it bounds nothing here.
    }
  }
  const spendTypes: SpendType[] = admitted.map((t) => ({
    name: t.name,
    price: Math.max(...t.offerings.map((o) => o.price)),
    capacity: { ...t.capacity, nodes: 1 },
  }));
  const spend = maxSpendAtLimits(spendTypes, limits);
  envelope.maxHourlyCostAtLimits = spend.cost === null ? null : Math.round(spend.cost * 100) / 100;
  envelope.bindingLimits = spend.binding;
  return envelope;
}

/** Before and after envelopes of every pool present on either side, by name. */
export function poolEnvelopes(
  base: readonly NodePool[] | undefined,
  head: readonly NodePool[],
  catalog: readonly InstanceType[],
  onlyChanged?: ReadonlySet<string>,
): PoolEnvelope[] {
  const b = new Map((base ?? []).map((p) => [p.metadata.name ?? '', p]));
  const a = new Map(head.map((p) => [p.metadata.name ?? '', p]));
  const names = [...new Set([...b.keys(), ...a.keys()])].sort(byName).filter((n) => !onlyChanged || onlyChanged.has(n));
  return names.map((nodePool) => ({
    nodePool,
    before: b.has(nodePool) ? capacityEnvelope(b.get(nodePool)!, catalog) : undefined,
    after: a.has(nodePool) ? capacityEnvelope(a.get(nodePool)!, catalog) : undefined,
  }));
}
