// What the pod deletion cost controller writes on one pod: the node's rank with the
// karpenter.sh/managed-deletion-cost marker; never over a cost the user set; a marked cost
// someone else changed is released (marker removed, their value kept); a managed cost is
// removed where the node is not ranked; pods no ReplicaSet owns are left alone.
import type { Pod } from '../../../../../core/api/k8s.ts';
import { ANNOTATION_MANAGED_DELETION_COST, ANNOTATION_POD_DELETION_COST } from '../../../../../core/contract/index.ts';
import { podAction } from '../../../../../reconciler/controllers/deletion-cost/annotations.ts';

function pod(annotations: Record<string, string> = {}, owner: { kind: string; apiVersion: string } | null = { kind: 'ReplicaSet', apiVersion: 'apps/v1' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'u1', annotations, ...(owner ? { ownerReferences: [{ ...owner, name: 'web-abc', uid: 'rs', controller: true }] } : {}) },
    spec: { containers: [] },
  } as Pod;
}

describe('pod deletion cost: one pod', () => {
  test("a ReplicaSet pod without a cost gets its node's rank and the marker", () => {
    expect(podAction(pod(), -3, undefined)).toEqual({ kind: 'write', value: '-3', annotations: { [ANNOTATION_POD_DELETION_COST]: '-3', [ANNOTATION_MANAGED_DELETION_COST]: 'true' } });
  });

  test('a managed cost is rewritten when the rank moves, and left as is when it did not', () => {
    const p = pod({ [ANNOTATION_POD_DELETION_COST]: '-3', [ANNOTATION_MANAGED_DELETION_COST]: 'true' });
    expect(podAction(p, -1, '-3')).toMatchObject({ kind: 'write', value: '-1' });
    expect(podAction(p, -3, '-3')).toEqual({ kind: 'none', why: 'current' });
  });

  test("a cost the user set (no marker) is never overwritten, nor removed, whatever the node's rank", () => {
    const p = pod({ [ANNOTATION_POD_DELETION_COST]: '1000' });
    expect(podAction(p, -5, undefined)).toEqual({ kind: 'none', why: 'user-managed' });
    expect(podAction(p, undefined, undefined)).toEqual({ kind: 'none', why: 'user-managed' });
  });

  test('a marked cost changed by someone else since the last write is released: marker removed, their value kept', () => {
    const p = pod({ [ANNOTATION_POD_DELETION_COST]: '500', [ANNOTATION_MANAGED_DELETION_COST]: 'true' });
    expect(podAction(p, -2, '-2')).toEqual({ kind: 'release', annotations: { [ANNOTATION_MANAGED_DELETION_COST]: null }, found: '500', wrote: '-2' });
  });

  test('a restarted reconciler (no memory of its writes) takes a marked value as its own, as Karpenter', () => {
    const p = pod({ [ANNOTATION_POD_DELETION_COST]: '500', [ANNOTATION_MANAGED_DELETION_COST]: 'true' });
    expect(podAction(p, -2, undefined)).toMatchObject({ kind: 'write', value: '-2' });
  });

  test('on a node that is not ranked (do-not-disrupt, beyond the bound) a managed cost is removed, nothing else', () => {
    const managed = pod({ [ANNOTATION_POD_DELETION_COST]: '-2', [ANNOTATION_MANAGED_DELETION_COST]: 'true' });
    expect(podAction(managed, undefined, '-2')).toEqual({ kind: 'clear', annotations: { [ANNOTATION_POD_DELETION_COST]: null, [ANNOTATION_MANAGED_DELETION_COST]: null } });
    expect(podAction(pod(), undefined, undefined)).toEqual({ kind: 'none', why: 'current' });
  });

  test('pods no ReplicaSet controls (StatefulSet, Job, bare pods) are not touched', () => {
    expect(podAction(pod({}, { kind: 'StatefulSet', apiVersion: 'apps/v1' }), -3, undefined)).toEqual({ kind: 'none', why: 'not-replicaset' });
    expect(podAction(pod({}, { kind: 'Job', apiVersion: 'batch/v1' }), -3, undefined)).toEqual({ kind: 'none', why: 'not-replicaset' });
    expect(podAction(pod({}, null), -3, undefined)).toEqual({ kind: 'none', why: 'not-replicaset' });
  });
});
