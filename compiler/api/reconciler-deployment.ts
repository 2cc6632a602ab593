// ReconcilerDeployment: how the joinery reconciler runs in this cluster. Declared once, in
// any policy file; `joinery compile` turns it into generated/reconciler/ (Deployment,
// ServiceAccount, RBAC, Service, ConfigMap, PodDisruptionBudget, NetworkPolicy) and the IAM policy
// document its role needs (generated/reconciler/iam-policy.json).
//
//   new ReconcilerDeployment(policy, 'reconciler', {
//     image: 'ghcr.io/acme/joinery:0.4.1',
//     clusterName: 'prod-use1',
//     region: 'us-east-1',
//     clusterEndpoint: 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com',
//     aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
//     nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
//     git: { url: 'https://github.com/acme/capacity.git', credentialsSecret: 'joinery-git' },
//   });
import { unsafeValueIssues } from './hostile-values.ts';
import { Construct } from 'constructs';
import type { Toleration } from '../../core/api/k8s.ts';
import { RECONCILER_DEFAULTS, type AwsIdentity, type NetworkPeer, type ReconcilerDeploymentSpec, type ReconcilerLogLevel } from '../deployment/spec.ts';
import { policyCallSite, type SourceLocation, type ValueIssue } from './construct-info.ts';
import { type CpuQuantity, type Duration, type MemoryQuantity } from './values.ts';
import { parseDuration, parseDurationSeconds } from '../../core/disruption/duration.ts';
import { tryParseQuantity } from '../../core/resources/quantity.ts';
import { redactUrl, userinfoOf } from '../../core/redact-url.ts';

export const RECONCILER_DEPLOYMENT: unique symbol = Symbol.for('joinery.dev/reconciler-deployment') as never;

