// User data per AMI family: what makes a fresh instance join the cluster as the node the
// NodeClaim describes. Labels and taints are passed to the kubelet at registration
// (--node-labels, --register-with-taints), with karpenter.sh/unregistered:NoExecute so no
// pod lands before the lifecycle controller has synced the claim onto the Node, exactly
// as Karpenter's AWS provider bootstraps nodes. The kubelet settings go where each family
// reads them: AL2023 the NodeConfig's spec.kubelet.config, AL2 bootstrap.sh's
// --kubelet-extra-args, Bottlerocket settings.kubernetes (max-pods carries podsPerCore's
// effect there: Bottlerocket has no pods-per-core setting). The class's own spec.userData is merged
// in (AL2, AL2023: as MIME parts before ours) or used verbatim (Custom).

import { stringify } from 'yaml';
import type { NodeClaimTaint } from '../../../core/api/karpenter.ts';
import type { AmiFamily } from '../../../core/contract/ami.ts';
import type { NodeKubeletConfig } from './kubelet-config.ts';

export interface ClusterBootstrap {
  readonly name: string;
  /** https://... of the kube-apiserver. */
  readonly endpoint: string;
  /** The cluster CA bundle, base64-encoded PEM. */
  readonly certificateAuthority: string;
  /** Service CIDR (AL2023's nodeadm wants it). */
  readonly serviceCidr?: string;
  /** kube-dns Service IP. */
  readonly dnsClusterIP?: string;
}

export interface BootstrapOptions {
  readonly family: AmiFamily;
  readonly cluster: ClusterBootstrap;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeClaimTaint[];
  /** The node's kubelet settings (./kubelet-config.ts); none = the AMI's defaults. */
  readonly kubelet?: NodeKubeletConfig;
  /** The EC2NodeClass's spec.userData, if any. */
  readonly customUserData?: string;
  /** spec.instanceStorePolicy: RAID0 assembles the instance-store NVMe volumes for the kubelet, as Karpenter asks each family. */
  readonly instanceStorePolicy?: 'RAID0';
  /** For errors: the class name. */
  readonly nodeClassName: string;
}

export class UserDataError extends Error {
  constructor(nodeClass: string, message: string, fix: string) {
    super(`EC2NodeClass ${nodeClass}: spec.userData ${message}; ${fix}`);
    this.name = 'UserDataError';
  }
}

/** Label domains the kubelet may not set on itself (NodeRestriction), except the allowed ones. */
const KUBELET_ALLOWED_LABELS = new Set([
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
]);

function kubeletMaySet(key: string): boolean {
  const domain = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  const restricted = domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io') || domain === 'k8s.io' || domain.endsWith('.k8s.io');
  if (!restricted) return true;
  return KUBELET_ALLOWED_LABELS.has(key) || domain === 'kubelet.kubernetes.io' || domain === 'node.kubernetes.io';
}

