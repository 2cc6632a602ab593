// What a booted kubelet would report as capacity and allocatable, from the instance type
// and the kubelet settings its user data carries: AL2023 (nodeadm NodeConfig parts,
// spec.kubelet.config), AL2 (bootstrap.sh --kubelet-extra-args) and Bottlerocket
// (TOML settings.kubernetes). Written from the kubelet's and the AMIs' rules, not from
// joinery's solver, so tests can hold the solver's prediction against it:
//   allocatable = capacity - kubeReserved - systemReserved - evictionHard
//   pods        = maxPods, or min(maxPods, podsPerCore x vCPU) when podsPerCore > 0.
// The AMI defaults apply to what the user data leaves out: max-pods from the ENIs
// (ENIs x (IPv4 per ENI - 1) + 2), kube-reserved cpu by tiers, memory 11Mi per ENI
// max-pod + 255Mi, ephemeral-storage 1Gi; the kubelet's evictionHard defaults when no
// map is given, and 0 for a signal a given map leaves out.
import { parse as parseYaml } from 'yaml';

/** The instance-type facts the kubelet's numbers depend on. */
export interface KubeletHardware {
  vcpu: number;
  memoryMiB: number;
  maxNetworkInterfaces: number;
  ipv4PerInterface: number;
}

/** The kubelet settings read back from user data, in KubeletConfiguration terms. */
export interface ReadKubeletConfig {
  family: 'AL2023' | 'AL2' | 'Bottlerocket';
  maxPods?: number;
  podsPerCore?: number;
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  /** True when kubeReserved came from a kubelet flag, which replaces the AMI's whole map. */
  kubeReservedReplaces?: boolean;
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
  clusterDNS?: string[];
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** The root volume the EKS AMIs get by default (Karpenter's default blockDeviceMappings: 20Gi). */
export const DEFAULT_EPHEMERAL_STORAGE_BYTES = 20 * GiB;
/** The memory a booted kernel reports under the instance type's figure (Karpenter's VM_MEMORY_OVERHEAD_PERCENT estimate). */
const VM_MEMORY_OVERHEAD = 0.075;

// ---- reading user data ---------------------------------------------------------------

function mimeBodies(userData: string): { contentType: string; body: string }[] {
  const text = userData.replace(/\r\n/g, '\n');
  const boundary = /Content-Type:\s*multipart\/mixed;\s*boundary="?([^"\n]+)"?/i.exec(text)?.[1];
  if (!boundary) return [{ contentType: '', body: text }];
  const parts: { contentType: string; body: string }[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const sep = chunk.indexOf('\n\n');
    if (sep < 0) continue;
    parts.push({ contentType: /Content-Type:\s*([^\n]+)/i.exec(chunk.slice(0, sep))?.[1]?.trim() ?? '', body: chunk.slice(sep + 2) });
  }
  return parts;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && v && typeof prev === 'object' && typeof v === 'object' && !Array.isArray(v) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

const strings = (v: unknown): Record<string, string> | undefined =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)])) : undefined;
const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));

function fromKubeletConfiguration(family: ReadKubeletConfig['family'], c: Record<string, unknown>): ReadKubeletConfig {
  const out: ReadKubeletConfig = { family };
  if (c.maxPods !== undefined) out.maxPods = num(c.maxPods);
  if (c.podsPerCore !== undefined) out.podsPerCore = num(c.podsPerCore);
  for (const key of ['systemReserved', 'kubeReserved', 'evictionHard', 'evictionSoft', 'evictionSoftGracePeriod'] as const) {
    const m = strings(c[key]);
    if (m) out[key] = m;
  }
  if (c.evictionMaxPodGracePeriod !== undefined) out.evictionMaxPodGracePeriod = num(c.evictionMaxPodGracePeriod);
  if (c.imageGCHighThresholdPercent !== undefined) out.imageGCHighThresholdPercent = num(c.imageGCHighThresholdPercent);
  if (c.imageGCLowThresholdPercent !== undefined) out.imageGCLowThresholdPercent = num(c.imageGCLowThresholdPercent);
  if (c.cpuCFSQuota !== undefined) out.cpuCFSQuota = c.cpuCFSQuota === true || c.cpuCFSQuota === 'true';
  if (c.clusterDNS !== undefined) out.clusterDNS = (Array.isArray(c.clusterDNS) ? c.clusterDNS : [c.clusterDNS]).map(String);
  return out;
}

