// Which VolumeAttachments hold a drained node's termination (Karpenter's
// pendingVolumeAttachments): those of the node that attach a PersistentVolume, except the
// volumes of pods the drain leaves on the node (they tolerate the disrupted taint, or are
// terminal): those stay attached until the instance goes, so waiting for them would wait
// for nothing. A pod's volume is matched to its attachment through its
// PersistentVolumeClaim's bound volume.

import type { Pod, VolumeAttachment } from '../../../core/api/k8s.ts';
import { TAINT_DISRUPTED } from '../../../core/contract/index.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import { isTerminal, toleratesTaintKey } from '../../views/cluster-state.ts';

/** A pod the drain evicts (or deletes at the grace period's end). */
function isDrained(p: Pod): boolean {
  return !isTerminal(p) && !toleratesTaintKey(p, TAINT_DISRUPTED.key);
}

export function pendingVolumeAttachments(cache: ClusterCache, nodeName: string): VolumeAttachment[] {
  const attachments = cache.list('VolumeAttachment').filter((v) => v.spec.nodeName === nodeName && v.spec.source.persistentVolumeName);
  if (attachments.length === 0) return [];
  const kept = new Set<string>();
  for (const p of cache.podsOnNode(nodeName)) {
    if (isDrained(p)) continue;
    for (const v of p.spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      const pv = claim ? cache.get('PersistentVolumeClaim', claim, p.metadata.namespace ?? 'default')?.spec?.volumeName : undefined;
      if (pv) kept.add(pv);
    }
  }
  return attachments.filter((v) => !kept.has(v.spec.source.persistentVolumeName!));
}
