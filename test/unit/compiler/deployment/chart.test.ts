// The reconciler's in-cluster deployment as `joinery compile` generates it from a
// ReconcilerDeployment: what a platform engineer reviewing generated/reconciler/ expects.
import { reconcilerObjects } from '../../../../compiler/deployment/chart.ts';
import { CLUSTER_RULES } from '../../../../compiler/deployment/rbac.ts';
import { reconcilerSectionFor } from '../../../../compiler/deployment/section.ts';
import { resolveReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/reconciler-deployment.ts';

// Manifests are read field by field, as a reviewer would.
type Obj = Record<string, any>;

const PROPS: ReconcilerDeploymentProps = {
  image: 'ghcr.io/acme/joinery:0.4.1',
  clusterName: 'prod-use1',
  region: 'us-east-1',
  clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
  git: { url: 'https://github.com/acme/capacity.git', credentialsSecret: 'joinery-git' },
};

function objectsFor(props: ReconcilerDeploymentProps): Obj[] {
  const { spec, issues } = resolveReconcilerDeployment(props);
  expect(issues).toEqual([]);
  return reconcilerObjects(spec) as Obj[];
}
const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: Obj[], kind: string) => {
  const found = byKind(objects, kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('generated/reconciler: the Deployment', () => {
  const objects = objectsFor(PROPS);
  const deployment = one(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  test('runs the image of the policy, two replicas, the reconcile command', () => {
    expect(container.image).toBe('ghcr.io/acme/joinery:0.4.1');
    expect(deployment.spec.replicas).toBe(2);
    expect(container.args).toEqual(['reconcile']);
  });

  test('spreads the replicas across zones and never puts two on one node', () => {
    expect(pod.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' })]);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' })]);
    // ... and not on the nodes it manages.
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'karpenter.sh/nodepool', operator: 'DoesNotExist' },
    ]);
  });

  test('a rollout replaces one replica at a time and a PodDisruptionBudget keeps one up', () => {
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    const pdb = one(objects, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  test('selectors match the Pod labels (Deployment, PDB, Service)', () => {
    const labels = deployment.spec.template.metadata.labels;
    for (const selector of [deployment.spec.selector.matchLabels, one(objects, 'PodDisruptionBudget').spec.selector.matchLabels, one(objects, 'Service').spec.selector]) {
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    }
  });

  test('requests and limits for CPU and memory, and a heap sized under the memory limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }]));
  });

  test('non-root, read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    // The only writable path is an emptyDir.
    expect(container.volumeMounts.find((m: Obj) => m.mountPath === '/tmp')).toBeDefined();
    expect(pod.volumes.find((v: Obj) => v.name === 'work').emptyDir).toBeDefined();
  });

  test('liveness probes /healthz and readiness /readyz on the metrics port', () => {
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 8080 });
    expect(container.ports).toEqual([{ containerPort: 8080, name: 'http', protocol: 'TCP' }]);
  });

  test('the grace period leaves room for in-flight launches to finish', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    const env = one(objects, 'ConfigMap').data;
    expect(env.JOINERY_SHUTDOWN_GRACE_PERIOD).toBe('20s');
  });

  test('the configuration comes from the ConfigMap, the identity from the downward API', () => {
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'joinery-reconciler' } }]);
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ]),
    );
    expect(deployment.spec.template.metadata.annotations['joinery.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a configuration change changes the Pod template (the Pods roll)', () => {
    const other = one(objectsFor({ ...PROPS, logLevel: 'debug' }), 'Deployment');
    expect(other.spec.template.metadata.annotations['joinery.dev/config-hash']).not.toBe(deployment.spec.template.metadata.annotations['joinery.dev/config-hash']);
  });
});

