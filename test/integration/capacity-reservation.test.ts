// Capacity reservations on the real environment: an On-Demand Capacity Reservation created
// in moto (through test/env/moto-server.py, which adds them to moto) for one m5.large is
// selected by an EC2NodeClass by tags and owner; of two pods that each need a node of their
// own, one gets the reserved m5.large (EC2 launched it into the reservation; its NodeClaim is
// karpenter.sh/capacity-type=reserved with the reservation's id) and the other, the
// reservation being full, an on-demand node. The class lists the reservation in
// status.capacityReservations. A class naming a reservation id EC2 does not know is not
// Ready (CapacityReservationsReady=False naming the id) and its pool launches nothing.
import { CancelCapacityReservationCommand, CreateCapacityReservationCommand, DescribeCapacityReservationsCommand } from '@aws-sdk/client-ec2';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { EC2NodeClass, NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, instancesOfPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const custom = kc.makeApiClient(CustomObjectsApi);
const CLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };
const CLAIMS = { group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' };
const MOTO_ACCOUNT = '123456789012';

describe('capacity reservations', () => {
  const id = runId();
  const classes = { reserved: `${id}-rsv`, unknown: `${id}-rsv-unknown`, byId: `${id}-rsv-id`, targeted: `${id}-rsv-targeted`, open: `${id}-rsv-open` };
  const pools = { reserved: `${id}-rsv`, unknown: `${id}-rsv-unknown` };
  const unknownId = 'cr-0123456789abcdef0';
  const zone = env.network.subnets[0]!.zone;
  // Reserved first, on-demand when the reservation is full; m5 or c5, large only, so each
  // 1200m pod needs a node of its own (c5.large is the cheapest on-demand type).
  const requirements = [
    { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] },
    { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['reserved', 'on-demand'] },
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['c5', 'm5'] },
    { key: 'karpenter.k8s.aws/instance-size', operator: 'In' as const, values: ['large'] },
  ];
  const workload = new Workload(kc, `${id}-rsv`);
  let reservationId: string;
  let repo: PolicyRepo;
  let running: RunningReconciler;

  beforeAll(async () => {
    const created = await ec2.send(
      new CreateCapacityReservationCommand({
        InstanceType: 'm5.large',
        InstancePlatform: 'Linux/UNIX',
        AvailabilityZone: zone,
        InstanceCount: 1,
        InstanceMatchCriteria: 'targeted',
        TagSpecifications: [{ ResourceType: 'capacity-reservation', Tags: [{ Key: 'joinery.dev/test-run', Value: id }] }],
      }),
    );
    reservationId = created.CapacityReservation!.CapacityReservationId!;
    const discovery = env.network.discoveryTag.value;
    const reservedClass = nodeClass(classes.reserved, discovery, { capacityReservationSelectorTerms: [{ tags: { 'joinery.dev/test-run': id }, ownerID: MOTO_ACCOUNT }] });
    const unknownClass = nodeClass(classes.unknown, discovery, { capacityReservationSelectorTerms: [{ id: unknownId }] });
    // Classes without pools, for their status: by id, and by tags with either match criteria.
    const selectorClasses = [
      nodeClass(classes.byId, discovery, { capacityReservationSelectorTerms: [{ id: reservationId }] }),
      nodeClass(classes.targeted, discovery, { capacityReservationSelectorTerms: [{ tags: { 'joinery.dev/test-run': id }, instanceMatchCriteria: 'targeted' }] }),
      nodeClass(classes.open, discovery, { capacityReservationSelectorTerms: [{ tags: { 'joinery.dev/test-run': id }, instanceMatchCriteria: 'open' }] }),
    ];
    repo = createPolicyRepo();
    repo.push(
      generatedFiles([nodePool(pools.reserved, { nodeClass: classes.reserved, requirements }), nodePool(pools.unknown, { nodeClass: classes.unknown, requirements })], [reservedClass, unknownClass, ...selectorClasses]),
      'a class selecting a reservation by tags and owner, one naming an id EC2 does not know, and three selecting by id or match criteria',
    );
    for (const c of [reservedClass, unknownClass, ...selectorClasses]) await custom.createClusterCustomObject({ ...CLASSES, body: c });
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-rsv` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, Object.values(pools));
    for (const name of Object.values(classes)) await custom.deleteClusterCustomObject({ ...CLASSES, name }).catch(() => undefined);
    if (reservationId) await ec2.send(new CancelCapacityReservationCommand({ CapacityReservationId: reservationId })).catch(() => undefined);
    repo?.remove();
  });

  test('the reservation is used first (a reserved NodeClaim, an instance in the reservation), the overflow goes on demand; an unknown reservation id launches nothing and says so', async () => {
    const ns = workload.namespace;
    await workload.createPods([
      podManifest('a', ns, { cpu: '1200m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pools.reserved } }),
      podManifest('b', ns, { cpu: '1200m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pools.reserved } }),
      podManifest('c', ns, { cpu: '1200m', memory: '1Gi', nodeSelector: { 'karpenter.sh/nodepool': pools.unknown } }),
    ]);
    const claims = await eventually(
      'two launched NodeClaims in the reserved pool',
      async () => {
        const list = ((await custom.listClusterCustomObject(CLAIMS)) as { items: NodeClaim[] }).items.filter((c) => c.metadata.labels?.['karpenter.sh/nodepool'] === pools.reserved && c.status?.providerID);
        return list.length === 2 ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000, describe: async () => `decisions:\n${describeDecisions(running)}` },
    );
    const byType = Object.fromEntries(claims.map((c) => [c.metadata.labels?.['karpenter.sh/capacity-type'], c.metadata.labels ?? {}]));
    expect(Object.keys(byType).sort()).toEqual(['on-demand', 'reserved']);
    expect(byType.reserved).toMatchObject({
      'node.kubernetes.io/instance-type': 'm5.large',
      'topology.kubernetes.io/zone': zone,
      'karpenter.k8s.aws/capacity-reservation-id': reservationId,
      'karpenter.k8s.aws/capacity-reservation-type': 'default',
    });
    expect(byType['on-demand']?.['karpenter.k8s.aws/capacity-reservation-id']).toBeUndefined();

    // EC2 (moto) launched the reserved one into the reservation, the other outside it.
    const instances = await instancesOfPools(ec2, [pools.reserved]);
    const inReservation = instances.filter((i) => i.CapacityReservationId === reservationId);
    expect(inReservation.map((i) => [i.InstanceType, i.CapacityReservationSpecification?.CapacityReservationPreference])).toEqual([['m5.large', 'capacity-reservations-only']]);
    expect(instances.filter((i) => !i.CapacityReservationId)).toHaveLength(1);
    const described = await ec2.send(new DescribeCapacityReservationsCommand({ CapacityReservationIds: [reservationId] }));
    expect(described.CapacityReservations?.[0]?.AvailableInstanceCount).toBe(0);

    const reservedStatus = await eventually(
      'the reserved class lists its reservation',
      async () => {
        const c = (await custom.getClusterCustomObject({ ...CLASSES, name: classes.reserved })) as EC2NodeClass;
        return c.status?.capacityReservations?.length ? c.status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(reservedStatus.capacityReservations).toEqual([
      { id: reservationId, instanceType: 'm5.large', availabilityZone: zone, ownerID: MOTO_ACCOUNT, instanceMatchCriteria: 'targeted', reservationType: 'default', state: 'active' },
    ]);
    expect(reservedStatus.conditions?.find((c) => c.type === 'CapacityReservationsReady')?.status).toBe('True');

    const unknown = await eventually(
      'the class naming an unknown reservation is not Ready',
      async () => {
        const c = (await custom.getClusterCustomObject({ ...CLASSES, name: classes.unknown })) as EC2NodeClass;
        return c.status?.conditions?.some((x) => x.type === 'CapacityReservationsReady') ? c.status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const condition = unknown.conditions!.find((c) => c.type === 'CapacityReservationsReady')!;
    expect(condition).toMatchObject({ status: 'False', reason: 'CapacityReservationNotFound' });
    expect(condition.message).toContain(`spec.capacityReservationSelectorTerms[0].id "${unknownId}"`);
    expect(unknown.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    // Its pod was in the same batch as the two launched ones: nothing was launched for it.
    expect(await instancesOfPools(ec2, [pools.unknown])).toEqual([]);
    expect(instances.every((i) => tagsOf(i)['karpenter.sh/nodepool'] === pools.reserved)).toBe(true);
  }, 150_000);

  test('selected by id, or by tags and instanceMatchCriteria: status.capacityReservations lists exactly the reservations each term matches', async () => {
    const listed = async (name: string) =>
      eventually(
        `EC2NodeClass ${name} judged its capacity reservations`,
        async () => {
          const c = (await custom.getClusterCustomObject({ ...CLASSES, name })) as EC2NodeClass;
          const ready = c.status?.conditions?.find((x) => x.type === 'CapacityReservationsReady');
          return ready ? { ready: ready.status, ids: (c.status?.capacityReservations ?? []).map((r) => r.id) } : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    expect(await listed(classes.byId)).toEqual({ ready: 'True', ids: [reservationId] });
    expect(await listed(classes.targeted)).toEqual({ ready: 'True', ids: [reservationId] });
    // The reservation is targeted: a term asking for open reservations does not select it.
    expect(await listed(classes.open)).toEqual({ ready: 'True', ids: [] });
  }, 60_000);
});