export interface ReconcilerDeploymentProps {
  /** The reconciler image, pinned by tag or digest: `ghcr.io/acme/joinery:0.4.1`, `...@sha256:<digest>`. */
  image: string;
  /** The EKS cluster name: instances are tagged `kubernetes.io/cluster/<name>=owned`. */
  clusterName: string;
  region: string;
  /** The API server URL new nodes join (the EKS endpoint: `aws eks describe-cluster --query cluster.endpoint`). */
  clusterEndpoint: string;
  /** Node bootstrap settings; by default the CA is the ServiceAccount's and the rest is left to the AMI. */
  nodeBootstrap?: { certificateAuthority?: string; serviceCidr?: string; dnsClusterIP?: string };
  /** Minor version AMI aliases resolve for ('1.33'); by default asked from the API server. */
  kubernetesVersion?: string;
  /** The role the reconciler acts as: through IRSA (ServiceAccount annotation) or EKS Pod Identity. */
  aws: { irsaRoleArn: string; podIdentityRoleArn?: never } | { podIdentityRoleArn: string; irsaRoleArn?: never };
  /** The nodes' IAM role (the EC2NodeClasses' `role`): the only role the reconciler may pass to EC2. */
  nodeRoleArn: string;
  /**
   * Where the reconciler reads the intent: `git` (default) pulls the repository below;
   * `cluster` reads the NodePools and EC2NodeClasses Argo CD or Flux applied.
   */
  intentSource?: 'git' | 'cluster';
  /** Required with the git intent source. */
  git?: {
    /** The repository holding this project (https://, ssh://, git@host:path or file://). */
    url: string;
    /** Default `main`. */
    branch?: string;
    /** Directory of the compiled manifests; default `generated`. */
    path?: string;
    /** Default `1m`. */
    pollInterval?: Duration;
    /** An existing Secret in the namespace with `username` + `password` or `ssh-privatekey` (+ `known_hosts`). Never put the credentials in a policy. */
    credentialsSecret?: string;
  };
  /** Default `joinery-system`; created unless it is `kube-system` or `createNamespace` is false. */
  namespace?: string;
  createNamespace?: boolean;
  /** Default 2: one leads, one stands by. */
  replicas?: number;
  logLevel?: ReconcilerLogLevel;
  resources?: {
    cpu?: { request?: CpuQuantity; limit?: CpuQuantity };
    memory?: { request?: MemoryQuantity; limit?: MemoryQuantity };
  };
  /** Default `system-cluster-critical`; null for none. */
  priorityClassName?: string | null;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly Toleration[];
  leaderElection?: { leaseName?: string; leaseDuration?: Duration; renewDeadline?: Duration; retryPeriod?: Duration };
  /** An EC2 endpoint override (an interface VPC endpoint). */
  ec2Endpoint?: string;
  /** On SIGTERM, how long in-flight launches may run before being abandoned; default `20s`. */
  shutdownGracePeriod?: Duration;
  /**
   * A NetworkPolicy for the reconciler's Pods (generated/reconciler/networkpolicy.yaml):
   * ingress only to the metrics and health port (8080: /metrics, /healthz, /readyz) and only
   * from `metricsFrom` (your Prometheus scraper); every other ingress denied, egress not
   * restricted (the API server, EC2, git). Default: generated, with no peer (all ingress
   * denied). `false`: none (e.g. when the namespace's policies are managed elsewhere).
   *
   *   networkPolicy: { metricsFrom: [{ namespaces: { 'kubernetes.io/metadata.name': 'monitoring' }, pods: { 'app.kubernetes.io/name': 'prometheus' } }] }
   */
  networkPolicy?: false | { metricsFrom?: readonly NetworkPeer[] };
  /**
   * The SQS queue (its name, as Karpenter's `settings.interruptionQueue`) that EventBridge
   * rules feed with spot interruption warnings, rebalance recommendations, AWS Health
   * scheduled changes and instance state changes. `joinery compile` writes the rules'
   * event patterns (generated/reconciler/eventbridge-rules.json) and grants the role
   * sqs:GetQueueUrl, ReceiveMessage and DeleteMessage on this queue alone.
   */
  interruptionQueue?: string;
  /** Also replace nodes on a rebalance recommendation; default false (recorded only, as Karpenter). */
  interruptionActOnRebalance?: boolean;
  /**
   * Karpenter's feature gates. `nodeRepair`: auto-repair for the NodePools that opt in
   * (`nodeRepair: true`). `spotToSpotConsolidation`: consolidation may replace a spot node
   * with a cheaper spot node (Karpenter's SpotToSpotConsolidation). `podDeletionCostManagement`:
   * the reconciler writes controller.kubernetes.io/pod-deletion-cost on ReplicaSet pods of its
   * nodes so that scale-ins empty the node consolidation removes first (Karpenter's
   * PodDeletionCostManagement; a cost the user set is never overwritten).
   */
  featureGates?: { nodeRepair?: boolean; spotToSpotConsolidation?: boolean; podDeletionCostManagement?: boolean };
  /**
   * Karpenter's settings.batchIdleDuration: the provisioning batch closes after this long
   * without a new pending pod (default `1s`; from 10ms to 1m).
   */
  batchIdleDuration?: Duration;
  /** Karpenter's settings.batchMaxDuration: the batch closes at the latest after this long (default `1s`, joinery's streaming batches; Karpenter's default is `10s`; up to 10m). */
  batchMaxDuration?: Duration;
  /**
   * generated/monitoring/ (off by default):
   * - `serviceMonitor`: a prometheus-operator ServiceMonitor for the metrics Service
   *   (`labels` for your Prometheus's serviceMonitorSelector, `interval` default `30s`);
   * - `grafanaDashboards`: the capacity, cost and rollout dashboards as JSON, and one
   *   ConfigMap each for Grafana's dashboard sidecar (labelled `grafana_dashboard: "1"`
   *   unless `labels` says otherwise).
   *
   *   monitoring: { serviceMonitor: { labels: { release: 'kube-prometheus-stack' } }, grafanaDashboards: true }
   */
  monitoring?: {
    serviceMonitor?: boolean | { labels?: Readonly<Record<string, string>>; interval?: Duration };
    grafanaDashboards?: boolean | { labels?: Readonly<Record<string, string>> };
  };
}