describe('generated/reconciler: identity, credentials and access', () => {
  test('IRSA: the ServiceAccount carries the role annotation', () => {
    const sa = one(objectsFor(PROPS), 'ServiceAccount');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/joinery-reconciler' });
  });

  test('Pod Identity: no annotation, and a trust policy document for the role', () => {
    const props = { ...PROPS, aws: { podIdentityRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' } };
    expect(one(objectsFor(props), 'ServiceAccount').metadata.annotations ?? {}).toEqual({});
    const { spec } = resolveReconcilerDeployment(props);
    const section = reconcilerSectionFor({ spec, policyFile: 'policies/cluster.ts' });
    expect(section.extraFiles?.map((f) => f.fileName).sort()).toEqual(['iam-policy.json', 'iam-trust-policy-pod-identity.json']);
  });

  test('git credentials are a reference to a Secret, mounted read-only; no Secret is generated', () => {
    const objects = objectsFor(PROPS);
    expect(byKind(objects, 'Secret')).toEqual([]);
    const pod = one(objects, 'Deployment').spec.template.spec;
    expect(pod.volumes.find((v: Obj) => v.secret)?.secret).toMatchObject({ secretName: 'joinery-git', optional: false });
    expect(pod.containers[0].volumeMounts.find((m: Obj) => m.name === 'git-credentials')).toEqual({ mountPath: '/etc/joinery/git-credentials', name: 'git-credentials', readOnly: true });
    expect(JSON.stringify(objects)).not.toMatch(/password|privatekey/i);
  });

  test('without a credentials Secret (a public repository) nothing is mounted', () => {
    const { git: _, ...rest } = PROPS;
    const pod = one(objectsFor({ ...rest, git: { url: 'https://github.com/acme/capacity.git' } }), 'Deployment').spec.template.spec;
    expect(pod.volumes.map((v: Obj) => v.name)).toEqual(['work']);
  });

  test('RBAC: no wildcard anywhere, exact verbs per resource, the Lease only in the namespace and by name', () => {
    const objects = objectsFor(PROPS);
    const clusterRole = one(objects, 'ClusterRole');
    const role = one(objects, 'Role');
    const rules = [...clusterRole.rules, ...role.rules];
    expect(JSON.stringify(rules)).not.toContain('*');
    expect(clusterRole.rules.some((r: Obj) => r.resources.includes('leases'))).toBe(false);
    expect(clusterRole.rules.some((r: Obj) => r.resources.includes('secrets'))).toBe(false);
    expect(role.metadata.namespace).toBe('joinery-system');
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['joinery-reconciler'], verbs: ['get', 'update'] },
    ]);
    expect(clusterRole.rules).toHaveLength(CLUSTER_RULES.length);
  });

  test('with either intent source: EC2NodeClasses are listed and watched and their status patched; with the cluster, no repository is configured', () => {
    const { git: _, ...rest } = PROPS;
    const objects = objectsFor({ ...rest, intentSource: 'cluster' });
    for (const o of [objects, objectsFor(PROPS)]) {
      expect(one(o, 'ClusterRole').rules).toEqual(
        expect.arrayContaining([
          { apiGroups: ['karpenter.k8s.aws'], resources: ['ec2nodeclasses'], verbs: ['list', 'watch'] },
          { apiGroups: ['karpenter.k8s.aws'], resources: ['ec2nodeclasses/status'], verbs: ['patch'] },
        ]),
      );
    }
    const env = one(objects, 'ConfigMap').data;
    expect(env.JOINERY_INTENT_SOURCE).toBe('cluster');
    expect(Object.keys(env).filter((k) => k.startsWith('JOINERY_GIT_'))).toEqual([]);
  });

  test('the bindings name the ServiceAccount in its namespace', () => {
    const objects = objectsFor(PROPS);
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(one(objects, kind).subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'joinery-reconciler', namespace: 'joinery-system' }]);
    }
  });

  test('the metrics Service targets the http port', () => {
    const service = one(objectsFor(PROPS), 'Service');
    expect(service.spec.ports).toEqual([{ name: 'http-metrics', port: 8080, protocol: 'TCP', targetPort: 8080 }]);
  });

  test('kube-system: no Namespace object; another namespace: created', () => {
    expect(byKind(objectsFor({ ...PROPS, namespace: 'kube-system' }), 'Namespace')).toEqual([]);
    expect(one(objectsFor(PROPS), 'Namespace').metadata.name).toBe('joinery-system');
  });

  test('cluster-scoped objects carry no namespace', () => {
    for (const o of objectsFor(PROPS).filter((o) => ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))) expect(o.metadata.namespace).toBeUndefined();
  });
});

