// A pod's PersistentVolumeClaims as kube-scheduler's volume plugins look them up: each
// persistentVolumeClaim volume by its claim name, each generic ephemeral volume by the
// claim the ephemeral volume controller creates for it (`<pod>-<volume>`).

import type { PersistentVolumeClaim, Pod, StorageClass } from '../../../../core/api/k8s.ts';
import type { Storage } from './types.ts';

export const WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer';

export interface PodClaim {
  readonly name: string;
  readonly claim: PersistentVolumeClaim | undefined;
  readonly ephemeral: boolean;
}

/** The pod's claims, in volume order (claim undefined when not found). */
export function podClaims(pod: Pod, storage: Storage | undefined): PodClaim[] {
  const ns = pod.metadata.namespace ?? 'default';
  const out: PodClaim[] = [];
  for (const v of pod.spec.volumes ?? []) {
    let name: string;
    if (v.persistentVolumeClaim) name = v.persistentVolumeClaim.claimName;
    else if (v.ephemeral) name = `${pod.metadata.name ?? ''}-${v.name}`;
    else continue;
    out.push({ name, claim: storage?.claim(ns, name), ephemeral: Boolean(v.ephemeral) });
  }
  return out;
}

/** An unbound claim's class, when it delays binding until a pod uses it (WaitForFirstConsumer). */
export function delayedClass(claim: PersistentVolumeClaim, storage: Storage | undefined): StorageClass | undefined {
  const name = claim.spec?.storageClassName;
  if (!name) return undefined;
  const sc = storage?.storageClass(name);
  return sc?.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER ? sc : undefined;
}