/** nodeadm: every NodeConfig part, merged in order (later parts win, maps merge by key). */
function readNodeadm(userData: string): ReadKubeletConfig | undefined {
  const configs = mimeBodies(userData)
    .filter((p) => p.contentType.startsWith('application/node.eks.aws'))
    .map((p) => parseYaml(p.body) as { spec?: { kubelet?: { config?: Record<string, unknown> } } });
  if (configs.length === 0) return undefined;
  const merged = configs.reduce<Record<string, unknown>>((acc, c) => deepMerge(acc, c.spec?.kubelet?.config ?? {}), {});
  return fromKubeletConfiguration('AL2023', merged);
}

/** `--name=value` flags of a kubelet command line, quotes removed. */
function parseFlags(args: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const m of args.matchAll(/--([a-z-]+)=("([^"]*)"|(\S*))/g)) flags.set(m[1]!, m[3] ?? m[4] ?? '');
  return flags;
}

function flagMap(value: string | undefined, sep: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const i = pair.indexOf(sep);
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + sep.length);
  }
  return out;
}

/** bootstrap.sh: its own options and the kubelet flags of --kubelet-extra-args. */
function readBootstrapSh(userData: string): ReadKubeletConfig | undefined {
  const start = userData.indexOf('/etc/eks/bootstrap.sh');
  if (start < 0) return undefined;
  // The command, with its backslash-continued lines.
  const lines: string[] = [];
  for (const l of userData.slice(start).split('\n')) {
    lines.push(l.replace(/\\\s*$/, ''));
    if (!/\\\s*$/.test(l)) break;
  }
  const line = lines.join(' ');
  const extra = /--kubelet-extra-args\s+'((?:[^']|'"'"')*)'/.exec(line)?.[1]?.replace(/'"'"'/g, "'") ?? '';
  const f = parseFlags(extra);
  const c: Record<string, unknown> = {};
  if (f.has('max-pods')) c.maxPods = f.get('max-pods');
  if (f.has('pods-per-core')) c.podsPerCore = f.get('pods-per-core');
  c.systemReserved = flagMap(f.get('system-reserved'), '=');
  c.kubeReserved = flagMap(f.get('kube-reserved'), '=');
  c.evictionHard = flagMap(f.get('eviction-hard'), '<');
  c.evictionSoft = flagMap(f.get('eviction-soft'), '<');
  c.evictionSoftGracePeriod = flagMap(f.get('eviction-soft-grace-period'), '=');
  if (f.has('eviction-max-pod-grace-period')) c.evictionMaxPodGracePeriod = f.get('eviction-max-pod-grace-period');
  if (f.has('image-gc-high-threshold')) c.imageGCHighThresholdPercent = f.get('image-gc-high-threshold');
  if (f.has('image-gc-low-threshold')) c.imageGCLowThresholdPercent = f.get('image-gc-low-threshold');
  if (f.has('cpu-cfs-quota')) c.cpuCFSQuota = f.get('cpu-cfs-quota');
  const dnsFlag = f.get('cluster-dns');
  const dnsOption = /--dns-cluster-ip\s+'([^']*)'/.exec(line)?.[1];
  if (dnsFlag) c.clusterDNS = dnsFlag.split(',');
  else if (dnsOption) c.clusterDNS = [dnsOption];
  const out = fromKubeletConfiguration('AL2', Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
  if (out.kubeReserved) out.kubeReservedReplaces = true;
  return out;
}

/**
 * A TOML reader for what Bottlerocket user data holds: [dotted.tables] and `key = value`
 * lines whose keys are bare or "quoted" and whose values are strings, integers, booleans
 * or arrays of strings.
 */
export function readToml(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let table = root;
  const key = /^\s*("(?:[^"\\]|\\.)*"|[A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/;
  const splitPath = (path: string) => (path.match(/"(?:[^"\\]|\\.)*"|[^.]+/g) ?? []).map((p) => (p.startsWith('"') ? (JSON.parse(p) as string) : p.trim()));
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      table = root;
      for (const part of splitPath(header[1]!)) table = (table[part] ??= {}) as Record<string, unknown>;
      continue;
    }
    const m = key.exec(line);
    if (!m) throw new Error(`TOML line not understood: ${line}`);
    const name = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
    const value = m[2]!;
    table[name] = value.startsWith('[') ? (JSON.parse(value) as unknown) : value.startsWith('"') ? JSON.parse(value) : value === 'true' || value === 'false' ? value === 'true' : Number(value);
  }
  return root;
}