describe('generated/reconciler: the NetworkPolicy', () => {
  const SCRAPER = { namespaces: { 'kubernetes.io/metadata.name': 'monitoring' }, pods: { 'app.kubernetes.io/name': 'prometheus' } };

  test("selects the reconciler's Pods, admits only the scraper and only on the metrics and health port", () => {
    const objects = objectsFor({ ...PROPS, networkPolicy: { metricsFrom: [SCRAPER, { cidr: '10.0.0.0/16' }] } });
    const policy = one(objects, 'NetworkPolicy');
    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy.metadata).toMatchObject({ name: 'joinery-reconciler', namespace: 'joinery-system' });
    expect(policy.spec.podSelector.matchLabels).toEqual(one(objects, 'Deployment').spec.template.metadata.labels);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: SCRAPER.namespaces }, podSelector: { matchLabels: SCRAPER.pods } },
          { ipBlock: { cidr: '10.0.0.0/16' } },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
    // The port the container, the probes and the Service use.
    expect(one(objects, 'Deployment').spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080, name: 'http', protocol: 'TCP' }]);
  });

  test('egress is not restricted (the API server, EC2 and git)', () => {
    const policy = one(objectsFor({ ...PROPS, networkPolicy: { metricsFrom: [SCRAPER] } }), 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.egress).toBeUndefined();
  });

  test('by default generated with no peer: all ingress denied', () => {
    const policy = one(objectsFor(PROPS), 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress ?? []).toEqual([]);
  });

  test('false: no NetworkPolicy', () => {
    expect(byKind(objectsFor({ ...PROPS, networkPolicy: false }), 'NetworkPolicy')).toEqual([]);
  });

  test('peers are checked', () => {
    const issuesOf = (metricsFrom: unknown[]) =>
      resolveReconcilerDeployment({ ...PROPS, networkPolicy: { metricsFrom } } as ReconcilerDeploymentProps).issues.map((i) => `${i.field}: ${i.message}`);
    expect(issuesOf([{}])).toEqual(['networkPolicy.metricsFrom[0]: names no peer']);
    expect(issuesOf([{ cidr: '10.0.0.0/16', pods: { app: 'x' } }])).toEqual(['networkPolicy.metricsFrom[0]: sets cidr with namespaces or pods']);
    expect(issuesOf([{ cidr: 'monitoring' }])).toEqual(['networkPolicy.metricsFrom[0].cidr: "monitoring" is not a CIDR']);
    expect(issuesOf([SCRAPER, { pods: { 'app name': 'x' } }])).toEqual(['networkPolicy.metricsFrom[1].pods: "app name" is not a label key']);
    expect(issuesOf([{ namespaces: { team: 'a b' } }])).toEqual(['networkPolicy.metricsFrom[0].namespaces: "a b" (team) is not a label value']);
    expect(issuesOf([{ namespaces: {} }])).toEqual([]);
  });
});

describe('ReconcilerDeployment props are checked with the field and the fix', () => {
  const issuesOf = (patch: Partial<ReconcilerDeploymentProps>) => resolveReconcilerDeployment({ ...PROPS, ...patch } as ReconcilerDeploymentProps).issues.map((i) => `${i.field}: ${i.message}`);

  test('the image must be pinned', () => {
    expect(issuesOf({ image: 'ghcr.io/acme/joinery' })).toEqual(['image: "ghcr.io/acme/joinery" has no tag or digest']);
    expect(issuesOf({ image: 'ghcr.io/acme/joinery:latest' })).toEqual(['image: "ghcr.io/acme/joinery:latest" uses the moving tag latest']);
    expect(issuesOf({ image: `ghcr.io/acme/joinery@sha256:${'a'.repeat(64)}` })).toEqual([]);
  });

  test('exactly one AWS identity, as a role ARN', () => {
    expect(issuesOf({ aws: {} as never })).toEqual(['aws: no AWS identity is set']);
    expect(issuesOf({ aws: { irsaRoleArn: 'joinery' } })).toEqual(['aws.irsaRoleArn: "joinery" is not an IAM role ARN']);
    expect(issuesOf({ nodeRoleArn: 'KarpenterNodeRole' })).toEqual(['nodeRoleArn: "KarpenterNodeRole" is not an IAM role ARN']);
  });

  test('the git intent source needs a repository', () => {
    expect(issuesOf({ git: undefined })).toEqual(['git: is required with the git intent source']);
  });

  test('credentials never in the URL', () => {
    expect(issuesOf({ git: { url: 'https://bot:s3cret@github.com/acme/capacity.git' } })).toEqual([
      'git.url: "https://***@github.com/acme/capacity.git" carries credentials in the URL (the part before "@"); they would be written to generated/reconciler/configmap.yaml',
    ]);
    expect(issuesOf({ git: { url: 'https://ghp_token@github.com/acme/capacity.git' } })).toHaveLength(1);
  });

  test('leader election timing must keep two leaders from acting', () => {
    expect(issuesOf({ leaderElection: { leaseDuration: '10s', renewDeadline: '10s' } })).toEqual(['leaderElection.renewDeadline: 10s is not shorter than leaseDuration 10s']);
  });

  test('a request above its limit is refused', () => {
    expect(issuesOf({ resources: { memory: { request: '2Gi', limit: '1Gi' } } })).toEqual(['resources.memory.request: the request 2Gi exceeds the limit 1Gi']);
  });
});
