// Volume topology as kube-scheduler's VolumeBinding and VolumeZone plugins see it: where
// a pod's PersistentVolumeClaims let it run, or why it cannot be scheduled yet.
//
// - A claim bound to a PersistentVolume: the volume's required node affinity (terms ORed)
//   and its zone and region labels (VolumeZone; a multi-zone label is `a__b`).
// - An unbound claim of a WaitForFirstConsumer StorageClass: the class's
//   `allowedTopologies` (terms ORed; none: anywhere), where the volume will be provisioned.
// - An unbound claim that binds Immediately (the default binding mode, or no storage
//   class), a claim or class or volume that does not exist, a claim being deleted:
//   kube-scheduler does not schedule the pod ("pod has unbound immediate
//   PersistentVolumeClaims", "persistentvolumeclaim not found"), so no node is planned
//   for it (Karpenter leaves such pods out too).
//
// A generic ephemeral volume's claim is `<pod>-<volume>`; before the ephemeral volume
// controller creates it, its template's storage class is read as an unbound claim's.
// Beta and EBS CSI zone keys are read as topology.kubernetes.io/zone (Karpenter's
// normalised labels; kube-scheduler's VolumeZone translates the beta labels the same way).
// Hostname terms (local volumes) are kept: the pod can then only go to that node, where
// Karpenter drops them and may launch a node the pod can never use.