/** Bottlerocket: settings.kubernetes, with its kebab-case names. */
function readBottlerocket(userData: string): ReadKubeletConfig | undefined {
  if (!userData.includes('[settings.kubernetes]')) return undefined;
  const k = ((readToml(userData).settings as Record<string, unknown> | undefined)?.kubernetes ?? {}) as Record<string, unknown>;
  const c: Record<string, unknown> = {
    maxPods: k['max-pods'],
    systemReserved: k['system-reserved'],
    kubeReserved: k['kube-reserved'],
    evictionHard: k['eviction-hard'],
    evictionSoft: k['eviction-soft'],
    evictionSoftGracePeriod: k['eviction-soft-grace-period'],
    evictionMaxPodGracePeriod: k['eviction-max-pod-grace-period'],
    imageGCHighThresholdPercent: k['image-gc-high-threshold-percent'],
    imageGCLowThresholdPercent: k['image-gc-low-threshold-percent'],
    cpuCFSQuota: k['cpu-cfs-quota-enforced'],
    clusterDNS: k['cluster-dns-ip'],
  };
  return fromKubeletConfiguration('Bottlerocket', Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
}

/**
 * Whether the user data assembles the instance-store volumes into the RAID0 array the kubelet's
 * and containerd's directories live on, as each AMI reads it: nodeadm `spec.instance.localStorage.strategy:
 * RAID0` (NodeConfig parts merged), bootstrap.sh `--local-disks raid0`, or a Bottlerocket bootstrap
 * command running `apiclient ephemeral-storage init` and binding /var/lib/kubelet.
 */
export function instanceStoreRaid0FromUserData(userData: string | undefined): boolean {
  if (!userData) return false;
  const nodeConfigs = mimeBodies(userData).filter((p) => p.contentType.startsWith('application/node.eks.aws'));
  if (nodeConfigs.length > 0) {
    const merged = nodeConfigs.reduce<Record<string, unknown>>((acc, p) => deepMerge(acc, (parseYaml(p.body) as Record<string, unknown>) ?? {}), {});
    const strategy = (((merged.spec as Record<string, unknown> | undefined)?.instance as Record<string, unknown> | undefined)?.localStorage as Record<string, unknown> | undefined)?.strategy;
    return strategy === 'RAID0';
  }
  const start = userData.indexOf('/etc/eks/bootstrap.sh');
  if (start >= 0) {
    const lines: string[] = [];
    for (const l of userData.slice(start).split('\n')) {
      lines.push(l.replace(/\\\s*$/, ''));
      if (!/\\\s*$/.test(l)) break;
    }
    return /--local-disks\s+raid0\b/.test(lines.join(' '));
  }
  if (userData.includes('[settings.kubernetes]')) {
    const commands = ((readToml(userData).settings as Record<string, unknown> | undefined)?.['bootstrap-commands'] ?? {}) as Record<string, { commands?: string[][] }>;
    return Object.values(commands).some((c) => {
      const list = c.commands ?? [];
      const init = list.some((cmd) => cmd.join(' ') === 'apiclient ephemeral-storage init');
      const bind = list.some((cmd) => cmd.slice(0, 3).join(' ') === 'apiclient ephemeral-storage bind' && cmd.includes('/var/lib/kubelet'));
      return init && bind;
    });
  }
  return false;
}

/** The kubelet settings in user data, or undefined when it holds no bootstrap this reader knows. */
export function kubeletConfigFromUserData(userData: string | undefined): ReadKubeletConfig | undefined {
  if (!userData) return undefined;
  return readNodeadm(userData) ?? readBootstrapSh(userData) ?? readBottlerocket(userData);
}

// ---- the kubelet's numbers -----------------------------------------------------------

/** Kubernetes quantity to a number in base units (cpu in cores). */
function quantity(text: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(text.trim());
  if (!m) throw new Error(`not a quantity: ${text}`);
  const factor: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * factor[m[2] ?? '']!;
}

/** A reservation of `resource` in the unit the node reports it in (millicores for cpu, else bytes). */
function amount(resource: string, text: string): number {
  const v = quantity(text);
  return resource === 'cpu' ? Math.ceil(Math.round(v * 1e6) / 1e3) : Math.ceil(v);
}

/** kube-reserved CPU as the EKS AMIs compute it: 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% above. */
function kubeReservedMillicores(vcpu: number): number {
  const steps: [upTo: number, fraction: number][] = [[1, 0.06], [2, 0.01], [4, 0.005], [Infinity, 0.0025]];
  let reserved = 0;
  let previous = 0;
  for (const [upTo, fraction] of steps) {
    const cores = Math.max(0, Math.min(vcpu, upTo) - previous);
    reserved += cores * 1000 * fraction;
    previous = upTo;
    if (vcpu <= upTo) break;
  }
  return Math.round(reserved);
}

/** EKS max-pods with the VPC CNI and no prefix delegation: ENIs x (IPv4 per ENI - 1) + 2. */
export function eniMaxPods(t: KubeletHardware): number {
  return t.maxNetworkInterfaces * (t.ipv4PerInterface - 1) + 2;
}

const KUBELET_EVICTION_HARD: Record<string, string> = { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%' };

/** pkg/kubelet/eviction/api: a percentage is parsed to float32 and the product truncated. */
function threshold(text: string | undefined, capacity: number): number {
  if (text === undefined) return 0;
  if (text.endsWith('%')) return Math.trunc(capacity * Math.fround(Math.fround(Number(text.slice(0, -1))) / 100));
  return Math.ceil(quantity(text));
}

export interface KubeletNodeResources {
  /** In the node's units: cpu millicores, memory and ephemeral-storage bytes, pods. */
  capacity: Record<'cpu' | 'memory' | 'ephemeral-storage' | 'pods', number>;
  allocatable: Record<'cpu' | 'memory' | 'ephemeral-storage' | 'pods', number>;
}

/** Capacity and allocatable a kubelet on `hw` with `config` (undefined: the AMI's defaults) reports. */
export function kubeletNodeResources(hw: KubeletHardware, config: ReadKubeletConfig | undefined, ephemeralBytes = DEFAULT_EPHEMERAL_STORAGE_BYTES): KubeletNodeResources {
  const eniPods = eniMaxPods(hw);
  let pods = config?.maxPods ?? eniPods;
  if (config?.podsPerCore && config.podsPerCore > 0) pods = Math.min(pods, config.podsPerCore * hw.vcpu);
  const capacity = {
    cpu: hw.vcpu * 1000,
    memory: (hw.memoryMiB - Math.ceil(hw.memoryMiB * VM_MEMORY_OVERHEAD)) * MiB,
    'ephemeral-storage': ephemeralBytes,
    pods,
  };
  // The AMI's kube-reserved: memory from the ENI max-pods of the type, whatever maxPods the config sets.
  const amiKubeReserved: Record<string, number> = { cpu: kubeReservedMillicores(hw.vcpu), memory: (11 * eniPods + 255) * MiB, 'ephemeral-storage': GiB };
  const given = Object.fromEntries(Object.entries(config?.kubeReserved ?? {}).map(([r, q]) => [r, amount(r, q)]));
  const kubeReserved = config?.kubeReservedReplaces ? given : { ...amiKubeReserved, ...given };
  const systemReserved = Object.fromEntries(Object.entries(config?.systemReserved ?? {}).map(([r, q]) => [r, amount(r, q)]));
  const hard = config?.evictionHard ?? KUBELET_EVICTION_HARD;
  const eviction: Record<string, number> = {
    memory: threshold(hard['memory.available'], capacity.memory),
    'ephemeral-storage': threshold(hard['nodefs.available'], capacity['ephemeral-storage']),
  };
  const allocatable = { ...capacity };
  for (const r of ['cpu', 'memory', 'ephemeral-storage'] as const) {
    allocatable[r] = Math.max(0, capacity[r] - (kubeReserved[r] ?? 0) - (systemReserved[r] ?? 0) - (eviction[r] ?? 0));
  }
  return { capacity, allocatable };
}
