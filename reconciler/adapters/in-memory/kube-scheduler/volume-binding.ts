// VolumeBinding: a pod's claims must exist (PreFilter: "persistentvolumeclaim "x" not
// found"; a generic ephemeral volume's claim waits for the ephemeral volume controller), an
// unbound claim must delay binding to its first consumer (WaitForFirstConsumer) or the pod
// waits ("pod has unbound immediate PersistentVolumeClaims"). Per node (Filter): a bound
// claim's PersistentVolume must exist and its required node affinity (terms ORed) hold on
// the node ("volume node affinity conflict"); an unbound WaitForFirstConsumer claim is
// provisioned dynamically, so the node must be in its class's allowedTopologies (terms
// ORed; none: anywhere), and a class without a provisioner ("kubernetes.io/no-provisioner")
// binds nothing ("did not find available persistent volumes to bind"). Not modelled: an
// unbound claim matched to an existing unbound PersistentVolume, and storage capacity.

import type { Pod } from '../../../../core/api/k8s.ts';
import { nodeSelectorTermMatches } from './labels.ts';
import { delayedClass, podClaims } from './pod-claims.ts';
import type { Cluster, FilterPlugin, NodeFilter } from './types.ts';

export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_BIND_CONFLICT = 'node(s) did not find available persistent volumes to bind';
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

export const volumeBinding: FilterPlugin = {
  name: 'VolumeBinding',
  preFilter(pod: Pod, cluster: Cluster): string | undefined {
    let immediate = false;
    for (const c of podClaims(pod, cluster.storage)) {
      if (!c.claim) return c.ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${c.name}"` : `persistentvolumeclaim "${c.name}" not found`;
      if (c.claim.metadata.deletionTimestamp) return `persistentvolumeclaim "${c.name}" is being deleted`;
      if (c.claim.spec?.volumeName) continue;
      const className = c.claim.spec?.storageClassName;
      if (className && !cluster.storage?.storageClass(className)) return `storageclass.storage.k8s.io "${className}" not found`;
      if (!delayedClass(c.claim, cluster.storage)) immediate = true;
    }
    return immediate ? ERR_UNBOUND_IMMEDIATE : undefined;
  },
  prepareFilter(pod: Pod, cluster: Cluster): NodeFilter {
    const claims = podClaims(pod, cluster.storage);
    if (claims.length === 0) return () => undefined;
    const storage = cluster.storage;
    return (node) => {
      const reasons = new Set<string>();
      for (const c of claims) {
        const claim = c.claim!;
        const pvName = claim.spec?.volumeName;
        if (pvName) {
          const pv = storage?.volume(pvName);
          if (!pv) {
            reasons.add(ERR_PV_NOT_EXIST);
            continue;
          }
          const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
          if (terms && !terms.some((t) => nodeSelectorTermMatches(t, node.name, node.labels))) reasons.add(ERR_NODE_CONFLICT);
          continue;
        }
        const sc = delayedClass(claim, storage);
        if (!sc) continue; // PreFilter let it through only when delayed.
        const allowed = sc.allowedTopologies ?? [];
        const inTopology = allowed.length === 0 || allowed.some((t) => (t.matchLabelExpressions ?? []).every((e) => e.values.includes(node.labels[e.key] ?? '\u0000')));
        if (sc.provisioner === NO_PROVISIONER || !inTopology) reasons.add(ERR_BIND_CONFLICT);
      }
      return reasons.size > 0 ? [...reasons] : undefined;
    };
  },
};