export interface ReconcilerDeploymentInfo {
  readonly spec: ReconcilerDeploymentSpec;
  readonly issues: readonly ValueIssue[];
  readonly location: SourceLocation | undefined;
  /** The construct path in the cdk8s tree. */
  readonly path: string;
}

export interface ReconcilerDeploymentConstruct {
  [RECONCILER_DEPLOYMENT](): ReconcilerDeploymentInfo;
}

export function isReconcilerDeployment(value: unknown): value is ReconcilerDeploymentConstruct {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ReconcilerDeploymentConstruct>)[RECONCILER_DEPLOYMENT] === 'function';
}

const IMAGE = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;
const ROLE_ARN = /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const GIT_URL = /^(?:(?:https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/;

/** Checks the props and applies the defaults. */
export function resolveReconcilerDeployment(props: ReconcilerDeploymentProps): { spec: ReconcilerDeploymentSpec; issues: ValueIssue[] } {
  const D = RECONCILER_DEFAULTS;
  const issues: ValueIssue[] = [];
  issues.push(...unsafeValueIssues(props));
  const issue = (field: string, message: string, fix: string) => issues.push({ field, message, fix });

  const image = IMAGE.exec(props.image ?? '');
  if (!image) issue('image', `"${props.image}" is not an image reference`, "write registry/repository:tag, e.g. 'ghcr.io/acme/joinery:0.4.1'");
  else if (image[1] === undefined && image[2] === undefined) issue('image', `"${props.image}" has no tag or digest`, "pin a version ('...:0.4.1') or a digest ('...@sha256:...') so every cluster runs what was reviewed");
  else if (image[1] === 'latest' && image[2] === undefined) issue('image', `"${props.image}" uses the moving tag latest`, 'pin a version or a digest so every cluster runs what was reviewed');

  if (!CLUSTER_NAME.test(props.clusterName ?? '')) issue('clusterName', `"${props.clusterName}" is not an EKS cluster name`, 'use 1-100 letters, digits, "-" or "_", starting with a letter or digit');
  if (!REGION.test(props.region ?? '')) issue('region', `"${props.region}" is not an AWS region`, "write a region such as 'us-east-1'");
  if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(props.clusterEndpoint ?? '')) {
    issue('clusterEndpoint', `"${props.clusterEndpoint}" is not an https URL`, 'give the EKS API endpoint: aws eks describe-cluster --name <cluster> --query cluster.endpoint');
  }
  const nb = props.nodeBootstrap ?? {};
  if (nb.certificateAuthority !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(nb.certificateAuthority)) {
    issue('nodeBootstrap.certificateAuthority', 'is not base64', 'give the CA bundle base64-encoded (aws eks describe-cluster --query cluster.certificateAuthority.data)');
  }
  if (nb.serviceCidr !== undefined && !/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/.test(nb.serviceCidr)) issue('nodeBootstrap.serviceCidr', `"${nb.serviceCidr}" is not a CIDR`, "write e.g. '10.100.0.0/16'");
  if (nb.dnsClusterIP !== undefined && !/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+$/.test(nb.dnsClusterIP)) issue('nodeBootstrap.dnsClusterIP', `"${nb.dnsClusterIP}" is not an IP address`, "write e.g. '10.100.0.10'");
  if (props.kubernetesVersion !== undefined && !/^1\.\d{1,3}$/.test(props.kubernetesVersion)) issue('kubernetesVersion', `"${props.kubernetesVersion}" is not a minor version`, "write e.g. '1.33', or leave it out to ask the API server");

  let awsIdentity: AwsIdentity = { kind: 'irsa', roleArn: '' };
  const aws = props.aws ?? ({} as ReconcilerDeploymentProps['aws']);
  if (aws.irsaRoleArn !== undefined && aws.podIdentityRoleArn !== undefined) {
    issue('aws', 'both irsaRoleArn and podIdentityRoleArn are set', 'choose one: IRSA (irsaRoleArn) or EKS Pod Identity (podIdentityRoleArn)');
  } else if (aws.irsaRoleArn !== undefined) {
    awsIdentity = { kind: 'irsa', roleArn: aws.irsaRoleArn };
  } else if (aws.podIdentityRoleArn !== undefined) {
    awsIdentity = { kind: 'pod-identity', roleArn: aws.podIdentityRoleArn };
  } else {
    issue('aws', 'no AWS identity is set', 'set aws.irsaRoleArn (IRSA) or aws.podIdentityRoleArn (EKS Pod Identity)');
  }
  const identityField = awsIdentity.kind === 'irsa' ? 'aws.irsaRoleArn' : 'aws.podIdentityRoleArn';
  if (awsIdentity.roleArn !== '' && !ROLE_ARN.test(awsIdentity.roleArn)) issue(identityField, `"${awsIdentity.roleArn}" is not an IAM role ARN`, "write arn:aws:iam::<account>:role/<name>");
  if (!ROLE_ARN.test(props.nodeRoleArn ?? '')) issue('nodeRoleArn', `"${props.nodeRoleArn}" is not an IAM role ARN`, "write the nodes' role as arn:aws:iam::<account>:role/<name>");

  const intentSource = props.intentSource ?? 'git';
  if (intentSource !== 'git' && intentSource !== 'cluster') issue('intentSource', `"${intentSource}" is not git or cluster`, "write 'git' (pull the repository) or 'cluster' (read what Argo CD or Flux applied)");
  if (intentSource === 'git' && props.git === undefined) issue('git', 'is required with the git intent source', "give git.url, or set intentSource: 'cluster'");
  const git = props.git ?? { url: '' };
  if (props.git !== undefined && !GIT_URL.test(git.url ?? '')) issue('git.url', `"${redactUrl(git.url ?? '')}" is not a git URL`, 'write https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or file:///path');
  else if (props.git !== undefined) {
    const userinfo = userinfoOf(git.url);
    // Any user, token or password in an https/git/file URL would be written to the ConfigMap
    // and shown to everyone who reads generated/. ssh://git@host/... names the SSH user only.
    if (userinfo !== undefined && (!git.url.startsWith('ssh://') || userinfo.includes(':'))) {
      issue(
        'git.url',
        `"${redactUrl(git.url)}" carries credentials in the URL (the part before "@"); they would be written to generated/reconciler/configmap.yaml`,
        `remove them from the URL and revoke the token if it was committed; create the git credentials Secret (kubectl -n <namespace> create secret generic joinery-git-credentials --from-literal=username=<bot> --from-literal=password=<token>) and name it in git.credentialsSecret`,
      );
    }
  }
  const branch = git.branch ?? D.gitBranch;
  if (!/^(?!.*\.\.)(?!\/)(?!.*\/\/)(?!.*\.lock$)[^\s~^:?*[\\]+(?<!\/)$/.test(branch)) issue('git.branch', `"${branch}" is not a valid branch name`, 'use the name of an existing branch, e.g. main');
  const path = (git.path ?? D.gitPath).replace(/\/+$/, '');
  if (path.startsWith('/') || path.split('/').includes('..') || path === '') issue('git.path', `"${git.path}" is not a path inside the repository`, "give it relative to the repository root, e.g. 'generated'");
  const pollInterval = git.pollInterval ?? D.gitPollInterval;
  const pollSeconds = parseDurationSeconds(pollInterval);
  if (pollSeconds === undefined || pollSeconds < 1) issue('git.pollInterval', `"${pollInterval}" is not a duration of at least 1s`, "write e.g. '30s' or '1m'");
  if (git.credentialsSecret !== undefined && !DNS_SUBDOMAIN.test(git.credentialsSecret)) issue('git.credentialsSecret', `"${git.credentialsSecret}" is not a Secret name`, 'use lower-case letters, digits, "-" and "."');

  const namespace = props.namespace ?? D.namespace;
  if (!DNS_LABEL.test(namespace)) issue('namespace', `"${namespace}" is not a namespace name`, 'use lower-case letters, digits and "-", at most 63');
  const replicas = props.replicas ?? D.replicas;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) issue('replicas', `${replicas} is not between 1 and 5`, 'use 2: one replica leads, the other takes over when it goes');

  const quantity = (field: string, value: CpuQuantity | MemoryQuantity | undefined, fallback: string, kind: 'cpu' | 'memory'): string => {
    if (value === undefined) return fallback;
    const parsed = tryParseQuantity(value);
    if (parsed === undefined || parsed <= 0 || (kind === 'memory' && /m$/.test(String(value)))) {
      issue(field, `"${value}" is not a ${kind} quantity`, kind === 'cpu' ? "write cores ('1', 2) or millicores ('500m')" : "write e.g. '512Mi' or '1Gi'");
      return fallback;
    }
    return String(value);
  };
  const requests = {
    cpu: quantity('resources.cpu.request', props.resources?.cpu?.request, D.resources.requests.cpu, 'cpu'),
    memory: quantity('resources.memory.request', props.resources?.memory?.request, D.resources.requests.memory, 'memory'),
  };
  const limits = {
    cpu: quantity('resources.cpu.limit', props.resources?.cpu?.limit, D.resources.limits.cpu, 'cpu'),
    memory: quantity('resources.memory.limit', props.resources?.memory?.limit, D.resources.limits.memory, 'memory'),
  };
  for (const kind of ['cpu', 'memory'] as const) {
    if (tryParseQuantity(requests[kind])! > tryParseQuantity(limits[kind])!) {
      issue(`resources.${kind}.request`, `the request ${requests[kind]} exceeds the limit ${limits[kind]}`, `raise resources.${kind}.limit or lower the request`);
    }
  }

  const leaseName = props.leaderElection?.leaseName ?? D.name;
  if (!DNS_SUBDOMAIN.test(leaseName)) issue('leaderElection.leaseName', `"${leaseName}" is not a Lease name`, 'use lower-case letters, digits, "-" and "."');
  const seconds = (field: string, value: Duration | undefined, fallback: string): [string, number] => {
    const text = value ?? fallback;
    const s = parseDurationSeconds(text);
    if (s === undefined || s <= 0) {
      issue(field, `"${text}" is not a positive duration in whole seconds`, "write e.g. '15s'");
      return [fallback, parseDurationSeconds(fallback)!];
    }
    return [text, s];
  };
  const [leaseDuration, leaseS] = seconds('leaderElection.leaseDuration', props.leaderElection?.leaseDuration, D.leaseDuration);
  const [renewDeadline, renewS] = seconds('leaderElection.renewDeadline', props.leaderElection?.renewDeadline, D.renewDeadline);
  const [retryPeriod, retryS] = seconds('leaderElection.retryPeriod', props.leaderElection?.retryPeriod, D.retryPeriod);
  if (renewS >= leaseS) issue('leaderElection.renewDeadline', `${renewDeadline} is not shorter than leaseDuration ${leaseDuration}`, 'a leader must stop acting before a standby may take over: make renewDeadline shorter');
  if (retryS * 1.2 >= renewS) issue('leaderElection.retryPeriod', `${retryPeriod} leaves no room for a retry before renewDeadline ${renewDeadline}`, 'make retryPeriod well under renewDeadline (e.g. 2s for 10s)');
  const [, shutdownS] = seconds('shutdownGracePeriod', props.shutdownGracePeriod, `${D.shutdownGracePeriodSeconds}s`);

  const networkPolicy = props.networkPolicy === false ? undefined : { metricsFrom: [...(props.networkPolicy?.metricsFrom ?? [])] };
  networkPolicy?.metricsFrom.forEach((peer, i) => {
    const field = `networkPolicy.metricsFrom[${i}]`;
    const { namespaces, pods, cidr } = peer as { namespaces?: Record<string, string>; pods?: Record<string, string>; cidr?: string };
    if (cidr !== undefined && (namespaces !== undefined || pods !== undefined)) issue(field, 'sets cidr with namespaces or pods', 'give either selectors (namespaces and/or pods) or a cidr, in separate peers');
    else if (cidr === undefined && namespaces === undefined && pods === undefined) issue(field, 'names no peer', "give namespaces and/or pods label selectors, or a cidr (e.g. { namespaces: { 'kubernetes.io/metadata.name': 'monitoring' } })");
    if (cidr !== undefined && !CIDR.test(cidr)) issue(`${field}.cidr`, `"${cidr}" is not a CIDR`, "write e.g. '10.0.0.0/16'");
    for (const [name, selector] of [['namespaces', namespaces], ['pods', pods]] as const) {
      for (const [key, value] of Object.entries(selector ?? {})) {
        if (!LABEL_KEY.test(key)) issue(`${field}.${name}`, `"${key}" is not a label key`, 'write [prefix/]name, e.g. app.kubernetes.io/name');
        if (typeof value !== 'string' || !LABEL_VALUE.test(value)) issue(`${field}.${name}`, `"${String(value)}" (${key}) is not a label value`, 'use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit');
      }
    }
  });

  // SQS queue names: 1-80 letters, digits, "-" and "_" (".fifo" for FIFO queues, which EventBridge rules can target too).
  if (props.interruptionQueue !== undefined && !/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(props.interruptionQueue)) {
    issue('interruptionQueue', `"${props.interruptionQueue}" is not an SQS queue name`, "give the queue's name, not its URL or ARN: 1-80 letters, digits, '-' or '_' (e.g. 'prod-use1-interruptions')");
  }
  if (props.ec2Endpoint !== undefined && !/^https?:\/\/\S+$/.test(props.ec2Endpoint)) issue('ec2Endpoint', `"${props.ec2Endpoint}" is not an http(s) URL`, 'write e.g. https://vpce-0123.ec2.us-east-1.vpce.amazonaws.com');

  // Karpenter's batch window: the same bounds as the reconciler's --batch-idle-duration and --batch-max-duration.
  const batchMs = (field: string, value: Duration | undefined, maxMs: number, maxText: string): number | undefined => {
    if (value === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(String(value));
    } catch {
      ms = NaN;
    }
    if (!(ms >= 10 && ms <= maxMs)) {
      issue(field, `"${value}" is not a duration from 10ms to ${maxText}`, "write e.g. '1s' (idle) or '10s' (max)");
      return undefined;
    }
    return ms;
  };
  const idleMs = batchMs('batchIdleDuration', props.batchIdleDuration, 60_000, '1m');
  const maxMs = batchMs('batchMaxDuration', props.batchMaxDuration, 10 * 60_000, '10m');
  if ((idleMs ?? 1_000) > (maxMs ?? 10_000)) {
    issue('batchIdleDuration', `${props.batchIdleDuration ?? '1s'} is longer than batchMaxDuration ${props.batchMaxDuration ?? '1s'}`, 'the idle window must fit in the maximum: shorten batchIdleDuration or lengthen batchMaxDuration');
  }

  const labelIssues = (field: string, labels: Readonly<Record<string, string>> | undefined) => {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!LABEL_KEY.test(key)) issue(field, `"${key}" is not a label key`, 'write [prefix/]name, e.g. release');
      if (typeof value !== 'string' || !LABEL_VALUE.test(value)) issue(field, `"${String(value)}" (${key}) is not a label value`, 'use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit');
    }
  };
  const sm = props.monitoring?.serviceMonitor;
  const serviceMonitor = sm === undefined || sm === false ? undefined : { labels: { ...(sm === true ? {} : sm.labels) }, interval: String((sm === true ? undefined : sm.interval) ?? '30s') };
  if (serviceMonitor) {
    labelIssues('monitoring.serviceMonitor.labels', serviceMonitor.labels);
    const s = parseDurationSeconds(serviceMonitor.interval);
    if (s === undefined || s < 1) issue('monitoring.serviceMonitor.interval', `"${serviceMonitor.interval}" is not a duration of at least 1s`, "write e.g. '30s'");
  }
  const gd = props.monitoring?.grafanaDashboards;
  const grafanaDashboards = gd === undefined || gd === false ? undefined : { labels: gd === true || gd.labels === undefined ? { grafana_dashboard: '1' } : { ...gd.labels } };
  if (grafanaDashboards) labelIssues('monitoring.grafanaDashboards.labels', grafanaDashboards.labels);

  const spec: ReconcilerDeploymentSpec = {
    name: D.name,
    namespace,
    createNamespace: props.createNamespace ?? namespace !== 'kube-system',
    image: props.image,
    replicas,
    clusterName: props.clusterName,
    region: props.region,
    bootstrap: { endpoint: props.clusterEndpoint, ...nb },
    ...(props.kubernetesVersion !== undefined ? { kubernetesVersion: props.kubernetesVersion } : {}),
    ...(props.ec2Endpoint !== undefined ? { ec2Endpoint: props.ec2Endpoint } : {}),
    awsIdentity,
    nodeRoleArn: props.nodeRoleArn,
    intentSource,
    ...(props.git !== undefined
      ? { git: { url: git.url, branch, path, pollInterval, ...(git.credentialsSecret !== undefined ? { credentialsSecret: git.credentialsSecret } : {}) } }
      : {}),
    logLevel: props.logLevel ?? D.logLevel,
    resources: { requests, limits },
    ...(props.priorityClassName === null ? {} : { priorityClassName: props.priorityClassName ?? D.priorityClassName }),
    nodeSelector: { ...props.nodeSelector },
    tolerations: [...(props.tolerations ?? [])],
    leaderElection: { leaseName, leaseDuration, renewDeadline, retryPeriod },
    shutdownGracePeriodSeconds: shutdownS,
    port: D.port,
    ...(networkPolicy !== undefined ? { networkPolicy } : {}),
    ...(props.interruptionQueue !== undefined ? { interruptionQueue: props.interruptionQueue } : {}),
    ...(props.interruptionActOnRebalance ? { interruptionActOnRebalance: true } : {}),
    ...(props.featureGates?.nodeRepair || props.featureGates?.spotToSpotConsolidation || props.featureGates?.podDeletionCostManagement
      ? {
          featureGates: {
            ...(props.featureGates.nodeRepair ? { nodeRepair: true } : {}),
            ...(props.featureGates.spotToSpotConsolidation ? { spotToSpotConsolidation: true } : {}),
            ...(props.featureGates.podDeletionCostManagement ? { podDeletionCostManagement: true } : {}),
          },
        }
      : {}),
    ...(idleMs !== undefined ? { batchIdleDuration: String(props.batchIdleDuration) } : {}),
    ...(maxMs !== undefined ? { batchMaxDuration: String(props.batchMaxDuration) } : {}),
    ...(serviceMonitor || grafanaDashboards ? { monitoring: { ...(serviceMonitor ? { serviceMonitor } : {}), ...(grafanaDashboards ? { grafanaDashboards } : {}) } } : {}),
  };
  return { spec, issues };
}

export class ReconcilerDeployment extends Construct implements ReconcilerDeploymentConstruct {
  readonly props: ReconcilerDeploymentProps;
  readonly location: SourceLocation | undefined;

  constructor(scope: Construct, id: string, props: ReconcilerDeploymentProps) {
    super(scope, id);
    this.props = props;
    this.location = policyCallSite();
  }

  [RECONCILER_DEPLOYMENT](): ReconcilerDeploymentInfo {
    const { spec, issues } = resolveReconcilerDeployment(this.props);
    return { spec, issues, location: this.location, path: this.node.path };
  }
}
