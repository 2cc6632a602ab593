// The reconciler process's configuration: every setting has a flag, an environment
// variable (what the generated ConfigMap sets) and, unless required, a default. Flags win
// over the environment, the environment over defaults. Everything is validated before
// anything starts, and every problem is reported at once, naming the flag and the variable.

import { MIN_VALUES_POLICIES, type MinValuesPolicy } from '../../core/catalog/min-values.ts';
import { isIPv4, isIPv6 } from 'node:net';
import { redactUrl } from '../../core/redact-url.ts';
import { parseDuration, formatDuration } from '../../core/disruption/duration.ts';
import type { LogLevel } from '../observability/log.ts';

export interface LeaderElectionConfig {
  readonly enabled: boolean;
  /** Namespace and name of the coordination.k8s.io/v1 Lease. */
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica's identity in the Lease (the Pod name in a cluster). */
  readonly identity: string;
  /** Candidates wait this long after the last observed renewal before taking over. */
  readonly leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting (must be < leaseDurationMs). */
  readonly renewDeadlineMs: number;
  /** Interval between attempts to acquire or renew. */
  readonly retryPeriodMs: number;
}

export interface GitConfig {
  readonly url: string;
  readonly branch: string;
  /** Directory of the compiled manifests inside the repository. */
  readonly path: string;
  readonly pollIntervalMs: number;
  /** A mounted Secret: `username` + `password`, or `ssh-privatekey` (or `identity`) + `known_hosts`. */
  readonly credentialsDir: string | undefined;
  /** Follow only commits signed by a key in this SSH allowed-signers file. */
  readonly allowedSignersFile: string | undefined;
  /** Refuse a branch tip that does not descend from the commit in force (a force-push); default: warn and follow. */
  readonly refuseHistoryRewrites: boolean;
}

export interface ReconcilerProcessConfig {
  readonly clusterName: string;
  readonly region: string;
  /** What new nodes need to join the cluster (their user data). */
  readonly bootstrap: {
    /** The API server URL nodes reach (the EKS endpoint), not the in-cluster Service. */
    readonly endpoint: string;
    /** Base64 PEM; undefined: the CA of the kubeconfig (in-cluster: the ServiceAccount's ca.crt). */
    readonly certificateAuthority: string | undefined;
    readonly serviceCidr: string | undefined;
    readonly dnsClusterIP: string | undefined;
  };
  /** Kubernetes minor version AMI aliases resolve for ("1.33"); undefined: asked from the API server. */
  readonly kubernetesVersion: string | undefined;
  /** EC2 API endpoint override (VPC endpoint, or moto in tests). */
  readonly ec2Endpoint: string | undefined;
  /** IAM API endpoint override (moto in tests); instance profiles for EC2NodeClass roles. */
  readonly iamEndpoint: string | undefined;
  /** SSM API endpoint override (AMI aliases and ssmParameter terms). */
  readonly ssmEndpoint: string | undefined;
  /** Karpenter's ISOLATED_VPC: never ask the AWS Price List API; on-demand prices are the shipped table's. */
  readonly isolatedVpc: boolean;
  /** AWS Price List API endpoint override (VPC endpoint). */
  readonly pricingEndpoint: string | undefined;
  /** Where the intent comes from: the policy repository, or the objects Argo CD / Flux applied. */
  readonly intentSource: 'git' | 'cluster';
  /** Undefined when the intent source is the cluster. */
  readonly git: GitConfig | undefined;
  /** Writable scratch space (the git checkout); an emptyDir in the Pod. */
  readonly workDir: string;
  /** Path of a kubeconfig; undefined means in-cluster (the ServiceAccount token). */
  readonly kubeconfig: string | undefined;
  readonly leaderElection: LeaderElectionConfig;
  /** host:port of the HTTP server serving /metrics, /healthz and /readyz. */
  readonly listen: { readonly host: string; readonly port: number };
  readonly logLevel: LogLevel;
  /** On SIGTERM, how long in-flight work may take before it is abandoned. */
  readonly shutdownGracePeriodMs: number;
  readonly batchIdleMs: number;
  readonly batchMaxMs: number;
  readonly registrationTimeoutMs: number;
  readonly spotToSpotConsolidation: boolean;
  /** The SQS queue of interruption events (Karpenter's settings.interruptionQueue); undefined: none. */
  readonly interruptionQueue: string | undefined;
  /** SQS endpoint override (VPC endpoint). */
  readonly sqsEndpoint: string | undefined;
  readonly interruptionActOnRebalance: boolean;
  /** Karpenter's --min-values-policy. */
  readonly minValuesPolicy: MinValuesPolicy;
  /** Size new nodes of a rising ReplicaSet for its next step too (joinery's, README "Benchmarks"). */
  readonly sizeForArrivingDemand: boolean;
  /** How long after a pool's last launch for pending pods its replacements must score 1 (0: never held). */
  readonly consolidationRampReplacementMs: number;
  /** Karpenter's feature gates joinery honours. */
  readonly featureGates: { readonly nodeRepair: boolean; readonly podDeletionCostManagement: boolean };
}

