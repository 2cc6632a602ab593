// The simulator's kube-scheduler, written from the Kubernetes scheduler's documented
// behaviour (pkg/scheduler/framework and its default plugins), not from joinery's solver:
// nothing here imports core/scheduling (a dependency-cruiser rule in
// .dependency-cruiser.cjs keeps it so). The shapes of the scheduling framework:
//
// - a NodeInfo per node: the node, the pods bound to it (terminating ones too: they
//   hold their resources until they are gone), their summed requests and host ports;
// - a plugin's filter, prepared once per pod (PreFilter) and then asked per node, answers
//   with the reasons the node is rejected, in kube-scheduler's words;
// - a plugin's score, asked once per pod over the feasible nodes, answers with scores
//   already normalised to [0, MAX_NODE_SCORE]; the framework multiplies by the weight.

import type { CSINode, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, Taint } from '../../../../core/api/k8s.ts';
import type { ResourceList } from '../../../../core/resources/resource-list.ts';

export const MAX_NODE_SCORE = 100;

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly allocatable: ResourceList;
  /** Every pod bound to the node, in bind order. */
  readonly pods: Pod[];
  /** Sum of the pods' requests (kube-scheduler's NodeInfo.Requested), pods counted under `pods`. */
  readonly requested: ResourceList;
  /** The same with 100m CPU and 200Mi memory for containers that request none (NodeInfo.NonZeroRequested). */
  readonly nonZeroRequested: { cpu: number; memory: number };
  readonly usedPorts: HostPort[];
  /** The pods with pod affinity or anti-affinity terms (NodeInfo.PodsWithAffinity). */
  readonly podsWithAffinity: Pod[];
}

/** The storage objects the volume plugins read (the scheduler's PVC, PV, StorageClass and CSINode listers). */
export interface Storage {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  csiNode(nodeName: string): CSINode | undefined;
}

export interface Cluster {
  readonly nodes: readonly NodeInfo[];
  /** Without it, the pods' claims are not found: a pod with a claim is not scheduled. */
  readonly storage?: Storage;
}

/** Why one node does not take the pod: one or more reasons, as kube-scheduler prints them. */
export type NodeFilter = (node: NodeInfo) => readonly string[] | undefined;

export interface FilterPlugin {
  readonly name: string;
  /**
   * PreFilter's verdict on the pod as a whole: a message when no node can take it
   * (printed as "0/N nodes are available: <message>."), undefined to go on to the nodes.
   */
  preFilter?(pod: Pod, cluster: Cluster): string | undefined;
  /** PreFilter: what the plugin needs for this pod, then the per-node Filter. */
  prepareFilter(pod: Pod, cluster: Cluster): NodeFilter;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** PreScore, Score and NormalizeScore: one score in [0, 100] per feasible node, or undefined (skipped). */
  score(pod: Pod, cluster: Cluster, feasible: readonly NodeInfo[]): readonly number[] | undefined;
}

/** framework.DefaultNormalizeScore: scale to [0, 100] by the maximum; reverse: higher raw is worse. */
export function defaultNormalizeScore(scores: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...scores);
  if (max === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((s) => {
    const v = Math.trunc((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - v : v;
  });
}
