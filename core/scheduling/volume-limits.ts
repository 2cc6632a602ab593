// CSI attach limits as kube-scheduler's NodeVolumeLimits plugin sees them: a node whose
// CSINode says a driver can attach N volumes (spec.drivers[].allocatable.count) takes a
// pod only while the distinct volumes of that driver used by its pods, the pod's own
// included, number at most N. A volume shared by several pods of the node counts once.
//
// As Karpenter (pkg/scheduling/volumeusage.go): a pod's volume is its claim
// (`namespace/claim`; a generic ephemeral volume's claim is `<pod>-<volume>`), of the
// driver of its bound PersistentVolume (spec.csi.driver; the in-tree EBS source counts as
// ebs.csi.aws.com), else of its StorageClass's provisioner (in-tree names translated to
// their CSI drivers), the default StorageClass for a claim that names none. A volume
// whose driver cannot be told does not count. A node without a CSINode (a new node, or
// one whose CSI driver has not registered yet) has no limit: Karpenter does not know a
// new node's limit either, and the catalog in data/ carries no attachment limits.

import type { Pod } from '../api/k8s.ts';
import type { VolumeIndex } from './volumes.ts';

/** One volume of a pod that counts against its driver's attach limit. */
export interface AttachableVolume {
  readonly driver: string;
  /** `namespace/claim`: the same claim used by two pods of a node is attached once. */
  readonly id: string;
}

const NONE: readonly AttachableVolume[] = [];

/** In-tree provisioners and the CSI drivers they migrate to (csi-translation-lib). */
const IN_TREE: Readonly<Record<string, string>> = {
  'kubernetes.io/aws-ebs': 'ebs.csi.aws.com',
  'kubernetes.io/gce-pd': 'pd.csi.storage.gke.io',
  'kubernetes.io/azure-disk': 'disk.csi.azure.com',
  'kubernetes.io/azure-file': 'file.csi.azure.com',
  'kubernetes.io/cinder': 'cinder.csi.openstack.org',
  'kubernetes.io/vsphere-volume': 'csi.vsphere.vmware.com',
  'kubernetes.io/portworx-volume': 'pxd.portworx.com',
};

/** The pod's volumes that count against attach limits (a shared empty array when none). */
export function attachableVolumes(index: VolumeIndex, pod: Pod): readonly AttachableVolume[] {
  const vols = pod.spec.volumes;
  if (!vols || vols.length === 0) return NONE;
  const ns = pod.metadata.namespace ?? 'default';
  let out: AttachableVolume[] | undefined;
  for (const v of vols) {
    let id: string;
    let volumeName: string | undefined;
    let className: string | null | undefined;
    if (v.persistentVolumeClaim) {
      id = `${ns}/${v.persistentVolumeClaim.claimName}`;
      const claim = index.claim(id);
      volumeName = claim?.spec?.volumeName;
      className = claim?.spec?.storageClassName;
    } else if (v.ephemeral) {
      id = `${ns}/${pod.metadata.name ?? ''}-${v.name}`;
      const claim = index.claim(id);
      volumeName = claim?.spec?.volumeName;
      className = claim ? claim.spec?.storageClassName : v.ephemeral.volumeClaimTemplate?.spec?.storageClassName;
    } else continue;
    const driver = driverOf(index, volumeName, className || index.defaultStorageClass());
    if (driver) (out ??= []).push({ driver, id });
  }
  return out ?? NONE;
}

function driverOf(index: VolumeIndex, volumeName: string | undefined, className: string | undefined): string | undefined {
  if (volumeName) {
    const pv = index.volume(volumeName);
    if (pv?.spec?.csi?.driver) return pv.spec.csi.driver;
    if (pv?.spec?.awsElasticBlockStore) return IN_TREE['kubernetes.io/aws-ebs'];
  }
  if (className) {
    const provisioner = index.storageClass(className)?.provisioner;
    if (provisioner) return IN_TREE[provisioner] ?? provisioner;
  }
  return undefined;
}

/** A short key of the volumes, for pod classes (pods with other volumes are other classes). */
export function attachableKey(vols: readonly AttachableVolume[]): string | null {
  if (vols.length === 0) return null;
  return vols.map((v) => `${v.driver}\u0000${v.id}`).join('\u0001');
}

/** The volumes attached to one node, per driver, against the node's limits. */
export class AttachedVolumes {
  private readonly attached = new Map<string, Set<string>>();

  constructor(private readonly limits: Readonly<Record<string, number>>) {}

  /** Volumes of pods on the node (bound, or placed by the solve). */
  add(vols: readonly AttachableVolume[]): void {
    for (const v of vols) {
      let s = this.attached.get(v.driver);
      if (!s) this.attached.set(v.driver, (s = new Set()));
      s.add(v.id);
    }
  }

  /**
   * The first driver whose limit the pod's volumes would exceed on the node, with the
   * count it would reach; undefined when they fit. Allocates nothing.
   */
  exceeded(vols: readonly AttachableVolume[]): { driver: string; count: number; limit: number } | undefined {
    for (let i = 0; i < vols.length; i++) {
      const driver = vols[i]!.driver;
      const limit = this.limits[driver];
      if (limit === undefined) continue;
      const s = this.attached.get(driver);
      let count = s ? s.size : 0;
      for (let j = 0; j < vols.length; j++) {
        const w = vols[j]!;
        if (w.driver !== driver || (s && s.has(w.id))) continue;
        // Count each new id once (a pod naming the same claim twice).
        let dup = false;
        for (let k = 0; k < j; k++) if (vols[k]!.driver === driver && vols[k]!.id === w.id) dup = true;
        if (!dup) count++;
      }
      if (count > limit) return { driver, count, limit };
    }
    return undefined;
  }
}

/** Whether a node's limits say anything (a CSINode with at least one counted driver). */
export function hasVolumeLimits(limits: Readonly<Record<string, number>> | undefined): limits is Readonly<Record<string, number>> {
  if (!limits) return false;
  for (const _ in limits) return true;
  return false;
}

export function formatVolumeLimit(e: { driver: string; count: number; limit: number }): string {
  return `${e.driver} volumes would number ${e.count}, over the node's attach limit of ${e.limit}`;
}
