// --min-values-policy on the real environment: a NodePool asking for at least 3 instance
// families (c5, m5, r5), a pod pinned to r5 and a pod that is not. Strict (the default): the
// free pod gets a NodeClaim offering the 3 families and runs; the pinned pod gets no
// NodeClaim and a Warning Event MinValuesNotMet saying why. The same cluster under a
// reconciler started with BestEffort: the pinned pod gets a NodeClaim annotated
// karpenter.sh/nodeclaim-min-values-relaxed, and EC2 (moto) runs an r5 for it.
// `joinery explain pod` on the pinned pod under Strict names the pool, the key, the
// minValues asked and the family offered, from the Event on the real API server.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import type { PodExplanation } from '../../reconciler/explain/index.ts';
import { ANNOTATION_MIN_VALUES_RELAXED, LABEL_INSTANCE_FAMILY, LABEL_INSTANCE_TYPE } from '../../core/contract/index.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const kc = env.kubeConfig();
const ec2 = env.ec2();
const core = kc.makeApiClient(CoreV1Api);
const discovery = () => {
  if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
  return env.network.discoveryTag.value;
};

describe('--min-values-policy', () => {
  const id = runId();
  const cls = `${id}-minv`;
  const pool = `${id}-minv`;
  const workload = new Workload(kc, `${id}-minv`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    repo = createPolicyRepo();
    repo.push(
      generatedFiles(
        [
          nodePool(pool, {
            nodeClass: cls,
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
              { key: LABEL_INSTANCE_FAMILY, operator: 'In', values: ['c5', 'm5', 'r5'], minValues: 3 },
              { key: 'karpenter.k8s.aws/instance-size', operator: 'In', values: ['large', 'xlarge'] },
            ],
          }),
        ],
        [nodeClass(cls, discovery())],
      ),
      'a pool asking for 3 families',
    );
    await workload.createNamespace();
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  const familiesOf = (c: { spec: { requirements: { key: string; values?: string[] }[] } }) =>
    new Set((c.spec.requirements.find((r) => r.key === LABEL_INSTANCE_TYPE)?.values ?? []).map((t) => t.split('.')[0]));

  test('Strict, then BestEffort: the pinned pod gets no NodeClaim and a MinValuesNotMet Event, then a relaxed, annotated NodeClaim and an r5', async () => {
    const ns = workload.namespace;
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-minv-strict` });
    await workload.createPods([
      podManifest('pinned', ns, { cpu: '500m', memory: '1Gi', nodeSelector: { [LABEL_INSTANCE_FAMILY]: 'r5' } }),
      podManifest('free', ns, { cpu: '500m', memory: '1Gi' }),
    ]);
    const r = running;
    const event = await eventually(
      'a MinValuesNotMet Event on the pinned pod',
      async () => (await core.listNamespacedEvent({ namespace: ns })).items.find((e) => e.reason === 'MinValuesNotMet' && e.involvedObject.name === 'pinned'),
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `decisions:\n${describeDecisions(r)}` },
    );
    expect(event.type).toBe('Warning');
    expect(event.message).toContain(`NodePool ${pool} requires at least 3 distinct values of ${LABEL_INSTANCE_FAMILY} (minValues)`);
    expect(event.message).toContain('offer 1 (r5)');
    // joinery explain pod, the CLI against the real API server.
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/joinery.js'), 'explain', 'pod', `${ns}/pinned`, '--json', '--kubeconfig', env.kubeconfigPath], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    const explained = JSON.parse(stdout) as PodExplanation;
    expect(explained.verdict).toBe('not-provisioned');
    expect(explained.minValues).toEqual([{ nodePool: pool, key: LABEL_INSTANCE_FAMILY, minValues: 3, offered: ['r5'] }]);
    expect(explained.summary).toContain(event.message!);
    await eventually(
      'the free pod Running',
      async () => ((await workload.pods()).find((p) => p.metadata!.name === 'free')?.status?.phase === 'Running' ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(r)}` },
    );
    // Every claim Strict created keeps the 3 families; none for the pinned pod.
    const strictClaims = await workload.nodeClaims([pool]);
    expect(strictClaims.length).toBeGreaterThan(0);
    for (const c of strictClaims) {
      expect(familiesOf(c).size).toBeGreaterThanOrEqual(3);
      expect(c.metadata.annotations?.[ANNOTATION_MIN_VALUES_RELAXED]).toBeUndefined();
    }
    expect((await workload.pods()).find((p) => p.metadata!.name === 'pinned')?.spec?.nodeName).toBeUndefined();
    await running.stop();

    // The same cluster under BestEffort.
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-minv-besteffort`, options: { minValuesPolicy: 'BestEffort' } });
    const b = running;
    await eventually(
      'the pinned pod Running',
      async () => ((await workload.pods()).find((p) => p.metadata!.name === 'pinned')?.status?.phase === 'Running' ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(b)}` },
    );
    const relaxed = (await workload.nodeClaims([pool])).filter((c) => c.metadata.annotations?.[ANNOTATION_MIN_VALUES_RELAXED] === 'true');
    expect(relaxed).toHaveLength(1);
    expect([...familiesOf(relaxed[0]!)]).toEqual(['r5']);
    expect(relaxed[0]!.spec.requirements.find((x) => x.key === LABEL_INSTANCE_FAMILY)?.minValues).toBe(1);
    const types = (await instancesOfPools(ec2, [pool])).map((i) => i.InstanceType);
    expect(types.filter((t) => t?.startsWith('r5.'))).toHaveLength(1);
  }, 200_000);
});
