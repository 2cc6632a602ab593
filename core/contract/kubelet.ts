// The kubelet settings vocabulary of an EC2NodeClass (spec.kubelet): the fields joinery
// writes to the node, the eviction signals and reserved resources the kubelet accepts,
// and the checks the compiler and the reconciler share.

/** spec.kubelet fields the reconciler writes into each node's user data. */
export const KUBELET_FIELDS = [
  'maxPods',
  'podsPerCore',
  'systemReserved',
  'kubeReserved',
  'evictionHard',
  'evictionSoft',
  'evictionSoftGracePeriod',
  'evictionMaxPodGracePeriod',
  'imageGCHighThresholdPercent',
  'imageGCLowThresholdPercent',
  'cpuCFSQuota',
  'clusterDNS',
] as const;
export type KubeletField = (typeof KUBELET_FIELDS)[number];

/** Eviction signals Karpenter's EC2NodeClass accepts (a subset of the kubelet's). */
export const EVICTION_SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'] as const;

/** Resources kubeReserved and systemReserved may name. */
export const RESERVED_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'] as const;

const THRESHOLD = /^((\d+(\.\d+)?%)|([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?))$/;

/** Why `threshold` is not a valid threshold for eviction `signal`, or undefined. */
export function evictionThresholdProblem(signal: string, threshold: unknown): string | undefined {
  if (!(EVICTION_SIGNALS as readonly string[]).includes(signal)) return `is not an eviction signal (use one of ${EVICTION_SIGNALS.join(', ')})`;
  if (typeof threshold !== 'string' || !THRESHOLD.test(threshold.trim())) return `"${String(threshold)}" is neither a quantity ("100Mi") nor a percentage ("10%")`;
  if (threshold.trim().endsWith('%') && Number(threshold.trim().slice(0, -1)) > 100) return `"${threshold}" is more than 100%`;
  return undefined;
}

/** An IPv4 or IPv6 address (clusterDNS entries). */
export function isIpAddress(text: string): boolean {
  const v4 = (s: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
  if (v4(text)) return true;
  if (!text.includes(':') || text.split('::').length > 2) return false;
  let groups = text.split(':');
  const last = groups.at(-1) ?? '';
  let width = 8;
  if (last.includes('.')) {
    if (!v4(last)) return false;
    groups = groups.slice(0, -1);
    width = 6;
  }
  const compressed = text.includes('::');
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return compressed ? filled.length < width : filled.length === width && groups.length === width;
}