/** The labels a kubelet is allowed to register with, sorted (stable user data, stable launch templates). */
export function registrationLabels(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels)
    .filter(([k]) => kubeletMaySet(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function labelFlag(labels: Readonly<Record<string, string>>): string | undefined {
  const pairs = registrationLabels(labels);
  return pairs.length ? `--node-labels="${pairs.map(([k, v]) => `${k}=${v}`).join(',')}"` : undefined;
}

function taintSpec(t: NodeClaimTaint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function taintFlag(taints: readonly NodeClaimTaint[]): string | undefined {
  return taints.length ? `--register-with-taints="${taints.map(taintSpec).join(',')}"` : undefined;
}

const BOUNDARY = '//';

interface MimePart {
  readonly contentType: string;
  readonly body: string;
}

/** Splits MIME multipart user data into parts; plain user data is one part of a guessed type. */
export function mimeParts(userData: string, nodeClass: string): MimePart[] {
  const text = userData.replace(/\r\n/g, '\n');
  const header = /^MIME-Version:\s*1\.0\s*\nContent-Type:\s*multipart\/mixed;\s*boundary="?([^"\n]+)"?\s*\n/im.exec(text);
  if (!header) {
    const trimmed = text.trimStart();
    const contentType = trimmed.startsWith('apiVersion: node.eks.aws/') ? 'application/node.eks.aws' : trimmed.startsWith('#cloud-config') ? 'text/cloud-config' : 'text/x-shellscript; charset="us-ascii"';
    return [{ contentType, body: text }];
  }
  const boundary = header[1]!;
  const parts: MimePart[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const sep = chunk.indexOf('\n\n');
    if (sep < 0) continue;
    const headers = chunk.slice(0, sep);
    const contentType = /Content-Type:\s*([^\n]+)/i.exec(headers)?.[1]?.trim();
    if (!contentType) throw new UserDataError(nodeClass, 'has a MIME part without Content-Type', 'give every part a Content-Type header');
    parts.push({ contentType, body: chunk.slice(sep + 2).replace(/\n+$/, '') });
  }
  return parts;
}

function mime(parts: readonly MimePart[]): string {
  const body = parts.map((p) => `--${BOUNDARY}\nContent-Type: ${p.contentType}\n\n${p.body.replace(/\n*$/, '')}\n`).join('\n');
  return `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${BOUNDARY}"\n\n${body}\n--${BOUNDARY}--\n`;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** The KubeletConfiguration fields of the node, keys sorted (as Karpenter's YAML marshalling sorts them). */
function kubeletConfigObject(o: BootstrapOptions): Record<string, unknown> {
  const k = o.kubelet;
  const dns = k?.clusterDNS ?? (o.cluster.dnsClusterIP ? [o.cluster.dnsClusterIP] : undefined);
  const config: Record<string, unknown> = { ...(k ?? {}), ...(dns ? { clusterDNS: dns } : {}) };
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([kk, vv]) => [kk, sorted(vv)])) : v;
  return sorted(config) as Record<string, unknown>;
}

function al2023(o: BootstrapOptions): string {
  const flags = [labelFlag(o.labels), taintFlag(o.taints)].filter((f): f is string => f !== undefined);
  const config = kubeletConfigObject(o);
  const configLines = Object.keys(config).length
    ? stringify(config, { lineWidth: 0 }).replace(/\n$/, '').split('\n').map((l) => `      ${l}`)
    : ['      {}'];
  const lines = [
    'apiVersion: node.eks.aws/v1alpha1',
    'kind: NodeConfig',
    'spec:',
    '  cluster:',
    `    apiServerEndpoint: ${yamlString(o.cluster.endpoint)}`,
    `    certificateAuthority: ${yamlString(o.cluster.certificateAuthority)}`,
    ...(o.cluster.serviceCidr ? [`    cidr: ${yamlString(o.cluster.serviceCidr)}`] : []),
    `    name: ${yamlString(o.cluster.name)}`,
    // nodeadm's local storage: the instance-store volumes as one RAID0 array under the kubelet and containerd.
    ...(o.instanceStorePolicy === 'RAID0' ? ['  instance:', '    localStorage:', '      strategy: RAID0'] : []),
    '  kubelet:',
    '    config:',
    ...configLines,
    '    flags:',
    // Plain scalars, as Karpenter writes them: nodeadm hands them to the kubelet verbatim.
    ...flags.map((f) => `    - ${f}`),
  ];
  const ours: MimePart = { contentType: 'application/node.eks.aws', body: lines.join('\n') };
  return mime([...(o.customUserData ? mimeParts(o.customUserData, o.nodeClassName) : []), ours]);
}

/** `name="k1<sep>v1,k2<sep>v2"`, keys sorted; undefined for an absent or empty map. */
function mapFlag(name: string, map: Readonly<Record<string, string>> | undefined, sep: string): string | undefined {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? `${name}="${entries.map(([k, v]) => `${k}${sep}${v}`).join(',')}"` : undefined;
}

/** The kubelet's own flags for the node's settings (AL2 --kubelet-extra-args, Windows -KubeletExtraArgs), as Karpenter writes them. */
function kubeletFlags(o: BootstrapOptions): string[] {
  const k = o.kubelet;
  return [
    labelFlag(o.labels),
    taintFlag(o.taints),
    k ? `--max-pods=${k.maxPods}` : undefined,
    k?.podsPerCore !== undefined ? `--pods-per-core=${k.podsPerCore}` : undefined,
    mapFlag('--system-reserved', k?.systemReserved, '='),
    mapFlag('--kube-reserved', k?.kubeReserved, '='),
    mapFlag('--eviction-hard', k?.evictionHard, '<'),
    mapFlag('--eviction-soft', k?.evictionSoft, '<'),
    mapFlag('--eviction-soft-grace-period', k?.evictionSoftGracePeriod, '='),
    k?.evictionMaxPodGracePeriod !== undefined ? `--eviction-max-pod-grace-period=${k.evictionMaxPodGracePeriod}` : undefined,
    k?.imageGCHighThresholdPercent !== undefined ? `--image-gc-high-threshold=${k.imageGCHighThresholdPercent}` : undefined,
    k?.imageGCLowThresholdPercent !== undefined ? `--image-gc-low-threshold=${k.imageGCLowThresholdPercent}` : undefined,
    k?.cpuCFSQuota !== undefined ? `--cpu-cfs-quota=${k.cpuCFSQuota}` : undefined,
    // bootstrap.sh's --dns-cluster-ip takes one address; the kubelet's flag takes them all.
    k?.clusterDNS && k.clusterDNS.length > 1 ? `--cluster-dns=${k.clusterDNS.join(',')}` : undefined,
  ].filter((f): f is string => f !== undefined);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

function al2(o: BootstrapOptions): string {
  const extra = kubeletFlags(o).join(' ');
  const dns = o.kubelet?.clusterDNS?.[0] ?? o.cluster.dnsClusterIP;
  const script = [
    '#!/bin/bash -xe',
    'exec > >(tee /var/log/user-data.log|logger -t user-data -s 2>/dev/console) 2>&1',
    `/etc/eks/bootstrap.sh ${shellQuote(o.cluster.name)} --apiserver-endpoint ${shellQuote(o.cluster.endpoint)} --b64-cluster-ca ${shellQuote(o.cluster.certificateAuthority)} \\`,
    ...(dns ? [`--dns-cluster-ip ${shellQuote(dns)} \\`] : []),
    ...(o.kubelet ? ['--use-max-pods false \\'] : []),
    `--kubelet-extra-args ${shellQuote(extra)}${o.instanceStorePolicy === 'RAID0' ? ' \\' : ''}`,
    // bootstrap.sh's setup-local-disks: the instance-store volumes as one RAID0 array under the kubelet and containerd.
    ...(o.instanceStorePolicy === 'RAID0' ? ['--local-disks raid0'] : []),
  ].join('\n');
  return mime([...(o.customUserData ? mimeParts(o.customUserData, o.nodeClassName) : []), { contentType: 'text/x-shellscript; charset="us-ascii"', body: script }]);
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** The [settings.kubernetes.*] tables joinery writes for Bottlerocket. */
const BOTTLEROCKET_TABLES = ['node-labels', 'node-taints', 'system-reserved', 'kube-reserved', 'eviction-hard', 'eviction-soft', 'eviction-soft-grace-period'];

function tomlTable(name: string, map: Readonly<Record<string, string>> | undefined): string[] {
  if (!map) return [];
  return ['', `[settings.kubernetes.${name}]`, ...Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${tomlString(k)} = ${tomlString(v)}`)];
}

/** The bootstrap command Karpenter names for RAID0 instance storage on Bottlerocket. */
const BOTTLEROCKET_RAID0_COMMAND = '000-mount-instance-storage';

function bottlerocket(o: BootstrapOptions): string {
  const custom = o.customUserData ?? '';
  if (o.instanceStorePolicy === 'RAID0' && custom.includes(`[settings.bootstrap-commands.${BOTTLEROCKET_RAID0_COMMAND}]`)) {
    throw new UserDataError(o.nodeClassName, `defines [settings.bootstrap-commands.${BOTTLEROCKET_RAID0_COMMAND}], which joinery writes for instanceStorePolicy RAID0`, 'remove that table, or remove instanceStorePolicy');
  }
  for (const table of ['[settings.kubernetes]', ...BOTTLEROCKET_TABLES.map((t) => `[settings.kubernetes.${t}]`)]) {
    if (custom.includes(table)) {
      throw new UserDataError(o.nodeClassName, `defines ${table}, which joinery writes for Bottlerocket`, 'move those settings into the EC2NodeClass (kubelet, NodePool labels and taints) or use amiFamily Custom');
    }
  }
  const k = o.kubelet;
  const dns = k?.clusterDNS ?? (o.cluster.dnsClusterIP ? [o.cluster.dnsClusterIP] : []);
  const byKey = new Map<string, string[]>();
  for (const t of o.taints) byKey.set(t.key, [...(byKey.get(t.key) ?? []), `${t.value ?? ''}:${t.effect}`]);
  const lines = [
    '[settings.kubernetes]',
    `api-server = ${tomlString(o.cluster.endpoint)}`,
    `cluster-certificate = ${tomlString(o.cluster.certificateAuthority)}`,
    `cluster-name = ${tomlString(o.cluster.name)}`,
    ...(dns.length === 1 ? [`cluster-dns-ip = ${tomlString(dns[0]!)}`] : dns.length > 1 ? [`cluster-dns-ip = [${dns.map(tomlString).join(', ')}]`] : []),
    ...(k ? [`max-pods = ${k.maxPods}`] : []),
    ...(k?.evictionMaxPodGracePeriod !== undefined ? [`eviction-max-pod-grace-period = ${k.evictionMaxPodGracePeriod}`] : []),
    // Strings, as Karpenter writes them (Bottlerocket's model takes the percentage as text).
    ...(k?.imageGCHighThresholdPercent !== undefined ? [`image-gc-high-threshold-percent = ${tomlString(String(k.imageGCHighThresholdPercent))}`] : []),
    ...(k?.imageGCLowThresholdPercent !== undefined ? [`image-gc-low-threshold-percent = ${tomlString(String(k.imageGCLowThresholdPercent))}`] : []),
    ...(k?.cpuCFSQuota !== undefined ? [`cpu-cfs-quota-enforced = ${k.cpuCFSQuota}`] : []),
    '',
    '[settings.kubernetes.node-labels]',
    ...registrationLabels(o.labels).map(([key, v]) => `${tomlString(key)} = ${tomlString(v)}`),
    '',
    '[settings.kubernetes.node-taints]',
    ...[...byKey].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, vs]) => `${tomlString(key)} = [${vs.map(tomlString).join(', ')}]`),
    ...tomlTable('system-reserved', k?.systemReserved),
    ...tomlTable('kube-reserved', k?.kubeReserved),
    ...tomlTable('eviction-hard', k?.evictionHard),
    ...tomlTable('eviction-soft', k?.evictionSoft),
    ...tomlTable('eviction-soft-grace-period', k?.evictionSoftGracePeriod),
    // Karpenter's bootstrap command: the instance-store volumes as ephemeral storage, bound under the kubelet and containerd.
    ...(o.instanceStorePolicy === 'RAID0'
      ? [
          '',
          `[settings.bootstrap-commands.${BOTTLEROCKET_RAID0_COMMAND}]`,
          'commands = [["apiclient", "ephemeral-storage", "init"], ["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]]',
          'essential = true',
          'mode = "always"',
        ]
      : []),
  ];
  return `${custom ? `${custom.replace(/\n*$/, '')}\n\n` : ''}${lines.join('\n')}\n`;
}

function windows(o: BootstrapOptions): string {
  const extra = kubeletFlags(o).join(' ');
  const ps = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return [
    '<powershell>',
    ...(o.customUserData ? [o.customUserData.replace(/<\/?powershell>/g, '').trim()] : []),
    '[string]$EKSBootstrapScriptFile = "$env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1"',
    `& $EKSBootstrapScriptFile -EKSClusterName ${ps(o.cluster.name)} -APIServerEndpoint ${ps(o.cluster.endpoint)} -Base64ClusterCA ${ps(o.cluster.certificateAuthority)} -KubeletExtraArgs ${ps(extra)}${o.cluster.dnsClusterIP ? ` -DNSClusterIP ${ps(o.cluster.dnsClusterIP)}` : ''}`,
    '</powershell>',
    '',
  ].join('\n');
}

/** The user data (plain text; base64 it for EC2) for a node of this family. */
export function bootstrapUserData(o: BootstrapOptions): string {
  switch (o.family) {
    case 'AL2023':
      return al2023(o);
    case 'AL2':
      return al2(o);
    case 'Bottlerocket':
      return bottlerocket(o);
    case 'Windows2019':
    case 'Windows2022':
    case 'Windows2025':
      return windows(o);
    case 'Custom':
      return o.customUserData ?? '';
  }
}
