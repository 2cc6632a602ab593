// The reconciler's in-cluster deployment as a cdk8s chart (cdk8s-plus-27): a Deployment of
// two replicas spread over zones and nodes with a PodDisruptionBudget, locked down (non-root,
// read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault
// seccomp) and probed on /healthz and /readyz; a ServiceAccount carrying the AWS identity;
// least-privilege RBAC; a Service for metrics; a NetworkPolicy admitting only the metrics
// scraper, on the metrics and health port; the configuration as a ConfigMap; the git
// credentials as a reference to a Secret that is never generated.

import { createHash } from 'node:crypto';
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { clusterRules, namespaceRules, policyRules } from './rbac.ts';
import { GIT_CREDENTIALS_MOUNT, RUN_AS_USER, WORK_DIR, WORK_DIR_MOUNT, type NetworkPeer, type ReconcilerDeploymentSpec } from './spec.ts';
import { ANNOTATION_CONFIG_HASH, LABEL_HOSTNAME, LABEL_METRICS, LABEL_NODEPOOL, LABEL_ZONE } from '../../core/contract/index.ts';

const { Quantity } = kplus.k8s;

const APP_LABELS = (spec: ReconcilerDeploymentSpec): Record<string, string> => ({
  'app.kubernetes.io/name': spec.name,
  'app.kubernetes.io/component': 'reconciler',
  'app.kubernetes.io/part-of': 'joinery',
});

/**
 * The ConfigMap's data: the reconciler's settings by environment variable
 * (reconciler/process/config.ts reads the same names; a unit test holds them together).
 */
export function reconcilerEnvironment(spec: ReconcilerDeploymentSpec): Record<string, string> {
  const env: Record<string, string> = {
    JOINERY_CLUSTER_NAME: spec.clusterName,
    JOINERY_REGION: spec.region,
    JOINERY_CLUSTER_ENDPOINT: spec.bootstrap.endpoint,
    JOINERY_INTENT_SOURCE: spec.intentSource,
    JOINERY_WORK_DIR: WORK_DIR,
    JOINERY_LEADER_ELECT: 'true',
    JOINERY_LEADER_ELECTION_LEASE_NAME: spec.leaderElection.leaseName,
    JOINERY_LEADER_ELECTION_LEASE_DURATION: spec.leaderElection.leaseDuration,
    JOINERY_LEADER_ELECTION_RENEW_DEADLINE: spec.leaderElection.renewDeadline,
    JOINERY_LEADER_ELECTION_RETRY_PERIOD: spec.leaderElection.retryPeriod,
    JOINERY_LISTEN_ADDRESS: `:${spec.port}`,
    JOINERY_LOG_LEVEL: spec.logLevel,
    JOINERY_SHUTDOWN_GRACE_PERIOD: `${spec.shutdownGracePeriodSeconds}s`,
  };
  if (spec.bootstrap.certificateAuthority !== undefined) env.JOINERY_CLUSTER_CA_BUNDLE = spec.bootstrap.certificateAuthority;
  if (spec.bootstrap.serviceCidr !== undefined) env.JOINERY_SERVICE_CIDR = spec.bootstrap.serviceCidr;
  if (spec.bootstrap.dnsClusterIP !== undefined) env.JOINERY_CLUSTER_DNS_IP = spec.bootstrap.dnsClusterIP;
  if (spec.kubernetesVersion !== undefined) env.JOINERY_KUBERNETES_VERSION = spec.kubernetesVersion;
  if (spec.ec2Endpoint !== undefined) env.JOINERY_EC2_ENDPOINT = spec.ec2Endpoint;
  if (spec.interruptionQueue !== undefined) env.JOINERY_INTERRUPTION_QUEUE = spec.interruptionQueue;
  if (spec.interruptionActOnRebalance) env.JOINERY_INTERRUPTION_ACT_ON_REBALANCE = 'true';
  const gates = [...(spec.featureGates?.nodeRepair ? ['NodeRepair=true'] : []), ...(spec.featureGates?.podDeletionCostManagement ? ['PodDeletionCostManagement=true'] : [])];
  if (gates.length > 0) env.JOINERY_FEATURE_GATES = gates.join(',');
  if (spec.featureGates?.spotToSpotConsolidation) env.JOINERY_SPOT_TO_SPOT_CONSOLIDATION = 'true';
  if (spec.batchIdleDuration !== undefined) env.JOINERY_BATCH_IDLE_DURATION = spec.batchIdleDuration;
  if (spec.batchMaxDuration !== undefined) env.JOINERY_BATCH_MAX_DURATION = spec.batchMaxDuration;
  if (spec.git) {
    env.JOINERY_GIT_URL = spec.git.url;
    env.JOINERY_GIT_BRANCH = spec.git.branch;
    env.JOINERY_GIT_PATH = spec.git.path;
    env.JOINERY_GIT_POLL_INTERVAL = spec.git.pollInterval;
    if (spec.git.credentialsSecret !== undefined) env.JOINERY_GIT_CREDENTIALS_DIR = GIT_CREDENTIALS_MOUNT;
  }
  return env;
}