/** One invalid or missing setting, in the user's terms. */
export interface ConfigProblem {
  /** `--flag` (env `VARIABLE`). */
  readonly setting: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.setting}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type Parser<T> = (text: string) => T;

interface SettingSpec<T> {
  readonly flag: string;
  /** Environment variables read in order; the first is the one the ConfigMap sets. */
  readonly env: readonly string[];
  readonly help: string;
  readonly parse: Parser<T>;
  /** A default as the user would write it, or a function of the environment; absent: required. */
  readonly default?: string | ((env: Environment) => string | undefined);
  readonly boolean?: boolean;
}

export type Environment = Readonly<Record<string, string | undefined>>;

// Parsers throw an Error whose message says what is wrong and how to fix it.

const text: Parser<string> = (s) => {
  if (s.trim() === '') throw new Error('is empty; give a value or leave the setting out');
  return s.trim();
};

function duration(min: number, max = Infinity): Parser<number> {
  return (s) => {
    let ms: number;
    try {
      ms = parseDuration(s);
    } catch {
      throw new Error(`"${s}" is not a duration; write e.g. "500ms", "15s", "2m" or "1h30m"`);
    }
    if (!(ms >= min && ms <= max)) {
      throw new Error(`${s} is out of range; use between ${formatDuration(min)} and ${Number.isFinite(max) ? formatDuration(max) : 'any longer time'}`);
    }
    return ms;
  };
}

const bool: Parser<boolean> = (s) => {
  const v = s.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new Error(`"${s}" is not a boolean; write true or false`);
};

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (s) => {
    if (!(values as readonly string[]).includes(s.trim())) throw new Error(`"${s}" is not one of ${values.join(', ')}`);
    return s.trim() as T;
  };
}

function pattern(re: RegExp, what: string): Parser<string> {
  return (s) => {
    const v = text(s);
    if (!re.test(v)) throw new Error(`"${v}" is not ${what}`);
    return v;
  };
}

