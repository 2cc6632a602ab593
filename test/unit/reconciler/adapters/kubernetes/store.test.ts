// The informer cache: ordered by resourceVersion (a late event never rolls an object
// back), deleted objects are not resurrected by a late write response, a relist repairs
// missed deletions, and the pods-by-node index follows bindings.
import type { Pod } from '../../../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../../../core/api/karpenter.ts';
import { compareResourceVersions, toPlain } from '../../../../../reconciler/adapters/kubernetes/plain.ts';
import { patchedFinalizers, patchedTaints } from '../../../../../reconciler/adapters/kubernetes/cluster.ts';
import { InformerStore } from '../../../../../reconciler/adapters/kubernetes/store.ts';
import type { WatchEvent } from '../../../../../reconciler/ports/cluster.ts';

function claim(name: string, rv: string, labels: Record<string, string> = {}): NodeClaim {
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name, resourceVersion: rv, labels }, spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] } };
}
function pod(name: string, rv: string, nodeName?: string): Pod {
  return { metadata: { name, namespace: 'web', resourceVersion: rv }, spec: { containers: [], ...(nodeName ? { nodeName } : {}) } };
}

describe('InformerStore', () => {
  let store: InformerStore;
  let events: string[];
  beforeEach(() => {
    store = new InformerStore(['Pod', 'NodeClaim']);
    events = [];
    store.subscribe((e: WatchEvent) => events.push(`${e.type} ${e.kind} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`));
  });

  test('newer observations replace older ones; older or equal ones are ignored', () => {
    store.upsert('NodeClaim', claim('a', '10'));
    store.upsert('NodeClaim', claim('a', '12', { x: 'new' }));
    store.upsert('NodeClaim', claim('a', '11', { x: 'stale' }));
    store.upsert('NodeClaim', claim('a', '12', { x: 'same' }));
    expect(store.get('NodeClaim', 'a')?.metadata.labels).toEqual({ x: 'new' });
    expect(events).toEqual(['ADDED NodeClaim a@10', 'MODIFIED NodeClaim a@12']);
  });

  test('a deleted object is not brought back by an older write response, but a re-created one is', () => {
    store.upsert('NodeClaim', claim('a', '10'));
    store.remove('NodeClaim', claim('a', '15'));
    store.upsert('NodeClaim', claim('a', '14'));
    expect(store.get('NodeClaim', 'a')).toBeUndefined();
    store.upsert('NodeClaim', claim('a', '20'));
    expect(store.get('NodeClaim', 'a')?.metadata.resourceVersion).toBe('20');
    expect(events).toEqual(['ADDED NodeClaim a@10', 'DELETED NodeClaim a@15', 'ADDED NodeClaim a@20']);
  });

  test('a relist deletes what is gone and keeps what is unchanged silent', () => {
    store.replace('NodeClaim', [claim('a', '1'), claim('b', '2')]);
    events.length = 0;
    store.replace('NodeClaim', [claim('b', '2'), claim('c', '3')]);
    expect(store.list('NodeClaim').map((c) => c.metadata.name).sort()).toEqual(['b', 'c']);
    expect(events.sort()).toEqual(['ADDED NodeClaim c@3', 'DELETED NodeClaim a@1']);
  });

  test('pods are indexed by node as they are bound, moved and deleted', () => {
    store.upsert('Pod', pod('p', '1'));
    expect(store.podsOnNode('n1')).toEqual([]);
    store.upsert('Pod', pod('p', '2', 'n1'));
    expect(store.podsOnNode('n1').map((p) => p.metadata.name)).toEqual(['p']);
    store.upsert('Pod', pod('p', '3', 'n2'));
    expect(store.podsOnNode('n1')).toEqual([]);
    expect(store.podsOnNode('n2')).toHaveLength(1);
    store.remove('Pod', pod('p', '4', 'n2'));
    expect(store.podsOnNode('n2')).toEqual([]);
    expect(store.get('Pod', 'p', 'web')).toBeUndefined();
  });

  test('lists are stable between changes and refreshed after one', () => {
    store.upsert('NodeClaim', claim('a', '1'));
    const first = store.list('NodeClaim');
    expect(store.list('NodeClaim')).toBe(first);
    store.upsert('NodeClaim', claim('b', '2'));
    expect(store.list('NodeClaim')).toHaveLength(2);
  });
});

describe('plain objects and resource versions', () => {
  test('Dates become RFC 3339 strings and managedFields are dropped', () => {
    const out = toPlain<{ metadata: Record<string, unknown> }>({
      metadata: { name: 'x', creationTimestamp: new Date('2026-01-02T03:04:05Z'), managedFields: [{ manager: 'kubectl' }], deletionTimestamp: undefined },
    });
    expect(out).toEqual({ metadata: { name: 'x', creationTimestamp: '2026-01-02T03:04:05Z' } });
  });
  test('numeric resource versions compare as numbers', () => {
    expect(compareResourceVersions('9', '10')).toBe(-1);
    expect(compareResourceVersions('100', '99')).toBe(1);
    expect(compareResourceVersions('7', '7')).toBe(0);
    expect(compareResourceVersions('abc', 'abd')).toBe(1);
  });
});

describe('list fields changed read-modify-write', () => {
  test('taints: added unless key and effect are present, removed by key and effect', () => {
    const current = [
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ];
    expect(
      patchedTaints(current, {
        addTaints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
        removeTaints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }],
      }),
    ).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'dedicated', value: 'web', effect: 'NoSchedule' },
    ]);
  });
  test('finalizers: others are kept', () => {
    expect(patchedFinalizers(['example.com/keep', 'karpenter.sh/termination'], { removeFinalizers: ['karpenter.sh/termination'] })).toEqual(['example.com/keep']);
    expect(patchedFinalizers(['example.com/keep'], { addFinalizers: ['karpenter.sh/termination', 'example.com/keep'] })).toEqual(['example.com/keep', 'karpenter.sh/termination']);
  });
});
