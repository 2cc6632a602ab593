// The end of a capacity reservation on the real environment: an On-Demand Capacity
// Reservation for one m5.large in moto (test/env/moto-server.py), selected by an
// EC2NodeClass by tags. A first pod gets a node in it; the reservation is then cancelled:
// the class's status.capacityReservations no longer lists it, the next launch falls back to
// on-demand (outside any reservation), and the node that ran in it drifts
// (CapacityReservationDrift) and is replaced.
import { CancelCapacityReservationCommand, CreateCapacityReservationCommand } from '@aws-sdk/client-ec2';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { EC2NodeClass, NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const CLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };
const CLAIMS = { group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' };

describe('the end of a capacity reservation', () => {
  const id = runId();
  const name = `${id}-rsvend`;
  const zone = env.network.subnets[0]!.zone;
  const requirements = [
    { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] },
    { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['reserved', 'on-demand'] },
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['c5', 'm5'] },
    { key: 'karpenter.k8s.aws/instance-size', operator: 'In' as const, values: ['large'] },
  ];
  const workload = new Workload(kc, name);
  let reservationId: string;
  let repo: PolicyRepo;
  let running: RunningReconciler;
  let attempt = 0;

  const launched = async (): Promise<NodeClaim[]> =>
    ((await custom.listClusterCustomObject(CLAIMS)) as { items: NodeClaim[] }).items.filter((c) => c.metadata.labels?.['karpenter.sh/nodepool'] === name && c.status?.providerID && !c.metadata.deletionTimestamp);

  beforeAll(async () => {
    const created = await ec2.send(
      new CreateCapacityReservationCommand({
        InstanceType: 'm5.large',
        InstancePlatform: 'Linux/UNIX',
        AvailabilityZone: zone,
        InstanceCount: 1,
        InstanceMatchCriteria: 'targeted',
        TagSpecifications: [{ ResourceType: 'capacity-reservation', Tags: [{ Key: 'joinery.dev/test-run', Value: name }] }],
      }),
    );
    reservationId = created.CapacityReservation!.CapacityReservationId!;
    const cls = nodeClass(name, env.network.discoveryTag.value, { capacityReservationSelectorTerms: [{ tags: { 'joinery.dev/test-run': name } }] });
    repo = createPolicyRepo();
    repo.push(generatedFiles([nodePool(name, { nodeClass: name, requirements })], [cls]), 'a class selecting a reservation by tags');
    await custom.createClusterCustomObject({ ...CLASSES, body: cls });
    await workload.createNamespace();
    // Reservations re-described every 2 s (production: a minute), so the cancellation is seen at once.
    running = await startReconciler({ env, repo, logName: `reconciler-${name}`, aws: { discoveryTtlMs: 2_000 }, options: { stabilizationMs: 0 } });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [name]);
    await custom.deleteClusterCustomObject({ ...CLASSES, name }).catch(() => undefined);
    if (reservationId) await ec2.send(new CancelCapacityReservationCommand({ CapacityReservationId: reservationId })).catch(() => undefined);
    repo?.remove();
  });

  test('once the reservation is cancelled the class stops listing it, the next launch is on-demand, and the node in it drifts away', async () => {
    attempt += 1;
    const ns = workload.namespace;
    const describe = async () => `decisions:\n${describeDecisions(running)}`;
    if (attempt === 1) {
      // (A retry finds the reservation already cancelled: this part was shown by the first attempt.)
      await workload.createPods([podManifest(`a-${attempt}`, ns, { cpu: '1200m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': name } })]);
      const first = await eventually('a NodeClaim launched into the reservation', async () => (await launched()).find((c) => c.metadata.labels?.['karpenter.k8s.aws/capacity-reservation-id'] === reservationId), {
        timeoutMs: 90_000,
        intervalMs: 1_000,
        describe,
      });
      expect(first.metadata.labels?.['karpenter.sh/capacity-type']).toBe('reserved');
    }

    await ec2.send(new CancelCapacityReservationCommand({ CapacityReservationId: reservationId })).catch(() => undefined);
    const status = await eventually(
      'the class no longer lists the cancelled reservation',
      async () => {
        const c = (await custom.getClusterCustomObject({ ...CLASSES, name })) as EC2NodeClass;
        const listed = c.status?.capacityReservations;
        return Array.isArray(listed) && !listed.some((r) => r.id === reservationId) ? c.status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(status.conditions?.find((c) => c.type === 'CapacityReservationsReady')?.status).toBe('True');

    await workload.createPods([podManifest(`b-${attempt}`, ns, { cpu: '1200m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': name } })]);
    // Every launched node ends up outside the reservation: the new pod's, and the drifted one's replacement.
    const claims = await eventually(
      'two on-demand nodes, none in the reservation',
      async () => {
        const list = await launched();
        return list.length >= 2 && list.every((c) => c.metadata.labels?.['karpenter.sh/capacity-type'] === 'on-demand') ? list : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, describe },
    );
    expect(claims.every((c) => c.metadata.labels?.['karpenter.k8s.aws/capacity-reservation-id'] === undefined)).toBe(true);
    const instances = await instancesOfPools(ec2, [name]);
    expect(instances.filter((i) => i.State?.Name === 'running' && i.CapacityReservationId === reservationId)).toEqual([]);
    if (attempt === 1) expect(running.decisions.some((d) => d.controller === 'disruption' && d.action === 'replace' && /CapacityReservationDrift|no longer one EC2NodeClass/.test(d.message))).toBe(true);
  }, 240_000);
});