const clusterName = pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'a cluster name (1-100 letters, digits, "-" or "_", starting with a letter or digit)');
const region = pattern(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/, 'an AWS region such as us-east-1');
const dnsLabel = pattern(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS-1123 label (lower-case letters, digits and "-", at most 63)');
const dnsSubdomain = pattern(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")');

const httpUrl: Parser<string> = (s) => {
  const v = text(s);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`"${redactUrl(v)}" is not a URL; write e.g. https://ec2.us-east-1.amazonaws.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${redactUrl(v)}" must be an http:// or https:// URL`);
  return v;
};

const gitUrl: Parser<string> = (s) => {
  const v = text(s);
  if (/^(https?|ssh|git|file):\/\/\S+$/.test(v) || /^[\w.-]+@[\w.-]+:\S+$/.test(v)) return v;
  throw new Error(`"${redactUrl(v)}" is not a git URL; write https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or file:///path/to/repo.git`);
};

const gitRef = pattern(/^(?!.*\.\.)(?!\/)(?!.*\/\/)(?!.*\.lock$)[^\s~^:?*[\\]+(?<!\/)$/, 'a valid git branch name');

const repoPath: Parser<string> = (s) => {
  const v = text(s).replace(/\/+$/, '');
  if (v.startsWith('/') || v.split('/').includes('..')) {
    throw new Error(`"${s}" must be a path inside the repository, relative to its root, without ".." (e.g. generated)`);
  }
  return v === '' ? '.' : v;
};

const absolutePath: Parser<string> = (s) => {
  const v = text(s);
  if (!v.startsWith('/')) throw new Error(`"${v}" must be an absolute path`);
  return v;
};

const anyPath: Parser<string> = text;

/**
 * The bind address of the metrics and health server: `host:port`. An empty host is every
 * IPv4 interface (0.0.0.0, the default `:8080`); an IPv4 address, `[IPv6]` (`[::]`: every
 * interface, dual-stack) or a host name binds that address only.
 */
const listen: Parser<{ host: string; port: number }> = (s) => {
  const v = text(s);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`"${v}" is not host:port; write e.g. ":8080" (every interface), "127.0.0.1:8080" or "[::]:8080"`);
  const raw = m[1]!;
  const host = raw === '' ? '0.0.0.0' : raw.replace(/^\[|\]$/g, '');
  const valid = raw.startsWith('[')
    ? isIPv6(host)
    : /^[\d.]+$/.test(host)
      ? isIPv4(host)
      : /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(host);
  if (!valid) throw new Error(`"${raw}" in "${v}" is not an IPv4 address, a bracketed IPv6 address or a host name; write e.g. "0.0.0.0:8080" or "[::]:8080"`);
  return { host, port };
};

const httpsUrl: Parser<string> = (s) => {
  const v = httpUrl(s);
  if (!v.startsWith('https://')) throw new Error(`"${redactUrl(v)}" must be an https:// URL (the API server endpoint nodes join)`);
  return v;
};

const base64Pem: Parser<string> = (s) => {
  const v = text(s).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v) || !Buffer.from(v, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('is not a base64-encoded PEM certificate bundle; give the cluster CA as `base64 -w0 ca.crt` prints it');
  }
  return v;
};

const cidr = pattern(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, 'a CIDR such as 10.100.0.0/16');
const ip = pattern(/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+$/, 'an IP address such as 10.100.0.10');
const minorVersion = pattern(/^1\.\d{1,3}$/, 'a Kubernetes minor version such as 1.33');

const queueName = pattern(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, "an SQS queue name (its name, not its URL: 1-80 letters, digits, '-' or '_')");

/** Karpenter's FEATURE_GATES syntax, `NodeRepair=true,...`; joinery knows NodeRepair. */
const minValuesPolicy: Parser<MinValuesPolicy> = (s) => {
  const v = MIN_VALUES_POLICIES.find((p) => p.toLowerCase() === s.trim().toLowerCase());
  if (!v) throw new Error(`"${s}" is not a minValues policy; use Strict or BestEffort`);
  return v;
};

/** The feature gates joinery knows, by Karpenter's name. */
const FEATURE_GATES = { NodeRepair: 'nodeRepair', PodDeletionCostManagement: 'podDeletionCostManagement' } as const;

