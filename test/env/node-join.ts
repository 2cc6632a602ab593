// What a kubelet would register for an EC2 instance: the Node object, derived only from
// the instance (type, zone, lifecycle, tags, user data) and the instance-type catalog.
// This module decides nothing a reconciler should; it stands in for the machine booting.
import { readFileSync } from 'node:fs';
import type { Node, Taint } from '../../core/api/k8s.ts';
import { instanceStoreRaid0FromUserData, kubeletConfigFromUserData, kubeletNodeResources, type KubeletNodeResources } from './kubelet-allocatable.ts';

/** The annotation kwok's `--manage-nodes-with-annotation-selector` matches. */
export const KWOK_MANAGED_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;
/** Marks Nodes this simulator registered, with the instance ID they stand for. */
export const SIMULATED_INSTANCE_ANNOTATION = 'testenv.joinery.dev/instance-id';
/** The tag that makes an instance part of the test cluster (value conventionally `owned`). */
export const clusterTagKey = (clusterName: string): string => `kubernetes.io/cluster/${clusterName}`;
/**
 * Marks a Node registered NotReady because it carries `karpenter.sh/unregistered`: as a
 * kubelet's node, it turns Ready only after the reconciler lifted that taint (the
 * simulator then hands it to kwok). A Node Ready at registration invites the race of
 * kubernetes/kubernetes#119862: a pod bound within milliseconds of the NoExecute taint's
 * removal is evicted by the taint-eviction controller's stale view of the Node.
 */
export const AWAITING_REGISTRATION_ANNOTATION = 'testenv.joinery.dev/awaiting-registration';
/** The NoExecute taint a Karpenter-launched node registers with (lifted by the reconciler). */
export const UNREGISTERED_TAINT_KEY = 'karpenter.sh/unregistered';
/** What a kubelet registers a not yet Ready node with. */
const NOT_READY_TAINT: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };

/**
 * Tests steer the simulator through this ConfigMap (read on every pass; absent means
 * defaults): `bootDelayMs` overrides --boot-delay-ms, `paused: "true"` registers no new
 * Node, `neverJoinInstanceTypes: "m5.large,c5.large"` keeps instances of those types from
 * ever joining (a boot that fails, for registration-timeout tests).
 */
export const NODE_JOIN_CONTROL = { namespace: 'kube-system', name: 'joinery-testenv-node-join' } as const;

export interface NodeJoinControl {
  bootDelayMs?: number;
  paused?: boolean;
  neverJoinInstanceTypes?: string[];
}

export function parseNodeJoinControl(data: Record<string, string> | undefined): NodeJoinControl {
  const control: NodeJoinControl = {};
  if (!data) return control;
  if (data.bootDelayMs !== undefined && Number.isFinite(Number(data.bootDelayMs))) control.bootDelayMs = Number(data.bootDelayMs);
  if (data.paused !== undefined) control.paused = data.paused === 'true';
  if (data.neverJoinInstanceTypes) control.neverJoinInstanceTypes = data.neverJoinInstanceTypes.split(',').map((t) => t.trim()).filter(Boolean);
  return control;
}

export function nodeJoinControlData(control: NodeJoinControl): Record<string, string> {
  const data: Record<string, string> = {};
  if (control.bootDelayMs !== undefined) data.bootDelayMs = String(control.bootDelayMs);
  if (control.paused !== undefined) data.paused = String(control.paused);
  if (control.neverJoinInstanceTypes) data.neverJoinInstanceTypes = control.neverJoinInstanceTypes.join(',');
  return data;
}

/** The fields of an instance type the simulator needs (data/ec2-us-east-1.json records). */
export interface InstanceTypeFacts {
  name: string;
  vcpu: number;
  memoryMiB: number;
  arch: 'amd64' | 'arm64';
  maxNetworkInterfaces: number;
  ipv4PerInterface: number;
  /** Total instance-store size (GB, 10^9 bytes); 0 or absent = none. */
  instanceStorageGB?: number | null;
}

export function loadCatalog(path: string): Map<string, InstanceTypeFacts> {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { instanceTypes: InstanceTypeFacts[] };
  return new Map(data.instanceTypes.map((t) => [t.name, t]));
}

/** The parts of an EC2 instance a kubelet's registration depends on. */
export interface BootedInstance {
  instanceId: string;
  instanceType: string;
  zone: string;
  region: string;
  privateDnsName?: string;
  privateIpAddress?: string;
  /** `spot` when EC2 reports InstanceLifecycle spot, else on-demand. */
  capacityType: 'spot' | 'on-demand';
  tags: Record<string, string>;
  /** Decoded user data, if any: kubelet flags in it are honoured as a kubelet would. */
  userData?: string;
  /** EFA interfaces attached: the EFA device plugin advertises each as a vpc.amazonaws.com/efa device. */
  efaInterfaces?: number;
}

interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