/** Mebibytes of a memory quantity such as 1Gi, 768Mi or 1G; undefined when not understood. */
function mebibytes(quantity: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) return undefined;
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576 };
  return Number(m[1]) * (m[2] ? factor[m[2]]! : 1 / 1048576);
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

class ReconcilerChart extends Chart {
  constructor(scope: Construct, id: string, spec: ReconcilerDeploymentSpec) {
    super(scope, id, { disableResourceNameHashes: true, labels: APP_LABELS(spec) });
    const labels = APP_LABELS(spec);
    const metadata = (name = spec.name) => ({ name, namespace: spec.namespace });

    if (spec.createNamespace) {
      new kplus.Namespace(this, 'namespace', { metadata: { name: spec.namespace } });
    }

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: {
        ...metadata(),
        annotations: spec.awsIdentity.kind === 'irsa' ? { 'eks.amazonaws.com/role-arn': spec.awsIdentity.roleArn } : {},
      },
      // The Pod mounts its token explicitly (automountServiceAccountToken on the Pod).
      automountToken: false,
    });

    const environment = reconcilerEnvironment(spec);
    const config = new kplus.ConfigMap(this, 'config', { metadata: metadata(), data: environment });

    // --- RBAC: cluster-wide reads and writes, and the Lease in the namespace only.
    const clusterRole = new kplus.ClusterRole(this, 'cluster-role', { metadata: { name: spec.name } });
    const clusterBinding = new kplus.ClusterRoleBinding(this, 'cluster-role-binding', { metadata: { name: spec.name }, role: clusterRole });
    clusterBinding.addSubjects(serviceAccount);
    const role = new kplus.Role(this, 'role', { metadata: metadata() });
    const binding = new kplus.RoleBinding(this, 'role-binding', { metadata: metadata(), role });
    binding.addSubjects(serviceAccount);
    // Rules are written as data (rbac.ts): exact verbs, names where RBAC can use them.
    ApiObject.of(clusterRole).addJsonPatch(JsonPatch.add('/rules', policyRules(clusterRules(spec.intentSource))));
    ApiObject.of(role).addJsonPatch(JsonPatch.add('/rules', policyRules(namespaceRules(spec.leaderElection.leaseName))));

    // --- The Deployment.
    const workDir = kplus.Volume.fromEmptyDir(this, 'work-volume', 'work', { sizeLimit: Size.gibibytes(1) });
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: metadata(),
      replicas: spec.replicas,
      select: false,
      podMetadata: { labels },
      serviceAccount,
      automountServiceAccountToken: true,
      // Leader election keeps one replica active; never take both down for a rollout.
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(0), maxUnavailable: kplus.PercentOrAbsolute.absolute(1) }),
      terminationGracePeriod: Duration.seconds(spec.shutdownGracePeriodSeconds + 10),
      securityContext: { ensureNonRoot: true, user: RUN_AS_USER, group: RUN_AS_USER, fsGroup: RUN_AS_USER, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH },
      isolate: false,
      containers: [
        {
          name: 'reconciler',
          image: spec.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['reconcile'],
          ports: [{ name: 'http', number: spec.port, protocol: kplus.Protocol.TCP }],
          envFrom: [kplus.Env.fromConfigMap(config)],
          envVariables: {
            POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
            ...(mebibytes(spec.resources.limits.memory) !== undefined
              ? { NODE_OPTIONS: kplus.EnvValue.fromValue(`--max-old-space-size=${Math.floor(mebibytes(spec.resources.limits.memory)! * 0.75)}`) }
              : {}),
          },
          securityContext: {
            ensureNonRoot: true,
            user: RUN_AS_USER,
            group: RUN_AS_USER,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          },
          // Liveness: a restart fixes a wedged process. Readiness: intent loaded,
          // informers synced, leadership known.
          liveness: kplus.Probe.fromHttpGet('/healthz', { port: spec.port, initialDelaySeconds: Duration.seconds(10), periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 }),
          readiness: kplus.Probe.fromHttpGet('/readyz', { port: spec.port, periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 }),
          volumeMounts: [{ path: WORK_DIR_MOUNT, volume: workDir }],
        },
      ],
    });
    const container = deployment.containers[0]!;
    if (spec.git?.credentialsSecret !== undefined) {
      const secret = kplus.Secret.fromSecretName(this, 'git-credentials', spec.git.credentialsSecret);
      const volume = kplus.Volume.fromSecret(this, 'git-credentials-volume', secret, { name: 'git-credentials', defaultMode: 0o440, optional: false });
      container.mount(GIT_CREDENTIALS_MOUNT, volume, { readOnly: true });
    }

    const podSpec = '/spec/template/spec';
    const deploymentObject = ApiObject.of(deployment);
    const selector = { matchLabels: labels };
    deploymentObject.addJsonPatch(
      JsonPatch.add('/spec/selector', selector),
      // Exact requests and limits (cdk8s-plus would otherwise apply its own defaults).
      // (Quantities, because the patch is applied before the typed conversion of KubeDeployment.)
      JsonPatch.replace(`${podSpec}/containers/0/resources`, {
        requests: { cpu: Quantity.fromString(spec.resources.requests.cpu), memory: Quantity.fromString(spec.resources.requests.memory) },
        limits: { cpu: Quantity.fromString(spec.resources.limits.cpu), memory: Quantity.fromString(spec.resources.limits.memory) },
      }),
      // The construct-address label cdk8s-plus adds would change with the construct tree.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add(`${podSpec}/containers/0/securityContext/capabilities`, { drop: ['ALL'] }),
      JsonPatch.add(`${podSpec}/containers/0/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
      JsonPatch.add(`${podSpec}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
      // A ConfigMap change rolls the Pods (envFrom is read only at start).
      JsonPatch.add('/spec/template/metadata/annotations', { [ANNOTATION_CONFIG_HASH]: sha256(environment) }),
      // One replica per zone where possible, never two on one node.
      JsonPatch.add(`${podSpec}/topologySpreadConstraints`, [
        { maxSkew: 1, topologyKey: LABEL_ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector, matchLabelKeys: ['pod-template-hash'] },
      ]),
      JsonPatch.add(`${podSpec}/affinity`, {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: LABEL_HOSTNAME, labelSelector: selector }] },
        // Never on a node it manages: it could consolidate itself away.
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_NODEPOOL, operator: 'DoesNotExist' }] }],
          },
        },
      }),
      ...(spec.priorityClassName !== undefined ? [JsonPatch.add(`${podSpec}/priorityClassName`, spec.priorityClassName)] : []),
      ...(Object.keys(spec.nodeSelector).length > 0 ? [JsonPatch.add(`${podSpec}/nodeSelector`, { ...spec.nodeSelector })] : []),
      ...(spec.tolerations.length > 0 ? [JsonPatch.add(`${podSpec}/tolerations`, spec.tolerations.map((t) => ({ ...t })))] : []),
    );

    new kplus.k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: metadata(),
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });

    const service = new kplus.Service(this, 'metrics', {
      metadata: { ...metadata(`${spec.name}-metrics`), labels: { ...labels, [LABEL_METRICS]: 'true' } },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: deployment,
      ports: [{ name: 'http-metrics', port: spec.port, targetPort: spec.port, protocol: kplus.Protocol.TCP }],
    });
    ApiObject.of(service).addJsonPatch(JsonPatch.replace('/spec/selector', labels));

    if (spec.networkPolicy !== undefined) {
      // Selecting the Pods with policyTypes [Ingress] denies all ingress to them but what a
      // rule admits: the metrics and health port, from the declared peers (none: nothing).
      // Egress is not listed, so not restricted: the API server, EC2 and git are reached.
      // The kubelet's liveness and readiness probes come from the Pod's own node, which most
      // CNIs (Calico, Cilium, the AWS VPC CNI's policy agent) do not subject to NetworkPolicy;
      // where yours does, admit the nodes' CIDR as a `cidr` peer.
      const peers = spec.networkPolicy.metricsFrom.map(networkPeer);
      new kplus.k8s.KubeNetworkPolicy(this, 'network-policy', {
        metadata: metadata(),
        spec: {
          podSelector: { matchLabels: labels },
          policyTypes: ['Ingress'],
          ingress: peers.length === 0 ? [] : [{ from: peers, ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(spec.port) }] }],
        },
      });
    }
  }
}

function networkPeer(peer: NetworkPeer): kplus.k8s.NetworkPolicyPeer {
  if (peer.cidr !== undefined) return { ipBlock: { cidr: peer.cidr } };
  return {
    ...(peer.namespaces !== undefined ? { namespaceSelector: { matchLabels: { ...peer.namespaces } } } : {}),
    ...(peer.pods !== undefined ? { podSelector: { matchLabels: { ...peer.pods } } } : {}),
  };
}

/** The chart's objects as plain JSON, in cdk8s's order. */
export function reconcilerObjects(spec: ReconcilerDeploymentSpec): Record<string, unknown>[] {
  const app = new App();
  const chart = new ReconcilerChart(app, 'reconciler', spec);
  return chart.toJson() as Record<string, unknown>[];
}
