// Drift hashing. A NodeClaim records the hash of the NodePool template and of the
// EC2NodeClass it was launched from (annotations, as Karpenter does); when the current
// intent hashes differently the node has drifted and is replaced within budgets.
//
// What is hashed follows Karpenter v1 (NodePool.Hash(): hashstructure over
// spec.template with IgnoreZeroValue, requirements tagged hash:"ignore"): the template's
// labels and annotations, taints, startup taints, nodeClassRef, expireAfter and
// terminationGracePeriod. Requirements are not hashed: a requirement change drifts only
// the nodes whose labels no longer satisfy it (see requirementsDrifted). A NodeClaim
// copies expireAfter and terminationGracePeriod from the pool when it is created and
// keeps them, so changing either in the pool reaches running nodes by drift (replaced
// within the Drifted budget), not by re-reading the pool. Durations are hashed by value
// ("60m" and "1h" hash alike, as Go's time.Duration does); an absent expireAfter is the
// CRD default 720h. For the EC2NodeClass everything in spec is hashed except the
// selector terms Karpenter resolves and checks against live resources (subnets,
// security groups, capacity reservations).

import type { NodeSelectorRequirement, Taint } from '../api/k8s.ts';
import { canonicalJson, fnv1a64 } from '../canonical.ts';
import { parseDuration } from './duration.ts';

/**
 * Written beside each hash (karpenter.sh/nodepool-hash-version) and bumped when what is
 * hashed changes, so hashes of another version (ours from before, or upstream Karpenter's
 * hashstructure values on NodeClaims it launched) are never compared with these. A
 * NodeClaim of another version is re-annotated with the current hash and version instead
 * of drifting (the hash controller, as Karpenter's nodepool.hash controller does), so a
 * version bump never replaces the fleet. joinery-v2 added expireAfter and
 * terminationGracePeriod.
 */
export const NODEPOOL_HASH_VERSION = 'joinery-v2';

/** Likewise for the EC2NodeClass hash (karpenter.k8s.aws/ec2nodeclass-hash-version). */
export const NODECLASS_HASH_VERSION = 'joinery-v1';

/** Karpenter's CRD default for spec.template.spec.expireAfter. */
export const DEFAULT_EXPIRE_AFTER = '720h';

/** The NodePool fields whose change replaces nodes (structural, so any NodePool type fits). */
export interface HashableNodePool {
  spec: {
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        taints?: readonly Taint[];
        startupTaints?: readonly Taint[];
        nodeClassRef?: { group?: string; kind?: string; name?: string };
        expireAfter?: string;
        terminationGracePeriod?: string;
      };
    };
  };
}

function normaliseTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? [])
    .map((t) => ({ key: t.key, value: t.value ?? '', effect: t.effect }))
    .sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
}

/** A duration by value (milliseconds, or "Never"); a malformed one as written (the compiler refuses it). */
function durationValue(text: string | undefined): number | string | null {
  if (text === undefined) return null;
  try {
    const ms = parseDuration(text);
    return Number.isFinite(ms) ? ms : 'Never';
  } catch {
    return text;
  }
}

/** The template fields the NodePool hash covers, normalised as hashed (joinery plan names the ones that changed). */
export function hashedTemplateFields(pool: HashableNodePool): Readonly<Record<string, unknown>> {
  const t = pool.spec.template;
  return {
    labels: t.metadata?.labels ?? {},
    annotations: t.metadata?.annotations ?? {},
    taints: normaliseTaints(t.spec.taints),
    startupTaints: normaliseTaints(t.spec.startupTaints),
    nodeClassRef: t.spec.nodeClassRef ?? {},
    expireAfter: durationValue(t.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER),
    terminationGracePeriod: durationValue(t.spec.terminationGracePeriod),
  };
}

export function nodePoolHash(pool: HashableNodePool): string {
  return fnv1a64(canonicalJson(hashedTemplateFields(pool)));
}

const NODECLASS_UNHASHED = new Set(['subnetSelectorTerms', 'securityGroupSelectorTerms', 'capacityReservationSelectorTerms']);

export function nodeClassHash(nodeClass: { spec?: object }): string {
  const spec = Object.fromEntries(
    Object.entries((nodeClass.spec ?? {}) as Record<string, unknown>).filter(([k]) => !NODECLASS_UNHASHED.has(k)),
  );
  return fnv1a64(canonicalJson(spec));
}

/**
 * Requirement drift: the node's labels no longer satisfy one of the pool's requirements.
 * Only keys the node carries are judged for In/NotIn/Gt/Lt; a required key the node
 * lacks (Exists/In) drifts it. Returns the first violated requirement, or undefined.
 */
export function requirementsDrifted(
  nodeLabels: Readonly<Record<string, string>>,
  requirements: readonly NodeSelectorRequirement[],
): NodeSelectorRequirement | undefined {
  for (const r of requirements) {
    const v = nodeLabels[r.key];
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (v === undefined || !values.includes(v)) return r;
        break;
      case 'NotIn':
        if (v !== undefined && values.includes(v)) return r;
        break;
      case 'Exists':
        if (v === undefined) return r;
        break;
      case 'DoesNotExist':
        if (v !== undefined) return r;
        break;
      case 'Gt':
      case 'Gte':
      case 'Lt':
      case 'Lte': {
        if (v === undefined) return r;
        const n = Number(v);
        const bound = Number(values[0]);
        const ok =
          r.operator === 'Gt' ? n > bound : r.operator === 'Gte' ? n >= bound : r.operator === 'Lt' ? n < bound : n <= bound;
        if (!ok) return r;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}