const featureGates: Parser<{ nodeRepair: boolean; podDeletionCostManagement: boolean }> = (s) => {
  const gates = { nodeRepair: false, podDeletionCostManagement: false };
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(true|false)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not Name=true or Name=false (e.g. NodeRepair=true)`);
    const key = Object.hasOwn(FEATURE_GATES, m[1]!) ? FEATURE_GATES[m[1] as keyof typeof FEATURE_GATES] : undefined;
    if (!key) throw new Error(`feature gate ${m[1]} is not known to joinery; the ones it honours are ${Object.keys(FEATURE_GATES).join(' and ')}`);
    gates[key] = m[2] === 'true';
  }
  return gates;
};

const logLevel = oneOf<LogLevel>(['debug', 'info', 'warn', 'error']);

/** The identity defaults to the Pod name (downward API), else host name and process id. */
function defaultIdentity(env: Environment): string {
  return env.POD_NAME ?? `${env.HOSTNAME ?? 'joinery'}_${process.pid}`;
}

export const SETTINGS = {
  clusterName: { flag: 'cluster-name', env: ['JOINERY_CLUSTER_NAME'], help: 'EKS cluster name; instances are tagged kubernetes.io/cluster/<name>=owned', parse: clusterName },
  region: { flag: 'region', env: ['JOINERY_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'], help: 'AWS region of the cluster', parse: region },
  clusterEndpoint: { flag: 'cluster-endpoint', env: ['JOINERY_CLUSTER_ENDPOINT'], help: 'API server URL new nodes join (the EKS endpoint)', parse: httpsUrl },
  clusterCaBundle: {
    flag: 'cluster-ca-bundle',
    env: ['JOINERY_CLUSTER_CA_BUNDLE'],
    help: "cluster CA for new nodes, base64 PEM (default: the kubeconfig's, in-cluster the ServiceAccount's ca.crt)",
    parse: base64Pem,
    default: () => undefined,
  },
  serviceCidr: { flag: 'service-cidr', env: ['JOINERY_SERVICE_CIDR'], help: 'Service CIDR for node bootstrap (AL2023)', parse: cidr, default: () => undefined },
  clusterDnsIp: { flag: 'cluster-dns-ip', env: ['JOINERY_CLUSTER_DNS_IP'], help: 'kube-dns Service IP for node bootstrap', parse: ip, default: () => undefined },
  kubernetesVersion: { flag: 'kubernetes-version', env: ['JOINERY_KUBERNETES_VERSION'], help: 'minor version AMI aliases resolve for (default: asked from the API server)', parse: minorVersion, default: () => undefined },
  ec2Endpoint: { flag: 'ec2-endpoint', env: ['JOINERY_EC2_ENDPOINT'], help: 'EC2 API endpoint override (VPC endpoint)', parse: httpUrl, default: () => undefined },
  iamEndpoint: { flag: 'iam-endpoint', env: ['JOINERY_IAM_ENDPOINT'], help: 'IAM API endpoint override (instance profiles of EC2NodeClass roles)', parse: httpUrl, default: () => undefined },
  ssmEndpoint: { flag: 'ssm-endpoint', env: ['JOINERY_SSM_ENDPOINT'], help: 'SSM API endpoint override (VPC endpoint); AMI aliases and ssmParameter terms are read from SSM', parse: httpUrl, default: () => undefined },
  isolatedVpc: {
    flag: 'isolated-vpc',
    env: ['JOINERY_ISOLATED_VPC', 'ISOLATED_VPC'],
    help: "never ask the AWS Price List API (Karpenter's ISOLATED_VPC): on-demand prices stay the shipped us-east-1 table's, a proxy in other regions",
    parse: bool,
    default: 'false',
    boolean: true,
  },
  pricingEndpoint: { flag: 'pricing-endpoint', env: ['JOINERY_PRICING_ENDPOINT'], help: 'AWS Price List API endpoint override (VPC endpoint)', parse: httpUrl, default: () => undefined },
  intentSource: {
    flag: 'intent-source',
    env: ['JOINERY_INTENT_SOURCE'],
    help: 'git: pull the policy repository; cluster: the NodePools and EC2NodeClasses Argo CD or Flux applied',
    parse: oneOf(['git', 'cluster'] as const),
    default: 'git',
  },
  gitUrl: { flag: 'git-url', env: ['JOINERY_GIT_URL'], help: 'repository holding the compiled policies (required with --intent-source=git)', parse: gitUrl, default: () => undefined },
  gitBranch: { flag: 'git-branch', env: ['JOINERY_GIT_BRANCH'], help: 'branch to follow', parse: gitRef, default: 'main' },
  gitPath: { flag: 'git-path', env: ['JOINERY_GIT_PATH'], help: 'directory of the compiled manifests in the repository', parse: repoPath, default: 'generated' },
  gitPollInterval: { flag: 'git-poll-interval', env: ['JOINERY_GIT_POLL_INTERVAL'], help: 'how often to fetch the branch', parse: duration(1_000, 24 * 3_600_000), default: '1m' },
  gitCredentialsDir: { flag: 'git-credentials-dir', env: ['JOINERY_GIT_CREDENTIALS_DIR'], help: 'directory of the mounted git credentials Secret', parse: absolutePath, default: () => undefined },
  gitAllowedSigners: {
    flag: 'git-allowed-signers',
    env: ['JOINERY_GIT_ALLOWED_SIGNERS'],
    help: 'follow only commits signed by a key in this SSH allowed-signers file',
    parse: absolutePath,
    default: () => undefined,
  },
  gitRefuseHistoryRewrites: {
    flag: 'git-refuse-history-rewrites',
    env: ['JOINERY_GIT_REFUSE_HISTORY_REWRITES'],
    help: 'refuse a branch tip that does not descend from the commit in force (a force-push) instead of warning and following it',
    parse: bool,
    default: 'false',
    boolean: true,
  },
  workDir: { flag: 'work-dir', env: ['JOINERY_WORK_DIR'], help: 'writable directory for the git checkout', parse: absolutePath, default: '/tmp/joinery' },
  kubeconfig: { flag: 'kubeconfig', env: ['KUBECONFIG'], help: 'kubeconfig file; in-cluster ServiceAccount when unset', parse: anyPath, default: () => undefined },
  leaderElect: { flag: 'leader-elect', env: ['JOINERY_LEADER_ELECT'], help: 'elect one active replica with a Lease', parse: bool, default: 'true', boolean: true },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: ['JOINERY_LEADER_ELECTION_NAMESPACE', 'POD_NAMESPACE'],
    help: 'namespace of the Lease (defaults to the Pod namespace)',
    parse: dnsLabel,
    default: () => undefined,
  },
  leaderElectionLeaseName: { flag: 'leader-election-lease-name', env: ['JOINERY_LEADER_ELECTION_LEASE_NAME'], help: 'name of the Lease', parse: dnsSubdomain, default: 'joinery-reconciler' },
  leaderElectionLeaseDuration: {
    flag: 'leader-election-lease-duration',
    env: ['JOINERY_LEADER_ELECTION_LEASE_DURATION'],
    help: 'how long candidates wait after the last renewal before taking over (whole seconds)',
    parse: duration(1_000, 10 * 60_000),
    default: '15s',
  },
  leaderElectionRenewDeadline: {
    flag: 'leader-election-renew-deadline',
    env: ['JOINERY_LEADER_ELECTION_RENEW_DEADLINE'],
    help: 'a leader that cannot renew for this long stops acting',
    parse: duration(100, 10 * 60_000),
    default: '10s',
  },
  leaderElectionRetryPeriod: {
    flag: 'leader-election-retry-period',
    env: ['JOINERY_LEADER_ELECTION_RETRY_PERIOD'],
    help: 'interval between acquire and renew attempts',
    parse: duration(50, 60_000),
    default: '2s',
  },
  identity: { flag: 'identity', env: ['JOINERY_IDENTITY'], help: 'holder identity in the Lease (defaults to POD_NAME)', parse: text, default: defaultIdentity },
  listenAddress: {
    flag: 'listen-address',
    env: ['JOINERY_LISTEN_ADDRESS'],
    help:
      'bind address (host:port) of the server of /metrics, /healthz and /readyz: ":8080" every IPv4 interface, "[::]:8080" every interface (dual-stack), ' +
      '"10.0.1.23:8080" one address; on loopback ("127.0.0.1:8080") the kubelet probes and Prometheus cannot reach it',
    parse: listen,
    default: ':8080',
  },
  logLevel: { flag: 'log-level', env: ['JOINERY_LOG_LEVEL'], help: 'debug, info, warn or error', parse: logLevel, default: 'info' },
  shutdownGracePeriod: {
    flag: 'shutdown-grace-period',
    env: ['JOINERY_SHUTDOWN_GRACE_PERIOD'],
    help: 'on SIGTERM, how long in-flight launches may run before being abandoned',
    parse: duration(0, 10 * 60_000),
    default: '20s',
  },
  batchIdleDuration: { flag: 'batch-idle-duration', env: ['JOINERY_BATCH_IDLE_DURATION'], help: 'provisioning batch closes after this long without new pending pods', parse: duration(10, 60_000), default: '1s' },
  batchMaxDuration: { flag: 'batch-max-duration', env: ['JOINERY_BATCH_MAX_DURATION'], help: 'provisioning batch closes at the latest after this long (pods arriving later go into the next batch)', parse: duration(10, 10 * 60_000), default: '1s' },
  registrationTimeout: { flag: 'registration-timeout', env: ['JOINERY_REGISTRATION_TIMEOUT'], help: 'a node that has not registered by then is terminated', parse: duration(10_000, 3_600_000), default: '15m' },
  spotToSpotConsolidation: {
    flag: 'spot-to-spot-consolidation',
    env: ['JOINERY_SPOT_TO_SPOT_CONSOLIDATION'],
    help: 'replace spot nodes with cheaper spot nodes',
    parse: bool,
    default: 'false',
    boolean: true,
  },
  interruptionQueue: {
    flag: 'interruption-queue',
    env: ['JOINERY_INTERRUPTION_QUEUE'],
    help: 'name of the SQS queue EventBridge feeds with spot interruptions, rebalance recommendations, scheduled changes and state changes (none: not handled)',
    parse: queueName,
    default: () => undefined,
  },
  sqsEndpoint: { flag: 'sqs-endpoint', env: ['JOINERY_SQS_ENDPOINT'], help: 'SQS API endpoint override (VPC endpoint)', parse: httpUrl, default: () => undefined },
  interruptionActOnRebalance: {
    flag: 'interruption-act-on-rebalance',
    env: ['JOINERY_INTERRUPTION_ACT_ON_REBALANCE'],
    help: 'replace nodes on a rebalance recommendation too (default: record only, as Karpenter)',
    parse: bool,
    default: 'false',
    boolean: true,
  },
  minValuesPolicy: {
    flag: 'min-values-policy',
    env: ['JOINERY_MIN_VALUES_POLICY', 'MIN_VALUES_POLICY'],
    help: "Karpenter's minValues policy: Strict (a NodeClaim that cannot keep minValues distinct values is not launched, and its pods say why) or BestEffort (relax minValues, log it and count it in joinery_nodeclaims_min_values_relaxed_total)",
    parse: minValuesPolicy,
    default: 'Strict',
  },
  sizeForArrivingDemand: {
    flag: 'size-for-arriving-demand',
    env: ['JOINERY_SIZE_FOR_ARRIVING_DEMAND'],
    help: 'size the new nodes of a ReplicaSet whose pods arrive in steps (two earlier steps within 15 minutes) for one more step, no larger than its smallest recent step (no node is launched for that step alone); --no-size-for-arriving-demand sizes each batch alone, as Karpenter',
    parse: bool,
    default: 'true',
    boolean: true,
  },
  consolidationRampReplacement: {
    flag: 'consolidation-ramp-replacement-duration',
    env: ['JOINERY_CONSOLIDATION_RAMP_REPLACEMENT_DURATION'],
    help: "for this long after a NodePool launched a node for pending pods, a consolidation replacement of its nodes must save at least its share of the pool's disruption cost (Balanced's score with k = 1); deletions are not held; 0s: replace for any saving, as Karpenter",
    parse: duration(0, 24 * 3_600_000),
    default: '10m',
  },
  featureGates: {
    flag: 'feature-gates',
    env: ['JOINERY_FEATURE_GATES', 'FEATURE_GATES'],
    help: "Karpenter's feature gates: NodeRepair=true turns on node auto-repair for the NodePools that opt in; PodDeletionCostManagement=true writes controller.kubernetes.io/pod-deletion-cost on ReplicaSet pods of joinery's nodes so that scale-ins empty the node consolidation would remove first",
    parse: featureGates,
    default: 'NodeRepair=false',
  },
} as const satisfies Record<string, SettingSpec<unknown>>;

export type SettingName = keyof typeof SETTINGS;
type SettingValue<N extends SettingName> = ReturnType<(typeof SETTINGS)[N]['parse']>;

/** The environment variable a setting is configured by in the generated ConfigMap. */
export function envVarOf(name: SettingName): string {
  return SETTINGS[name].env[0]!;
}

/** Every environment variable the process reads, canonical names first. */
export function knownEnvVars(): readonly string[] {
  return Object.values(SETTINGS).flatMap((s) => s.env);
}

function label(spec: SettingSpec<unknown>): string {
  return `--${spec.flag} (env ${spec.env.join(' or ')})`;
}

/** Splits `--flag value`, `--flag=value`, `--flag` and `--no-flag` (booleans). */
function parseFlags(argv: readonly string[]): { values: Map<string, string>; problems: ConfigProblem[] } {
  const byFlag = new Map<string, [SettingName, SettingSpec<unknown>]>(
    (Object.entries(SETTINGS) as [SettingName, SettingSpec<unknown>][]).map(([n, s]) => [s.flag, [n, s]]),
  );
  const values = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      problems.push({ setting: arg, message: 'unexpected argument; every setting is a --flag (see `joinery reconcile --help`)' });
      continue;
    }
    let flag = m[1]!;
    let value = m[2];
    if (!byFlag.has(flag) && flag.startsWith('no-') && byFlag.get(flag.slice(3))?.[1].boolean && value === undefined) {
      flag = flag.slice(3);
      value = 'false';
    }
    const entry = byFlag.get(flag);
    if (!entry) {
      problems.push({ setting: `--${flag}`, message: 'unknown flag (see `joinery reconcile --help`)' });
      continue;
    }
    const [name, spec] = entry;
    if (value === undefined) {
      if (spec.boolean) value = 'true';
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
      else {
        problems.push({ setting: label(spec), message: 'needs a value' });
        continue;
      }
    }
    if (values.has(name)) problems.push({ setting: label(spec), message: 'given twice; keep one' });
    values.set(name, value);
  }
  return { values, problems };
}

/**
 * Reads and validates the configuration from flags and the environment. Throws a
 * ConfigError listing every problem.
 */
export function loadConfig(argv: readonly string[], env: Environment): ReconcilerProcessConfig {
  const { values: flags, problems } = parseFlags(argv);
  const resolved = new Map<SettingName, unknown>();

  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec<unknown>][]) {
    let raw = flags.get(name);
    let source = `--${spec.flag}`;
    if (raw === undefined) {
      const envName = spec.env.find((e) => env[e] !== undefined && env[e] !== '');
      if (envName) {
        raw = env[envName];
        source = envName;
      }
    }
    if (raw === undefined) {
      const d = typeof spec.default === 'function' ? spec.default(env) : spec.default;
      if (d === undefined) {
        if (!('default' in spec)) problems.push({ setting: label(spec), message: `is required; ${spec.help}` });
        resolved.set(name, undefined);
        continue;
      }
      raw = d;
      source = 'default';
    }
    try {
      resolved.set(name, spec.parse(raw));
    } catch (err) {
      problems.push({ setting: label(spec), message: `${(err as Error).message}${source === 'default' ? '' : ` (from ${source})`}` });
    }
  }

  // Required settings (and those with defaults) are defined once no problem was found.
  const get = <N extends SettingName>(n: N) => resolved.get(n) as SettingValue<N>;
  const optional = <N extends SettingName>(n: N) => resolved.get(n) as SettingValue<N> | undefined;
  const problemAt = (n: SettingName, message: string) => problems.push({ setting: label(SETTINGS[n]), message });
  const failed = (n: SettingName) => problems.some((p) => p.setting === label(SETTINGS[n]));

  // Relations between settings.
  const leaderElect = get('leaderElect');
  const lease = get('leaderElectionLeaseDuration');
  const renew = get('leaderElectionRenewDeadline');
  const retry = get('leaderElectionRetryPeriod');
  if (leaderElect) {
    if (optional('leaderElectionNamespace') === undefined && !failed('leaderElectionNamespace')) {
      problemAt('leaderElectionNamespace', 'is required with leader election; set POD_NAMESPACE from the downward API or pass --leader-election-namespace');
    }
    if (lease !== undefined && lease % 1000 !== 0) {
      problemAt('leaderElectionLeaseDuration', `${formatDuration(lease)} is not whole seconds (Lease.spec.leaseDurationSeconds is an integer); round it`);
    }
    if (lease !== undefined && renew !== undefined && renew >= lease) {
      problemAt('leaderElectionRenewDeadline', `${formatDuration(renew)} must be shorter than the lease duration (${formatDuration(lease)}), or a leader could still act after another took over`);
    }
    if (renew !== undefined && retry !== undefined && renew <= retry * 1.2) {
      problemAt('leaderElectionRetryPeriod', `${formatDuration(retry)} leaves no room for a retry before the renew deadline (${formatDuration(renew)}); make it at most ${formatDuration(renew / 1.2)}`);
    }
  }
  const intentSource = get('intentSource');
  if (intentSource === 'git' && optional('gitUrl') === undefined && !failed('gitUrl')) {
    problemAt('gitUrl', 'is required with --intent-source=git; give the URL of the repository holding the compiled policies');
  }
  const idle = get('batchIdleDuration');
  const max = get('batchMaxDuration');
  if (idle !== undefined && max !== undefined && idle > max) {
    problemAt('batchIdleDuration', `${formatDuration(idle)} is longer than --batch-max-duration (${formatDuration(max)}); the idle window must fit in the maximum`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    clusterName: get('clusterName'),
    region: get('region'),
    bootstrap: {
      endpoint: get('clusterEndpoint'),
      certificateAuthority: optional('clusterCaBundle'),
      serviceCidr: optional('serviceCidr'),
      dnsClusterIP: optional('clusterDnsIp'),
    },
    kubernetesVersion: optional('kubernetesVersion'),
    ec2Endpoint: optional('ec2Endpoint'),
    iamEndpoint: optional('iamEndpoint'),
    ssmEndpoint: optional('ssmEndpoint'),
    isolatedVpc: get('isolatedVpc'),
    pricingEndpoint: optional('pricingEndpoint'),
    intentSource,
    git:
      intentSource === 'git'
        ? {
            url: get('gitUrl'),
            branch: get('gitBranch'),
            path: get('gitPath'),
            pollIntervalMs: get('gitPollInterval'),
            credentialsDir: optional('gitCredentialsDir'),
            allowedSignersFile: optional('gitAllowedSigners'),
            refuseHistoryRewrites: get('gitRefuseHistoryRewrites'),
          }
        : undefined,
    workDir: get('workDir'),
    kubeconfig: optional('kubeconfig'),
    leaderElection: {
      enabled: leaderElect,
      namespace: optional('leaderElectionNamespace') ?? '',
      leaseName: get('leaderElectionLeaseName'),
      identity: get('identity'),
      leaseDurationMs: lease,
      renewDeadlineMs: renew,
      retryPeriodMs: retry,
    },
    listen: get('listenAddress'),
    logLevel: get('logLevel'),
    shutdownGracePeriodMs: get('shutdownGracePeriod'),
    batchIdleMs: idle,
    batchMaxMs: max,
    registrationTimeoutMs: get('registrationTimeout'),
    spotToSpotConsolidation: get('spotToSpotConsolidation'),
    interruptionQueue: optional('interruptionQueue'),
    sqsEndpoint: optional('sqsEndpoint'),
    interruptionActOnRebalance: get('interruptionActOnRebalance'),
    minValuesPolicy: get('minValuesPolicy'),
    sizeForArrivingDemand: get('sizeForArrivingDemand'),
    consolidationRampReplacementMs: get('consolidationRampReplacement'),
    featureGates: get('featureGates'),
  };
}

/** `joinery reconcile --help`. */
export function configHelp(): string {
  const rows = Object.values(SETTINGS as Record<string, SettingSpec<unknown>>).map((s) => {
    const d = typeof s.default === 'string' ? ` (default ${s.default})` : s.default === undefined ? ' (required)' : '';
    return `  --${s.flag}${s.boolean ? '' : ' <value>'}\n      ${s.help}${d}\n      env: ${s.env.join(', ')}`;
  });
  return `Usage: joinery reconcile [flags]\n\nRuns the reconciler against the cluster in the kubeconfig (in-cluster by default) and EC2.\nFlags win over environment variables.\n\n${rows.join('\n')}\n`;
}