import type { NodeSelectorRequirement, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../api/k8s.ts';
import { LABEL_REGION, LABEL_ZONE } from '../contract/labels.ts';
import { describeSet, Requirements } from './requirements.ts';

/** The storage objects of the cluster a solve reads. */
export interface VolumeObjects {
  readonly claims: readonly PersistentVolumeClaim[];
  readonly volumes: readonly PersistentVolume[];
  readonly storageClasses: readonly StorageClass[];
}

/** Where one of the pod's volumes lets it run. */
export interface VolumeConstraint {
  /** The pod's volume name. */
  readonly volume: string;
  /** What restricts it, e.g. "claim default/data, bound to PersistentVolume pv-1". */
  readonly source: string;
  /** Alternatives (ORed); each a set of node requirements. */
  readonly terms: readonly Requirements[];
}

export interface PodVolumeTopology {
  readonly constraints: readonly VolumeConstraint[];
  /** kube-scheduler does not schedule the pod yet: why. */
  readonly blocked: string | undefined;
}

const NONE: PodVolumeTopology = { constraints: [], blocked: undefined };

const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';
const LABEL_ZONE_EBS_CSI = 'topology.ebs.csi.aws.com/zone';
const NORMALISED: Readonly<Record<string, string>> = {
  [LABEL_ZONE_BETA]: LABEL_ZONE,
  [LABEL_REGION_BETA]: LABEL_REGION,
  [LABEL_ZONE_EBS_CSI]: LABEL_ZONE,
};

export const BINDING_WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer';
const ANNOTATION_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

function normalised(reqs: readonly NodeSelectorRequirement[]): NodeSelectorRequirement[] {
  return reqs.map((r) => (NORMALISED[r.key] ? { ...r, key: NORMALISED[r.key]! } : r));
}

/** The storage objects indexed for lookups by name. */
export class VolumeIndex {
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly classes = new Map<string, StorageClass>();

  private defaultClassName: string | undefined;

  constructor(objects: VolumeObjects) {
    for (const c of objects.claims) this.claims.set(`${c.metadata.namespace ?? 'default'}/${c.metadata.name ?? ''}`, c);
    for (const v of objects.volumes) if (v.metadata.name) this.volumes.set(v.metadata.name, v);
    let newest = -Infinity;
    for (const s of objects.storageClasses) {
      if (!s.metadata.name) continue;
      this.classes.set(s.metadata.name, s);
      // The default class (the newest, when several are marked, as the API server picks it).
      if (s.metadata.annotations?.[ANNOTATION_DEFAULT_CLASS] === 'true') {
        const t = s.metadata.creationTimestamp ? new Date(s.metadata.creationTimestamp).getTime() : 0;
        if (t >= newest) {
          newest = t;
          this.defaultClassName = s.metadata.name;
        }
      }
    }
  }

  /** The claim `namespace/name`, if the cluster has it. */
  claim(ref: string): PersistentVolumeClaim | undefined {
    return this.claims.get(ref);
  }

  volume(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }

  storageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }

  /** The StorageClass annotated storageclass.kubernetes.io/is-default-class: "true" (the newest of several). */
  defaultStorageClass(): string | undefined {
    return this.defaultClassName;
  }

  /** The pod's volume topology; a pod without claims (or any pod, without an index) has none. */
  of(pod: Pod): PodVolumeTopology {
    const vols = pod.spec.volumes;
    if (!vols || vols.length === 0) return NONE;
    const ns = pod.metadata.namespace ?? 'default';
    const constraints: VolumeConstraint[] = [];
    for (const v of vols) {
      let claimName: string;
      let templateClass: string | null | undefined;
      if (v.persistentVolumeClaim) claimName = v.persistentVolumeClaim.claimName;
      else if (v.ephemeral) {
        claimName = `${pod.metadata.name ?? ''}-${v.name}`;
        templateClass = v.ephemeral.volumeClaimTemplate?.spec?.storageClassName;
      } else continue;
      const claimRef = `${ns}/${claimName}`;
      const claim = this.claims.get(claimRef);
      const where = `volume ${v.name} (claim ${claimRef}`;
      let result: VolumeConstraint | string | undefined;
      try {
        if (!claim) {
          result = v.ephemeral
            ? this.unbound(v.name, `${where}, not created yet`, templateClass)
            : `${where}): the PersistentVolumeClaim does not exist; kube-scheduler does not schedule the pod until it does`;
        } else if (claim.metadata.deletionTimestamp) {
          result = `${where}): the PersistentVolumeClaim is being deleted; kube-scheduler does not schedule the pod`;
        } else if (claim.spec?.volumeName) {
          result = this.bound(v.name, where, claim.spec.volumeName);
        } else {
          result = this.unbound(v.name, where, claim.spec?.storageClassName);
        }
      } catch (e) {
        result = `${where}): ${(e as Error).message}`;
      }
      if (typeof result === 'string') return { constraints: [], blocked: result };
      if (result) constraints.push(result);
    }
    return constraints.length === 0 ? NONE : { constraints, blocked: undefined };
  }

  private bound(volume: string, where: string, pvName: string): VolumeConstraint | string | undefined {
    const pv = this.volumes.get(pvName);
    const source = `${where}, bound to PersistentVolume ${pvName})`;
    if (!pv) return `${source}: the PersistentVolume does not exist; kube-scheduler does not schedule the pod`;
    let terms = (pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []).map((t, i) =>
      Requirements.of(normalised(t.matchExpressions ?? []), `PersistentVolume ${pvName} spec.nodeAffinity.required.nodeSelectorTerms[${i}].matchExpressions`),
    );
    // VolumeZone: the zone and region labels of the volume (several zones joined by "__").
    const labels = pv.metadata.labels ?? {};
    let fromLabels = Requirements.EMPTY;
    for (const key of [LABEL_ZONE, LABEL_REGION, LABEL_ZONE_BETA, LABEL_REGION_BETA]) {
      const value = labels[key];
      if (value) fromLabels = fromLabels.intersect(Requirements.of([{ key: NORMALISED[key] ?? key, operator: 'In', values: value.split('__') }]));
    }
    if (fromLabels.size > 0) terms = terms.length > 0 ? terms.map((t) => t.intersect(fromLabels)) : [fromLabels];
    return terms.length > 0 ? { volume, source, terms } : undefined;
  }

  private unbound(volume: string, where: string, className: string | null | undefined): VolumeConstraint | string | undefined {
    if (!className) {
      return `${where}): unbound and without a StorageClass, it binds immediately or not at all; kube-scheduler does not schedule the pod until it is bound`;
    }
    const sc = this.classes.get(className);
    const source = `${where}, StorageClass ${className})`;
    if (!sc) return `${source}: the StorageClass does not exist; kube-scheduler does not schedule the pod`;
    if (sc.volumeBindingMode !== BINDING_WAIT_FOR_FIRST_CONSUMER) {
      return `${source}: unbound, and the StorageClass binds immediately (volumeBindingMode ${sc.volumeBindingMode ?? 'Immediate'}); kube-scheduler does not schedule the pod until the claim is bound`;
    }
    const terms = (sc.allowedTopologies ?? []).map((t, i) =>
      Requirements.of(
        normalised((t.matchLabelExpressions ?? []).map((e) => ({ key: e.key, operator: 'In', values: e.values }))),
        `StorageClass ${className} allowedTopologies[${i}].matchLabelExpressions`,
      ),
    );
    return terms.length > 0 ? { volume, source: `${source} allowedTopologies`, terms } : undefined;
  }
}

/** The requirement alternatives of all the constraints at once (each one term of each constraint). */
export function volumeAlternatives(constraints: readonly VolumeConstraint[]): Requirements[] {
  let out: Requirements[] = [Requirements.EMPTY];
  for (const c of constraints) out = out.flatMap((a) => c.terms.map((t) => a.intersect(t)));
  return out;
}

/** "topology.kubernetes.io/zone In [us-east-1b]" (alternatives joined by " or "). */
export function describeVolumeTerms(c: VolumeConstraint): string {
  return c.terms
    .map((t) => [...t.entries()].map(([k, s]) => describeSet(k, s)).join(' and ') || 'anywhere')
    .join(' or ');
}

/** A cache key for the pod's volume topology (equal for pods restricted alike by the same volumes). */
export function volumeKey(v: PodVolumeTopology): string | null {
  if (v === NONE) return null;
  return JSON.stringify([v.blocked ?? null, v.constraints.map((c) => [c.volume, c.source, c.terms.map((t) => t.signature())])]);
}
