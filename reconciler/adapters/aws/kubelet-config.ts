// The kubelet configuration a node of one instance type gets from its EC2NodeClass: the
// class's spec.kubelet fields as given, plus the values the solver predicted allocatable
// with, written out so the node cannot compute them differently: maxPods (the type's
// predicted pods, podsPerCore applied, as Karpenter writes one per launch template),
// the whole kubeReserved (EKS defaults for the keys the class leaves out: nodeadm and
// bootstrap.sh derive their own default from the ENI max-pods, and a --kube-reserved
// flag on AL2 replaces the whole map) and the whole evictionHard (the kubelet zeroes
// the signals a partial map leaves out). Launch templates are made per distinct config.

import type { EC2NodeClassKubelet } from '../../../core/api/karpenter.ts';
import { eksKubeReserved, evictionHardSignals } from '../../../core/catalog/eks.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import { parseDurationSeconds } from '../../../core/disruption/duration.ts';
import { isByteResource, parseResourceQuantity } from '../../../core/resources/quantity.ts';

export interface NodeKubeletConfig {
  maxPods: number;
  podsPerCore?: number;
  systemReserved?: Record<string, string>;
  kubeReserved: Record<string, string>;
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  /** Go durations ("1m30s"), as the kubelet reads them. */
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
  clusterDNS?: string[];
}

/** An exact quantity: millicores for cpu, bytes with the largest exact binary suffix, else the integer. */
function exactQuantity(resource: string, amount: number): string {
  if (resource === 'cpu') return `${amount}m`;
  if (isByteResource(resource)) {
    for (const [suffix, factor] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (amount > 0 && amount % factor === 0) return `${amount / factor}${suffix}`;
    }
  }
  return String(amount);
}

/** Seconds as Go's time.Duration prints them: 90 -> "1m30s", 3600 -> "1h0m0s". */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

const int = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export class KubeletConfigError extends Error {
  constructor(nodeClass: string, message: string) {
    super(`EC2NodeClass ${nodeClass}: ${message}; fix spec.kubelet (Kubernetes quantities such as "100m" or "1Gi", durations such as "1m30s")`);
    this.name = 'KubeletConfigError';
  }
}

/** The kubelet configuration for a node of `type` launched for a class with `kubelet`. */
export function nodeKubeletConfig(kubelet: EC2NodeClassKubelet | undefined, type: Pick<InstanceType, 'capacity'>, nodeClass = ''): NodeKubeletConfig {
  try {
    return kubeletConfigOf(kubelet, type);
  } catch (err) {
    throw new KubeletConfigError(nodeClass, err instanceof Error ? err.message : String(err));
  }
}

function kubeletConfigOf(kubelet: EC2NodeClassKubelet | undefined, type: Pick<InstanceType, 'capacity'>): NodeKubeletConfig {
  const k = (kubelet ?? {}) as Record<string, unknown>;
  const vcpu = Math.round((type.capacity.cpu ?? 0) / 1000);
  const pods = type.capacity.pods ?? 0;
  const givenKubeReserved = stringMap(k.kubeReserved) ?? {};
  const parsedKubeReserved = Object.fromEntries(Object.entries(givenKubeReserved).map(([r, q]) => [r, parseResourceQuantity(r, q)]));
  const kubeReserved: Record<string, string> = {};
  for (const [resource, amount] of Object.entries(eksKubeReserved(vcpu, pods, parsedKubeReserved))) {
    kubeReserved[resource] = givenKubeReserved[resource] ?? exactQuantity(resource, amount);
  }
  const config: NodeKubeletConfig = { maxPods: pods, kubeReserved };
  if (typeof k.podsPerCore === 'number' && k.podsPerCore > 0) config.podsPerCore = k.podsPerCore;
  const systemReserved = stringMap(k.systemReserved);
  if (systemReserved) config.systemReserved = systemReserved;
  const hard = stringMap(k.evictionHard);
  if (hard) config.evictionHard = evictionHardSignals(hard);
  const soft = stringMap(k.evictionSoft);
  if (soft) config.evictionSoft = soft;
  const grace = stringMap(k.evictionSoftGracePeriod);
  if (grace) {
    config.evictionSoftGracePeriod = Object.fromEntries(
      Object.entries(grace).map(([signal, d]) => {
        const seconds = parseDurationSeconds(d);
        if (seconds === undefined) throw new Error(`spec.kubelet.evictionSoftGracePeriod.${signal} "${d}" is not a duration`);
        return [signal, goDuration(seconds)];
      }),
    );
  }
  const maxPodGrace = int(k.evictionMaxPodGracePeriod);
  if (maxPodGrace !== undefined) config.evictionMaxPodGracePeriod = maxPodGrace;
  const high = int(k.imageGCHighThresholdPercent);
  if (high !== undefined) config.imageGCHighThresholdPercent = high;
  const low = int(k.imageGCLowThresholdPercent);
  if (low !== undefined) config.imageGCLowThresholdPercent = low;
  if (typeof k.cpuCFSQuota === 'boolean') config.cpuCFSQuota = k.cpuCFSQuota;
  if (Array.isArray(k.clusterDNS) && k.clusterDNS.length > 0) config.clusterDNS = k.clusterDNS.map(String);
  return config;
}
