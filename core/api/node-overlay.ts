// The Karpenter v1alpha1 NodeOverlay object (data/karpenter-crds/karpenter.sh_nodeoverlays.yaml):
// written by hand because gen-types emits only NodePool, EC2NodeClass and NodeClaim.
import type { ObjectMeta } from './k8s.ts';
import type { StatusCondition } from './karpenter.ts';

export interface NodeOverlayRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | 'Gte' | 'Lte';
  values?: string[];
}

export interface NodeOverlaySpec {
  /** Extended resources added to matching instance types (never cpu, memory, ephemeral-storage, pods). */
  capacity?: Record<string, string | number>;
  /** The price of matching offerings, replacing theirs. */
  price?: string;
  /** A change of the price of matching offerings: `+0.05`, `-0.10`, `+15%`, `-10%`. */
  priceAdjustment?: string;
  /** Which offerings the overlay applies to (instance type labels, zone, capacity type, nodepool). */
  requirements: NodeOverlayRequirement[];
  /** Higher weight wins where overlays set the same thing; equal weights: name order. */
  weight?: number;
}

export interface NodeOverlay {
  apiVersion: string;
  kind: 'NodeOverlay';
  metadata: ObjectMeta;
  spec: NodeOverlaySpec;
  status?: { conditions?: StatusCondition[] };
}
