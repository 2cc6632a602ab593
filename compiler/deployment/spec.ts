// What the reconciler's in-cluster deployment is generated from: the ReconcilerDeployment
// construct's props with every default applied. The chart (chart.ts) turns it into
// Kubernetes objects; nothing else reads the construct.

import type { Toleration } from '../../core/api/k8s.ts';

export type ReconcilerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How the reconciler's Pods get AWS credentials. */
export type AwsIdentity =
  /** IAM Roles for Service Accounts: the ServiceAccount is annotated with the role. */
  | { readonly kind: 'irsa'; readonly roleArn: string }
  /** EKS Pod Identity: the role is associated with the ServiceAccount through the EKS API. */
  | { readonly kind: 'pod-identity'; readonly roleArn: string };

export interface ReconcilerDeploymentSpec {
  /** Name of the Deployment, ServiceAccount, Service, ConfigMap, PDB and RBAC objects. */
  readonly name: string;
  readonly namespace: string;
  /** Emit the Namespace object (false for kube-system or a namespace managed elsewhere). */
  readonly createNamespace: boolean;
  /** Image reference with a tag or digest. */
  readonly image: string;
  readonly replicas: number;
  readonly clusterName: string;
  readonly region: string;
  /** What new nodes need to join: the API server URL they reach, and optional bootstrap settings. */
  readonly bootstrap: {
    readonly endpoint: string;
    /** Base64 PEM; absent: the ServiceAccount's ca.crt (the cluster CA). */
    readonly certificateAuthority?: string;
    readonly serviceCidr?: string;
    readonly dnsClusterIP?: string;
  };
  /** Minor version AMI aliases resolve for; absent: asked from the API server. */
  readonly kubernetesVersion?: string;
  readonly ec2Endpoint?: string;
  readonly awsIdentity: AwsIdentity;
  /** The nodes' IAM role: the only role the reconciler may pass to EC2. */
  readonly nodeRoleArn: string;
  /** git: the reconciler pulls the policy repository; cluster: it reads the NodePools and EC2NodeClasses Argo CD or Flux applied. */
  readonly intentSource: 'git' | 'cluster';
  /** Present when the intent source is git. */
  readonly git?: {
    readonly url: string;
    readonly branch: string;
    readonly path: string;
    readonly pollInterval: string;
    /** Name of an existing Secret in the namespace (keys: username + password, or ssh-privatekey + known_hosts). */
    readonly credentialsSecret?: string;
  };
  readonly logLevel: ReconcilerLogLevel;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly priorityClassName?: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  readonly leaderElection: {
    readonly leaseName: string;
    readonly leaseDuration: string;
    readonly renewDeadline: string;
    readonly retryPeriod: string;
  };
  /** On SIGTERM, how long in-flight launches may run; the Pod's grace period adds 10 s to it. */
  readonly shutdownGracePeriodSeconds: number;
  readonly port: number;
  /**
   * The NetworkPolicy of the reconciler's Pods: ingress only to the metrics and health port,
   * only from these peers (none: all ingress denied); egress unrestricted. Absent: no policy.
   */
  readonly networkPolicy?: { readonly metricsFrom: readonly NetworkPeer[] };
  /** The SQS queue EventBridge feeds with interruption events (Karpenter's settings.interruptionQueue); absent: none. */
  readonly interruptionQueue?: string;
  /** Act on rebalance recommendations too (default: record only, as Karpenter). */
  readonly interruptionActOnRebalance?: boolean;
  /** Karpenter's feature gates the reconciler honours. */
  readonly featureGates?: { readonly nodeRepair?: boolean; readonly spotToSpotConsolidation?: boolean; readonly podDeletionCostManagement?: boolean };
  /** Karpenter's settings.batchIdleDuration and batchMaxDuration (the provisioning batch window); absent: the reconciler's defaults (1s, 10s). */
  readonly batchIdleDuration?: string;
  readonly batchMaxDuration?: string;
  /** generated/monitoring/: a prometheus-operator ServiceMonitor and Grafana dashboards; absent: none. */
  readonly monitoring?: {
    readonly serviceMonitor?: { readonly labels: Readonly<Record<string, string>>; readonly interval: string };
    readonly grafanaDashboards?: { readonly labels: Readonly<Record<string, string>> };
  };
}

/** A NetworkPolicy peer allowed to reach the metrics and health port. */
export type NetworkPeer =
  /** Pods matching `pods` in namespaces matching `namespaces`; a missing selector: the reconciler's namespace (pods) or every pod (namespaces). */
  | { readonly namespaces?: Readonly<Record<string, string>>; readonly pods?: Readonly<Record<string, string>>; readonly cidr?: never }
  /** Addresses outside the pod network, e.g. the nodes' CIDR where the CNI applies policies to the kubelet's probes. */
  | { readonly cidr: string; readonly namespaces?: never; readonly pods?: never };

/** The ReconcilerDeployment a policy declared, as the compiled intent carries it. */
export interface ReconcilerDeploymentIntent {
  readonly spec: ReconcilerDeploymentSpec;
  /** The policy file that declared it (relative to the project root). */
  readonly policyFile: string;
  /** Where it was declared (for diagnostics about its props, e.g. a region with no catalog). */
  readonly source?: { readonly file: string; readonly line?: number; readonly column?: number };
}

export const RECONCILER_DEFAULTS = {
  name: 'joinery-reconciler',
  namespace: 'joinery-system',
  replicas: 2,
  gitBranch: 'main',
  gitPath: 'generated',
  gitPollInterval: '1m',
  logLevel: 'info' as ReconcilerLogLevel,
  resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
  priorityClassName: 'system-cluster-critical',
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
  shutdownGracePeriodSeconds: 20,
  port: 8080,
} as const;

/** Where the container finds the git credentials Secret. */
export const GIT_CREDENTIALS_MOUNT = '/etc/joinery/git-credentials';
/** The writable emptyDir (the root filesystem is read-only). */
export const WORK_DIR_MOUNT = '/tmp';
export const WORK_DIR = '/tmp/joinery';
/** The non-root user of the image (the Dockerfile creates it with this uid). */
export const RUN_AS_USER = 65532;
