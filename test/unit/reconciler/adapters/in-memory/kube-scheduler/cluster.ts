// Nodes and pods for the kube-scheduler plugin tests, in the shapes kubectl shows.
import type { CSINode, Container, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodSpec, StorageClass, Taint } from '../../../../../../core/api/k8s.ts';
import { nodeInfo } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/framework.ts';
import type { Cluster, NodeInfo, Storage } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/types.ts';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function node(name: string, o: NodeOptions = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints ?? [], unschedulable: o.unschedulable },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

let created = 0;

export interface PodOptions extends Partial<PodSpec> {
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  namespace?: string;
  hostPort?: number;
  protocol?: string;
  hostIP?: string;
}

export function pod(name: string, o: PodOptions = {}): Pod {
  const { cpu, memory, labels, namespace, hostPort, protocol, hostIP, ...spec } = o;
  const requests: Record<string, string> = {};
  if (cpu) requests['cpu'] = cpu;
  if (memory) requests['memory'] = memory;
  const container: Container = { name: 'app', resources: { requests } };
  if (hostPort) container.ports = [{ containerPort: hostPort, hostPort, protocol, hostIP }];
  created += 1;
  return {
    metadata: { name, namespace: namespace ?? 'default', labels: labels ?? {}, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, created)).toISOString() },
    spec: { containers: [container], ...spec },
  };
}

/** A cluster of the nodes, each with the pods listed for it. */
export function cluster(nodes: Node[], placed: Record<string, Pod[]> = {}): Cluster & { byName: (n: string) => NodeInfo } {
  const infos = nodes.map((n) => nodeInfo(n, placed[n.metadata.name!] ?? []));
  return { nodes: infos, byName: (n) => infos.find((i) => i.name === n)! };
}

/** The names of the nodes the plugin's filter accepts. */
export function accepted(filter: (n: NodeInfo) => readonly string[] | undefined, c: Cluster): string[] {
  return c.nodes.filter((n) => !filter(n)).map((n) => n.name);
}

export const zone = (z: string) => ({ 'topology.kubernetes.io/zone': z });

/** The storage objects a cluster's volume plugins read. */
export function storage(o: { claims?: PersistentVolumeClaim[]; volumes?: PersistentVolume[]; classes?: StorageClass[]; csiNodes?: CSINode[] }): Storage {
  return {
    claim: (ns, name) => o.claims?.find((c) => c.metadata.name === name && (c.metadata.namespace ?? 'default') === ns),
    volume: (name) => o.volumes?.find((v) => v.metadata.name === name),
    storageClass: (name) => o.classes?.find((c) => c.metadata.name === name),
    csiNode: (name) => o.csiNodes?.find((c) => c.metadata.name === name),
  };
}

export const claim = (name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec });

/** A pod mounting these claims. */
export const withClaims = (name: string, claims: string[], o: PodOptions = {}): Pod =>
  pod(name, { ...o, volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) });
