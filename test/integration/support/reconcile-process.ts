// `joinery reconcile` as it runs in a cluster, for tests that kill and restart it: the
// objects the compiler generates for a ReconcilerDeployment applied for real (Namespace,
// ServiceAccount, ClusterRole, Role, bindings, ConfigMap; the Deployment, PDB and Service
// dry-run, since processes stand in for the Pods), and each replica a `joinery reconcile`
// process configured by that ConfigMap plus the downward API's POD_NAME/POD_NAMESPACE,
// authenticated as the generated ServiceAccount.
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { resolveReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../compiler/api/reconciler-deployment.ts';
import { reconcilerObjects } from '../../../compiler/deployment/chart.ts';
import type { ReconcilerDeploymentSpec } from '../../../compiler/deployment/spec.ts';
import type { TestEnv } from '../../env/index.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The environment of a `joinery reconcile` process configured as its Pod would be: the
 * generated ConfigMap (envFrom), the downward API, and what differs between a Pod and a test
 * (the ServiceAccount token as a kubeconfig, moto's endpoint for EC2, IAM and SSM, where the
 * node roles and the public AMI parameters are seeded, without which the process would call
 * AWS itself; dummy credentials, local paths and ports). One builder, so every test that
 * starts the process gets the same endpoints.
 */
export function reconcileProcessEnv(
  env: TestEnv,
  o: { name: string; namespace: string; configMapData: Record<string, string>; kubeconfigPath: string; workDir: string },
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: o.workDir,
    ...o.configMapData,
    POD_NAME: o.name,
    POD_NAMESPACE: o.namespace,
    KUBECONFIG: o.kubeconfigPath,
    JOINERY_EC2_ENDPOINT: env.ec2Endpoint,
    JOINERY_IAM_ENDPOINT: env.ec2Endpoint,
    JOINERY_SSM_ENDPOINT: env.ec2Endpoint,
    // moto serves no Price List API, and tests reach nothing but 127.0.0.1.
    JOINERY_ISOLATED_VPC: 'true',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    JOINERY_WORK_DIR: join(o.workDir, o.name),
    JOINERY_LISTEN_ADDRESS: '127.0.0.1:0',
  };
}

export interface ReconcileDeployment {
  readonly spec: ReconcilerDeploymentSpec;
  /** Stops nothing: removes the cluster objects and the work dir (stop the replicas first). */
  remove(): Promise<void>;
  /** Starts one replica named `<deployment>-<suffix>`; the same suffix again is the same Pod's container restarted. */
  start(suffix: string, logName: string): ReconcileReplica;
}

export interface ReconcileReplica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  /** Exit code, or the signal's name when a signal ended it. */
  readonly exited: Promise<number | string | null>;
  /** http://127.0.0.1:<port>, once the server listens. */
  readonly url: Promise<string>;
}

/** Applies the generated objects of a ReconcilerDeployment (per-run names) and returns how to start replicas. */
export async function deployReconciler(
  env: TestEnv,
  o: { id: string; gitUrl: string; props?: Partial<ReconcilerDeploymentProps> },
): Promise<ReconcileDeployment> {
  const kc = env.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const objectsApi = KubernetesObjectApi.makeApiClient(kc);
  const workDir = mkdtempSync(join(tmpdir(), `joinery-reconcile-${o.id}-`));
  const resolved = resolveReconcilerDeployment({
    image: 'ghcr.io/joinery-dev/joinery:0.1.0',
    clusterName: env.clusterName,
    region: env.region,
    clusterEndpoint: env.apiServerUrl,
    aws: { irsaRoleArn: 'arn:aws:iam::123456789012:role/joinery-reconciler' },
    nodeRoleArn: 'arn:aws:iam::123456789012:role/KarpenterNodeRole-test',
    git: { url: o.gitUrl, pollInterval: '2s' },
    namespace: `${o.id}-joinery`,
    logLevel: 'debug',
    shutdownGracePeriod: '10s',
    ...o.props,
  });
  if (resolved.issues.length > 0) throw new Error(`the test's ReconcilerDeployment is invalid: ${JSON.stringify(resolved.issues)}`);
  // Cluster-scoped names are per run, so runs never share a ClusterRole.
  const spec: ReconcilerDeploymentSpec = { ...resolved.spec, name: `joinery-${o.id}`, leaderElection: { ...resolved.spec.leaderElection, leaseName: `joinery-${o.id}` } };
  const objects = reconcilerObjects(spec) as unknown as KubernetesObject[];
  const ordered = [...objects].sort((a, b) => (a.kind === 'Namespace' ? -1 : b.kind === 'Namespace' ? 1 : 0));
  for (const obj of ordered) {
    const dryRun = ['Deployment', 'PodDisruptionBudget', 'Service'].includes(obj.kind!) ? 'All' : undefined;
    await objectsApi.create(obj, undefined, dryRun);
  }
  const configMapData = (objects.find((x) => x.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data;
  const token = await core.createNamespacedServiceAccountToken({ name: spec.name, namespace: spec.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = kc.getCurrentCluster()!;
  const kubeconfigPath = join(workDir, 'serviceaccount.kubeconfig');
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: spec.name, user: { token: token.status?.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'test', user: spec.name } }],
      'current-context': 'sa',
    }),
  );

  return {
    spec,
    start(suffix, logName) {
      const name = `${spec.name}-${suffix}`;
      const child = spawn(process.execPath, [join(REPO, 'bin/joinery.js'), 'reconcile'], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: reconcileProcessEnv(env, { name, namespace: spec.namespace, configMapData, kubeconfigPath, workDir }),
      });
      const logs: Record<string, unknown>[] = [];
      const logFile = createWriteStream(join(env.logDir, `${logName}.log`), { flags: 'a' });
      let resolveUrl!: (url: string) => void;
      const url = new Promise<string>((r) => (resolveUrl = r));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        logFile.write(`${line}\n`);
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logs.push(record);
          if (record.msg === 'serving /metrics, /healthz and /readyz') resolveUrl(`http://${String(record.address)}`);
        } catch {
          // not a log record
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => logFile.write(chunk));
      const exited = new Promise<number | string | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
      return { name, child, logs, exited, url };
    },
    async remove() {
      await rbac.deleteClusterRoleBinding({ name: spec.name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name: spec.name }).catch(() => undefined);
      await core.deleteNamespace({ name: spec.namespace }).catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
