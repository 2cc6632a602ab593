// The Node patch is a JSON Patch guarded by tests of exactly the lists it replaces, so a
// kubelet's status write between our read and our write is no conflict, while a concurrent
// change to the taints or finalizers still fails the patch (and is re-read and retried).
import type { Node } from '../../../../../core/api/k8s.ts';
import { nodePatchOps, pointerToken } from '../../../../../reconciler/adapters/kubernetes/node-patch.ts';

const unregistered = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' as const };

function node(over: Partial<Node['metadata']> = {}, taints = [unregistered]): Node {
  return { metadata: { name: 'n', resourceVersion: '7', ...over }, spec: { taints } };
}

test('registration: labels added per key, the taint list replaced if unchanged, finalizers added only if still absent', () => {
  const current = node({ labels: { 'kubernetes.io/hostname': 'n' } });
  const ops = nodePatchOps(
    current,
    { labels: { 'karpenter.sh/nodepool': 'general', 'karpenter.sh/registered': 'true' }, addFinalizers: ['karpenter.sh/termination'], removeTaints: [unregistered] },
    { taints: [], finalizers: ['karpenter.sh/termination'] },
    { taints: true, finalizers: true },
  );
  expect(ops).toEqual([
    { op: 'add', path: '/metadata/labels/karpenter.sh~1nodepool', value: 'general' },
    { op: 'add', path: '/metadata/labels/karpenter.sh~1registered', value: 'true' },
    { op: 'test', path: '/metadata/finalizers', value: null },
    { op: 'add', path: '/metadata/finalizers', value: ['karpenter.sh/termination'] },
    { op: 'test', path: '/spec/taints', value: [unregistered] },
    { op: 'replace', path: '/spec/taints', value: [] },
  ]);
  // No resourceVersion anywhere: a status write meanwhile does not fail it.
  expect(JSON.stringify(ops)).not.toContain('resourceVersion');
});

test('labels and annotations: a missing map is added whole behind an absence test; null removes a present key only', () => {
  expect(nodePatchOps(node(), { annotations: { 'a/b': 'x', gone: null } }, { taints: [unregistered], finalizers: [] }, { taints: false, finalizers: false })).toEqual([
    { op: 'test', path: '/metadata/annotations', value: null },
    { op: 'add', path: '/metadata/annotations', value: { 'a/b': 'x' } },
  ]);
  expect(nodePatchOps(node({ labels: { keep: '1', drop: '2' } }), { labels: { drop: null, absent: null, keep: '1' } }, { taints: [unregistered], finalizers: [] }, { taints: false, finalizers: false })).toEqual([
    { op: 'remove', path: '/metadata/labels/drop' },
  ]);
});

test('cordon and uncordon; nothing to change is no patch', () => {
  expect(nodePatchOps(node(), { unschedulable: true }, { taints: [unregistered], finalizers: [] }, { taints: false, finalizers: false })).toEqual([{ op: 'add', path: '/spec/unschedulable', value: true }]);
  const cordoned: Node = { ...node(), spec: { taints: [], unschedulable: true } };
  expect(nodePatchOps(cordoned, { unschedulable: false }, { taints: [], finalizers: [] }, { taints: false, finalizers: false })).toEqual([{ op: 'remove', path: '/spec/unschedulable' }]);
  expect(nodePatchOps(cordoned, { unschedulable: true, labels: {} }, { taints: [], finalizers: [] }, { taints: false, finalizers: false })).toBeUndefined();
});

test('JSON Pointer tokens escape ~ before /', () => {
  expect(pointerToken('a~b/c')).toBe('a~0b~1c');
});
