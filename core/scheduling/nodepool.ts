// A Karpenter v1 NodePool as the scheduler uses it: requirements (with the pool's
// template labels and its own nodepool label folded in), taints, limits, weight, and the
// instance types (with offerings) it may launch.

import type { Taint } from '../api/k8s.ts';
import { compatibleOfferings, instanceTypeCompatible } from '../catalog/compatibility.ts';
import type { InstanceType } from '../catalog/instance-types.ts';
import { LABEL_NODEPOOL } from '../contract/labels.ts';
import { parseResourceQuantity } from '../resources/quantity.ts';
import type { ResourceList } from '../resources/resource-list.ts';
import { Requirements, ValueSet, type Requirement, type RequirementOperator } from './requirements.ts';

/** The fields of a karpenter.sh/v1 NodePool the scheduler reads (structural, so generated types fit). */
export interface NodePoolManifest {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    weight?: number;
    limits?: Record<string, string | number>;
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        requirements?: { key: string; operator: string; values?: string[]; minValues?: number }[];
        taints?: Taint[];
        startupTaints?: Taint[];
        nodeClassRef?: { group?: string; kind?: string; name: string };
        expireAfter?: string;
        terminationGracePeriod?: string;
      };
    };
    disruption?: unknown;
  };
}

export interface SchedulingNodePool {
  name: string;
  /** Higher first; ties by name. */
  weight: number;
  /** Requirements every node of the pool satisfies (template labels included). */
  requirements: Requirement[];
  /** Labels every node of the pool carries (template labels and karpenter.sh/nodepool). */
  labels: Record<string, string>;
  taints: Taint[];
  /** Taints removed after startup: pods need not tolerate them. */
  startupTaints: Taint[];
  /** Limits in canonical units (cpu millicores, memory bytes, nodes a count); absent = unlimited. */
  limits: ResourceList;
  /** The types the pool may launch, with their offerings. */
  instanceTypes: InstanceType[];
}

export class NodePoolError extends Error {
  constructor(
    readonly nodePool: string,
    readonly field: string,
    detail: string,
  ) {
    super(`NodePool ${nodePool}: ${field}: ${detail}`);
    this.name = 'NodePoolError';
  }
}

/**
 * The scheduler's view of a NodePool manifest, keeping the instance types (and
 * offerings) its requirements allow. Throws NodePoolError naming the field on bad input.
 */
export function nodePoolFromManifest(nodePool: NodePoolManifest, instanceTypes: readonly InstanceType[]): SchedulingNodePool {
  const name = nodePool.metadata.name;
  if (!name) throw new NodePoolError('(unnamed)', 'metadata.name', 'a NodePool needs a name');
  const tspec = nodePool.spec?.template?.spec;
  if (!tspec) throw new NodePoolError(name, 'spec.template.spec', 'missing; a NodePool needs a template spec');
  const labels: Record<string, string> = { ...(nodePool.spec.template.metadata?.labels ?? {}), [LABEL_NODEPOOL]: name };
  const raw = tspec.requirements ?? [];
  let reqs: Requirements;
  try {
    reqs = Requirements.of(
      raw.map((r) => ({ ...r, operator: r.operator as RequirementOperator })),
      'spec.template.spec.requirements',
    );
  } catch (e) {
    throw new NodePoolError(name, 'spec.template.spec.requirements', (e as Error).message);
  }
  for (const [k, v] of Object.entries(labels)) reqs = reqs.with(k, ValueSet.of([v]));
  const empty = reqs.emptyKey();
  if (empty !== undefined) {
    throw new NodePoolError(name, 'spec.template', `requirements and labels on "${empty}" contradict each other; no node could satisfy them`);
  }
  const limits: ResourceList = {};
  for (const [k, v] of Object.entries(nodePool.spec.limits ?? {})) {
    try {
      limits[k] = parseResourceQuantity(k, v);
    } catch (e) {
      throw new NodePoolError(name, `spec.limits.${k}`, (e as Error).message);
    }
  }
  const weight = nodePool.spec.weight ?? 0;
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new NodePoolError(name, 'spec.weight', `must be an integer from 0 to 100, got ${weight}`);
  }
  const types: InstanceType[] = [];
  for (const t of instanceTypes) {
    if (!instanceTypeCompatible(t, reqs)) continue;
    types.push({ ...t, offerings: compatibleOfferings(t, reqs) });
  }
  return {
    name,
    weight,
    requirements: reqs.toArray(),
    labels,
    taints: tspec.taints ?? [],
    startupTaints: tspec.startupTaints ?? [],
    limits,
    instanceTypes: types,
  };
}
