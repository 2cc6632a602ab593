// The what-if's words: who owns a stranded pod, how stranded pods are grouped, and the cost
// verdict that never calls a change cheaper when the saving is pods left unplaced.
import type { Pod } from '../../../../core/api/k8s.ts';
import { costVerdict, groupByOwner, ownerOf, whatIf } from '../../../../compiler/plan/what-if.ts';
import { parseWorkload } from '../../../../compiler/plan/workload.ts';
import { catalog, model, pool } from './intent-fixtures.ts';
import type { SimulationOutcome } from '../../../../compiler/plan/types.ts';

function pod(name: string, owner?: { kind: string; name: string }, labels: Record<string, string> = {}): Pod {
  return { metadata: { name, namespace: 'ns', labels, ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: owner.kind, name: owner.name, uid: 'u', controller: true }] } : {}) }, spec: { containers: [] } } as unknown as Pod;
}

function outcome(hourlyCost: number, podsPlaced: number): SimulationOutcome {
  return { nodes: 1, nodesByPool: {}, hourlyCost, podsPlaced, costPerPlacedPod: podsPlaced > 0 ? hourlyCost / podsPlaced : null, unschedulable: [] };
}

describe('ownerOf', () => {
  it('names the Deployment of a ReplicaSet, the CronJob of a Job, and the rest as they are', () => {
    expect(ownerOf(pod('web-7d9c5f6b8-a1b2c', { kind: 'ReplicaSet', name: 'web-7d9c5f6b8' }, { 'pod-template-hash': '7d9c5f6b8' }))).toBe('Deployment ns/web');
    expect(ownerOf(pod('infer-6f7b8c9d4-r2t5w', { kind: 'ReplicaSet', name: 'infer-6f7b8c9d4' }))).toBe('Deployment ns/infer');
    expect(ownerOf(pod('report-29134000-8kq2x', { kind: 'Job', name: 'report-29134000' }))).toBe('CronJob ns/report');
    expect(ownerOf(pod('migrate-28fx9', { kind: 'Job', name: 'migrate' }))).toBe('Job ns/migrate');
    expect(ownerOf(pod('train-0', { kind: 'StatefulSet', name: 'train' }))).toBe('StatefulSet ns/train');
    expect(ownerOf(pod('debug'))).toBe('Pod ns/debug');
  });
});

describe('groupByOwner', () => {
  it('one line per workload and reason, the largest first', () => {
    const groups = groupByOwner([
      { pod: 'ns/a-0', owner: 'StatefulSet ns/a', reason: 'needs 4 GPUs' },
      { pod: 'ns/b-1', owner: 'Deployment ns/b', reason: 'no zone' },
      { pod: 'ns/a-1', owner: 'StatefulSet ns/a', reason: 'needs 4 GPUs' },
      { pod: 'ns/a-2', owner: 'StatefulSet ns/a', reason: 'needs 8 GPUs' },
    ]);
    expect(groups).toEqual([
      { owner: 'StatefulSet ns/a', pods: ['ns/a-0', 'ns/a-1'], reason: 'needs 4 GPUs' },
      { owner: 'Deployment ns/b', pods: ['ns/b-1'], reason: 'no zone' },
      { owner: 'StatefulSet ns/a', pods: ['ns/a-2'], reason: 'needs 8 GPUs' },
    ]);
  });
});

describe('costVerdict', () => {
  it('a lower $/h that comes from stranded pods is "not cheaper", compared per placed pod', () => {
    const verdict = costVerdict(outcome(10, 20), outcome(4, 17), 3, 0);
    expect(verdict).toBe('not cheaper: $6.00/h less only because 3 pods no longer fit and are not placed; per placed pod $0.5000/h -> $0.2353/h');
    expect(verdict).not.toMatch(/^cheaper/);
  });

  it('the same pods for less is cheaper; for more, dearer; more pods placed for more says so', () => {
    expect(costVerdict(outcome(10, 20), outcome(8, 20), 0, 0)).toBe('cheaper: $2.00/h less for the same pods; per placed pod $0.5000/h -> $0.4000/h');
    expect(costVerdict(outcome(8, 20), outcome(10, 20), 0, 0)).toMatch(/^dearer: \$2\.00\/h more/);
    expect(costVerdict(outcome(8, 18), outcome(10, 20), 0, 2)).toMatch(/^\$2\.00\/h more, for 2 more pods placed/);
    expect(costVerdict(outcome(8, 18), outcome(8, 18), 0, 0)).toBe('the same $/h ($8.00/h)');
  });

  it('stranded pods with a higher $/h: both said', () => {
    expect(costVerdict(outcome(8, 20), outcome(9, 19), 1, 0)).toMatch(/^1 pod no longer fits, and the pods that do fit cost \$1\.00\/h more/);
  });
});

describe('whatIf with volumes', () => {
  const ZONE = 'topology.kubernetes.io/zone';
  const snapshotText = (withStorage: boolean) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'pg-0', namespace: 'db', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'pg', uid: 'u', controller: true }] },
          spec: { containers: [{ name: 'pg', resources: { requests: { cpu: '1', memory: '2Gi' } } }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-pg-0' } }] },
          status: { phase: 'Running' },
        },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'db' }, spec: { containers: [{ name: 'w', resources: { requests: { cpu: '1', memory: '1Gi' } } }] }, status: { phase: 'Running' } },
        ...(withStorage
          ? [
              { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-pg-0', namespace: 'db' }, spec: { volumeName: 'pv-c', storageClassName: 'gp3' } },
              {
                apiVersion: 'v1',
                kind: 'PersistentVolume',
                metadata: { name: 'pv-c' },
                spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-c' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['us-east-1c'] }] }] } } },
              },
              { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' },
            ]
          : []),
      ],
    });
  const base = model([pool('web')]);
  const head = model([pool('web', (s) => s.template.spec.requirements.push({ key: ZONE, operator: 'In', values: ['us-east-1a', 'us-east-1b'] }))]);

  it("a head that leaves the zone of a pod's volume strands that pod, and says why", () => {
    const snapshot = parseWorkload('snap.json', snapshotText(true));
    expect([snapshot.claims?.length, snapshot.volumes?.length, snapshot.storageClasses?.length]).toEqual([1, 1, 1]);
    const w = whatIf(snapshot, base, head, catalog);
    expect(w.base.unschedulable).toEqual([]);
    expect(w.noLongerFit.map((u) => u.pod)).toEqual(['db/pg-0']);
    expect(w.noLongerFit[0]!.reason).toContain(`NodePool web: volume data (claim db/data-pg-0, bound to PersistentVolume pv-c) needs ${ZONE} In [us-east-1c], which the pool does not allow`);
    expect(w.head.podsPlaced).toBe(1);
  });

  it('a snapshot without storage objects leaves volumes unread, as before', () => {
    const w = whatIf(parseWorkload('snap.json', snapshotText(false)), base, head, catalog);
    expect(w.noLongerFit).toEqual([]);
  });
});