/** What the kubelet reports, from the instance type and the kubelet settings of the user data (./kubelet-allocatable.ts). */
function nodeResources(t: InstanceTypeFacts, userData: string | undefined): NodeResources {
  // With the instance store assembled as RAID0 under /var/lib/kubelet, the kubelet's nodefs is that array.
  const raid0 = instanceStoreRaid0FromUserData(userData) && (t.instanceStorageGB ?? 0) > 0;
  const { capacity, allocatable } = kubeletNodeResources(t, kubeletConfigFromUserData(userData), raid0 ? t.instanceStorageGB! * 1e9 : undefined);
  const quantities = (r: KubeletNodeResources['capacity']) => ({
    cpu: `${r.cpu}m`,
    memory: String(r.memory),
    pods: String(r.pods),
    'ephemeral-storage': String(r['ephemeral-storage']),
  });
  return { capacity: quantities(capacity), allocatable: quantities(allocatable) };
}

/** `--node-labels=a=b,c=d` and `--register-with-taints=k=v:Effect,k2:Effect` found in user data. */
export function kubeletFlagsFromUserData(userData: string | undefined): { labels: Record<string, string>; taints: Taint[] } {
  const labels: Record<string, string> = {};
  const taints: Taint[] = [];
  if (!userData) return { labels, taints };
  for (const m of userData.matchAll(/--node-labels[= ]["']?([^\s"'\\]+)/g)) {
    for (const pair of (m[1] ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  for (const m of userData.matchAll(/--register-with-taints[= ]["']?([^\s"'\\]+)/g)) {
    for (const spec of (m[1] ?? '').split(',')) {
      const colon = spec.lastIndexOf(':');
      if (colon <= 0) continue;
      const [key, value] = spec.slice(0, colon).split('=', 2) as [string, string | undefined];
      const taint: Taint = { key, effect: spec.slice(colon + 1) };
      if (value !== undefined && value !== '') taint.value = value;
      taints.push(taint);
    }
  }
  return { labels, taints };
}

/** Tags whose value a Karpenter-launched node carries as a label of the same key. */
const TAGS_COPIED_TO_LABELS = ['karpenter.sh/nodepool', 'karpenter.k8s.aws/ec2nodeclass'];

/** The Node a kubelet on `instance` would register. */
export function nodeForInstance(instance: BootedInstance, type: InstanceTypeFacts, kubeletVersion: string): Node {
  const name = instance.privateDnsName || instance.instanceId;
  const fromUserData = kubeletFlagsFromUserData(instance.userData);
  const labels: Record<string, string> = {
    ...fromUserData.labels,
    'kubernetes.io/hostname': name,
    'kubernetes.io/arch': type.arch,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': instance.instanceType,
    'topology.kubernetes.io/zone': instance.zone,
    'topology.kubernetes.io/region': instance.region,
    'karpenter.sh/capacity-type': instance.capacityType,
  };
  for (const key of TAGS_COPIED_TO_LABELS) {
    const value = instance.tags[key];
    if (value !== undefined) labels[key] = value;
  }
  const resources = nodeResources(type, instance.userData);
  const efa: Record<string, string> = instance.efaInterfaces ? { 'vpc.amazonaws.com/efa': String(instance.efaInterfaces) } : {};
  const capacity = { ...resources.capacity, ...efa };
  const allocatable = { ...resources.allocatable, ...efa };
  const addresses = [
    ...(instance.privateIpAddress ? [{ type: 'InternalIP', address: instance.privateIpAddress }] : []),
    { type: 'Hostname', address: name },
    ...(instance.privateDnsName ? [{ type: 'InternalDNS', address: instance.privateDnsName }] : []),
  ];
  // Registered with karpenter.sh/unregistered: NotReady (not kwok's yet) until it is lifted.
  const awaiting = fromUserData.taints.some((t) => t.key === UNREGISTERED_TAINT_KEY);
  const taints = awaiting ? [...fromUserData.taints, NOT_READY_TAINT] : fromUserData.taints;
  const now = new Date().toISOString();
  const node: Node & { status: Record<string, unknown> } = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: {
        ...(awaiting ? { [AWAITING_REGISTRATION_ANNOTATION]: 'true' } : { [KWOK_MANAGED_ANNOTATION.key]: KWOK_MANAGED_ANNOTATION.value }),
        [SIMULATED_INSTANCE_ANNOTATION]: instance.instanceId,
      },
    },
    spec: {
      providerID: `aws:///${instance.zone}/${instance.instanceId}`,
      ...(taints.length > 0 ? { taints } : {}),
    },
    status: {
      capacity,
      allocatable,
      addresses,
      ...(awaiting
        ? { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'waiting for the karpenter.sh/unregistered taint to be lifted', lastTransitionTime: now }] }
        : {}),
      nodeInfo: {
        architecture: type.arch,
        operatingSystem: 'linux',
        kubeletVersion,
        kubeProxyVersion: '',
        osImage: 'joinery node-join simulator',
        kernelVersion: '',
        containerRuntimeVersion: '',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
  return node;
}

/** A Node registered NotReady (AWAITING_REGISTRATION_ANNOTATION) whose unregistered taint is gone: kwok takes it now. */
export function readyToHandOver(node: Pick<Node, 'metadata' | 'spec'>): boolean {
  return node.metadata.annotations?.[AWAITING_REGISTRATION_ANNOTATION] === 'true' &&
    !(node.spec?.taints ?? []).some((t) => t.key === UNREGISTERED_TAINT_KEY);
}
