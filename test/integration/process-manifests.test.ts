// The reconciler's in-cluster deployment, as `joinery compile` writes it to
// generated/reconciler/, accepted by the real kube-apiserver (server-side dry-run: every
// field validated, admission run, nothing stored), and the same chart for other settings.
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { resolveReconcilerDeployment } from '../../compiler/api/reconciler-deployment.ts';
import { reconcilerObjects } from '../../compiler/deployment/chart.ts';
import { describeApiError, testEnv } from '../env/index.ts';

const env = testEnv();
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const objects = KubernetesObjectApi.makeApiClient(env.kubeConfig());
const core = env.kubeConfig().makeApiClient(CoreV1Api);

function generatedReconcilerObjects(): { file: string; obj: KubernetesObject }[] {
  const dir = join(REPO, 'generated/reconciler');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => ({ file: `generated/reconciler/${f}`, obj: d.toJS() as KubernetesObject })));
}

/** Dry-runs each object (the namespaces they name are created for real first, then removed). */
async function dryRunAll(list: { file: string; obj: KubernetesObject }[]): Promise<string[]> {
  const created: string[] = [];
  for (const ns of new Set(list.map(({ obj }) => obj.metadata?.namespace).filter((n): n is string => Boolean(n)))) {
    try {
      await core.createNamespace({ body: { metadata: { name: ns } } });
      created.push(ns);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
  const failures: string[] = [];
  try {
    for (const { file, obj } of list) {
      try {
        await objects.patch(obj, undefined, 'All', 'joinery-process-test', true, PatchStrategy.ServerSideApply);
      } catch (err) {
        failures.push(`${file}: ${obj.kind}/${obj.metadata?.name}: ${describeApiError(err)}`);
      }
    }
  } finally {
    for (const ns of created) await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
  return failures;
}

describe('generated/reconciler on the real apiserver', () => {
  test('every object compiled from policies/reconciler.ts passes a server-side dry-run', async () => {
    const list = generatedReconcilerObjects();
    expect(list.map(({ obj }) => obj.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
    expect(await dryRunAll(list)).toEqual([]);
  });

  test('Pod Identity, the cluster intent source, kube-system, tolerations, a node selector and NetworkPolicy peers also pass', async () => {
    const { spec, issues } = resolveReconcilerDeployment({
      image: 'registry.example.com/platform/joinery@sha256:' + 'b'.repeat(64),
      clusterName: env.clusterName,
      region: env.region,
      clusterEndpoint: env.apiServerUrl,
      aws: { podIdentityRoleArn: 'arn:aws:iam::123456789012:role/joinery' },
      nodeRoleArn: 'arn:aws:iam::123456789012:role/KarpenterNodeRole-test',
      intentSource: 'cluster',
      namespace: 'kube-system',
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
      nodeSelector: { 'eks.amazonaws.com/compute-type': 'ec2' },
      replicas: 3,
      resources: { cpu: { request: '500m', limit: 2 }, memory: { request: '1Gi', limit: '2Gi' } },
      networkPolicy: { metricsFrom: [{ pods: { 'app.kubernetes.io/name': 'prometheus' } }, { namespaces: {} }, { cidr: '10.0.0.0/16' }] },
    });
    expect(issues).toEqual([]);
    const list = reconcilerObjects(spec).map((obj) => ({ file: `(chart) ${String(obj.kind)}`, obj: obj as unknown as KubernetesObject }));
    expect(list.some(({ obj }) => obj.kind === 'Namespace')).toBe(false);
    expect(await dryRunAll(list)).toEqual([]);
  });
});
