// CSI attach limits against the real kube-scheduler (NodeVolumeLimits) and kube-apiserver:
// a node whose CSINode allows one volume of a driver holds one pod with a claim of that
// driver. A second such pod, small enough to fit the node by CPU and memory, is refused
// there by kube-scheduler ("exceed max volume count"); the reconciler, reading the CSINode,
// launches a node for it and it runs there. Without the limit in the solver nothing is
// launched and it waits. kwok's nodes have no kubelet to register the CSI driver, so the
// test creates each node's CSINode as it appears (as the kubelet does when the driver's
// node plugin starts): that CSINode event is also what makes kube-scheduler retry a pod
// NodeVolumeLimits refused (a new Node alone does not requeue it).
import { StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { LABEL_NODEPOOL } from '../../core/contract/index.ts';
import { eventually, testEnv } from '../env/index.ts';
import { onDemandAmd64, onePoolFiles } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('CSI attach limits', () => {
  const id = runId();
  const pool = `${id}-vlim`;
  const driver = `${id}.csi.joinery.test`;
  const className = `${id}-static`;
  const workload = new Workload(kc, `${id}-vlim`);
  const storage = kc.makeApiClient(StorageV1Api);
  const pvs: string[] = [];
  const csiNodes: string[] = [];
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;
  let attempt = 0;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(onePoolFiles(pool, env.network.discoveryTag.value, onDemandAmd64({ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] })), 'volume limits pool');
    await workload.createNamespace();
    await storage.createStorageClass({ body: { metadata: { name: className }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } });
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-vlim` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    for (const name of pvs) await workload.core.deletePersistentVolume({ name }).catch(() => undefined);
    for (const name of csiNodes) await storage.deleteCSINode({ name }).catch(() => undefined);
    const attachments = await storage.listVolumeAttachment().catch(() => ({ items: [] }));
    for (const a of attachments.items) if (pvs.includes(a.spec.source.persistentVolumeName ?? '')) await storage.deleteVolumeAttachment({ name: a.metadata!.name! }).catch(() => undefined);
    await storage.deleteStorageClass({ name: className }).catch(() => undefined);
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  /** A claim bound to a static CSI PersistentVolume of the test's driver, and a pod using it. */
  async function podWithVolume(name: string): Promise<V1Pod> {
    const pv = `${id}-${name}`;
    pvs.push(pv);
    await workload.core.createPersistentVolume({
      body: {
        metadata: { name: pv },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: className,
          persistentVolumeReclaimPolicy: 'Retain',
          csi: { driver, volumeHandle: `vol-${pv}` },
          claimRef: { namespace: workload.namespace, name },
        },
      },
    });
    await workload.core.createNamespacedPersistentVolumeClaim({
      namespace: workload.namespace,
      body: { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: className, volumeName: pv, resources: { requests: { storage: '1Gi' } } } },
    });
    await eventually(
      `claim ${name} Bound`,
      async () => ((await workload.core.readNamespacedPersistentVolumeClaim({ namespace: workload.namespace, name })).status?.phase === 'Bound' ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const pod = podManifest(name, workload.namespace, { cpu: '250m', memory: '256Mi', nodeSelector: { [LABEL_NODEPOOL]: pool } });
    pod.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: name } }];
    return pod;
  }

  /** The node's CSINode as the kubelet writes it when the driver's node plugin registers: one volume attachable. */
  async function registerDriver(node: string): Promise<void> {
    const nodeObj = await workload.core.readNode({ name: node });
    csiNodes.push(node);
    await storage.createCSINode({
      body: {
        metadata: { name: node, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeObj.metadata!.uid! }] },
        spec: { drivers: [{ name: driver, nodeID: node, allocatable: { count: 1 } }] },
      },
    });
  }

  const nodeOf = async (name: string): Promise<string | undefined> => (await workload.core.readNamespacedPod({ namespace: workload.namespace, name })).spec?.nodeName;
  const runningOn = async (name: string): Promise<string | undefined> => {
    const p = await workload.core.readNamespacedPod({ namespace: workload.namespace, name });
    return p.status?.phase === 'Running' ? p.spec?.nodeName : undefined;
  };

  test("a node whose CSINode allows one volume of the driver: the second pod's claim gets a node of its own, and the pod runs there", async () => {
    attempt += 1;
    if (attempt > 1) {
      // Undo the earlier attempt: its pods and nodes (its volumes and CSINodes stay named apart).
      await workload.deleteAllPods();
      await cleanUpPools(kc, ec2, [pool]);
    }
    const first = `a${attempt}-first`;
    const second = `a${attempt}-second`;
    await workload.createPods([await podWithVolume(first)]);
    const describe = async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`;
    const node = await eventually(`pod ${first} Running`, () => runningOn(first), { timeoutMs: 120_000, intervalMs: 1_000, describe });
    await registerDriver(node);
    await workload.createPods([await podWithVolume(second)]);
    // The node launched for the second pod: its CSI driver registers too.
    const launched = await eventually(
      'a second node of the pool',
      async () => (await workload.core.listNode({ labelSelector: `${LABEL_NODEPOOL}=${pool}` })).items.map((n) => n.metadata!.name!).find((n) => n !== node),
      { timeoutMs: 120_000, intervalMs: 1_000, describe },
    );
    await registerDriver(launched);
    const other = await eventually(`pod ${second} Running`, () => runningOn(second), { timeoutMs: 120_000, intervalMs: 1_000, describe });
    expect(other).not.toBe(node);
    expect(await nodeOf(first)).toBe(node);
    expect((await workload.nodeClaims([pool])).length).toBeGreaterThanOrEqual(2);
  });
});
