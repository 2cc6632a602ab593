// Volume topology against the real kube-apiserver, kube-controller-manager (the
// PersistentVolume controller binds the claim) and kube-scheduler (VolumeBinding and
// VolumeZone): a pod whose claim is bound to a static PersistentVolume with node affinity
// to us-east-1b gets a node in us-east-1b, and runs there. A node in another zone would
// leave it Pending for good.
import { StorageV1Api } from '@kubernetes/client-node';
import { eventually, testEnv } from '../env/index.ts';
import { onDemandAmd64, onePoolFiles } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const ZONE = 'topology.kubernetes.io/zone';

describe('volume topology', () => {
  const id = runId();
  const pool = `${id}-vol`;
  const workload = new Workload(kc, `${id}-vol`);
  const pvName = `${id}-pv-b`;
  const className = `${id}-static`;
  const storage = kc.makeApiClient(StorageV1Api);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(onePoolFiles(pool, env.network.discoveryTag.value, onDemandAmd64({ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] })), 'volume pool');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-vol` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await workload.core.deletePersistentVolume({ name: pvName }).catch(() => undefined);
    await storage.deleteStorageClass({ name: className }).catch(() => undefined);
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('a pod whose claim is bound to a volume in us-east-1b gets a node in us-east-1b and runs', async () => {
    // A class with no provisioner: the volume is static, bound through claimRef and volumeName.
    await storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } });
    await workload.core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: className,
          persistentVolumeReclaimPolicy: 'Retain',
          local: { path: '/mnt/data' },
          claimRef: { namespace: workload.namespace, name: 'data' },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1b'] }] }] } },
        },
      },
    });
    await workload.core.createNamespacedPersistentVolumeClaim({
      namespace: workload.namespace,
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: className, volumeName: pvName, resources: { requests: { storage: '1Gi' } } },
      },
    });
    await eventually(
      'the claim Bound',
      async () => ((await workload.core.readNamespacedPersistentVolumeClaim({ namespace: workload.namespace, name: 'data' })).status?.phase === 'Bound' ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const pod = podManifest('db', workload.namespace, { cpu: '500m', memory: '512Mi' });
    pod.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    await workload.createPods([pod]);

    await eventually('the pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
    const [bound] = await workload.pods();
    const node = await workload.core.readNode({ name: bound!.spec!.nodeName! });
    expect(node.metadata?.labels?.[ZONE]).toBe('us-east-1b');
    const claims = await workload.nodeClaims([pool]);
    expect(claims).toHaveLength(1);
    expect(claims[0]!.spec.requirements.find((r) => r.key === ZONE)?.values).toEqual(['us-east-1b']);
  });
});
