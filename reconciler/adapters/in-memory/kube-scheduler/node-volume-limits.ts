// NodeVolumeLimits (CSI): a node whose CSINode gives a driver an attachable count
// (spec.drivers[].allocatable.count) takes the pod only if the distinct volumes of that
// driver attached for its pods, plus the pod's new ones, stay within the count. A volume
// is told by its driver and handle: a bound claim's CSI PersistentVolume (the in-tree EBS
// source as ebs.csi.aws.com), an unbound claim by its class's provisioner and the claim's
// namespace and name. No CSINode, or no count: no limit.

import type { Pod } from '../../../../core/api/k8s.ts';
import { podClaims } from './pod-claims.ts';
import type { FilterPlugin, NodeFilter, Storage } from './types.ts';

export const ERR_MAX_VOLUME_COUNT = 'node(s) exceed max volume count';
const EBS = 'ebs.csi.aws.com';
const IN_TREE: Readonly<Record<string, string>> = { 'kubernetes.io/aws-ebs': EBS };

/** Per CSI driver, the unique names of the pod's volumes. */
function csiVolumes(pod: Pod, storage: Storage | undefined, into: Map<string, Set<string>>): void {
  const ns = pod.metadata.namespace ?? 'default';
  for (const c of podClaims(pod, storage)) {
    if (!c.claim) continue;
    let driver: string | undefined;
    let handle: string | undefined;
    const pvName = c.claim.spec?.volumeName;
    if (pvName) {
      const pv = storage?.volume(pvName);
      if (pv?.spec?.csi) [driver, handle] = [pv.spec.csi.driver, pv.spec.csi.volumeHandle ?? pvName];
      else if (pv?.spec?.awsElasticBlockStore) [driver, handle] = [EBS, pv.spec.awsElasticBlockStore.volumeID];
    } else {
      const className = c.claim.spec?.storageClassName;
      const provisioner = className ? storage?.storageClass(className)?.provisioner : undefined;
      if (provisioner) [driver, handle] = [IN_TREE[provisioner] ?? provisioner, `${ns}-${c.name}`];
    }
    if (!driver || !handle) continue;
    let s = into.get(driver);
    if (!s) into.set(driver, (s = new Set()));
    s.add(`${driver}/${handle}`);
  }
}

export const nodeVolumeLimits: FilterPlugin = {
  name: 'NodeVolumeLimits',
  prepareFilter(pod: Pod, cluster): NodeFilter {
    const storage = cluster.storage;
    const wanted = new Map<string, Set<string>>();
    csiVolumes(pod, storage, wanted);
    if (wanted.size === 0) return () => undefined;
    return (node) => {
      const limits = new Map<string, number>();
      for (const d of storage?.csiNode(node.name)?.spec?.drivers ?? []) {
        if (typeof d.allocatable?.count === 'number') limits.set(d.name, d.allocatable.count);
      }
      if (limits.size === 0) return undefined;
      const attached = new Map<string, Set<string>>();
      for (const p of node.pods) csiVolumes(p, storage, attached);
      for (const [driver, vols] of wanted) {
        const limit = limits.get(driver);
        if (limit === undefined) continue;
        const on = attached.get(driver) ?? new Set<string>();
        let count = on.size;
        for (const v of vols) if (!on.has(v)) count++;
        if (count > limit) return [ERR_MAX_VOLUME_COUNT];
      }
      return undefined;
    };
  },
};
