// Reading workload snapshots (`kubectl get pods,nodes,daemonsets -A -o json`) and what the
// what-if re-provisions and keeps.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseWorkload, readWorkloadFile, WorkloadError } from '../../../../compiler/plan/workload.ts';
import { splitWorkload } from '../../../../compiler/plan/what-if.ts';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/plan/workload-gpu.json', import.meta.url));

function reason(text: string): string {
  try {
    parseWorkload('snap.json', text);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadError);
    return (error as Error).message;
  }
  throw new Error('parsed');
}

describe('workload snapshots', () => {
  test('the recorded kubectl List: pods, nodes and DaemonSets', async () => {
    const snapshot = await readWorkloadFile(FIXTURE, 'workload-gpu.json');
    expect(snapshot.source).toBe('workload-gpu.json');
    expect([snapshot.pods.length, snapshot.nodes.length, snapshot.daemonSets.length]).toEqual([32, 4, 3]);
  });

  test('a typed list (kubectl get pods -o json from the API: items without kind) reads too', () => {
    const list = { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a', namespace: 'x' }, spec: { containers: [{ name: 'c' }] } }] };
    expect(parseWorkload('pods.json', JSON.stringify(list)).pods).toHaveLength(1);
  });

  test('bad input names the file and says what is wrong', () => {
    expect(reason('{"items": [')).toMatch(/^snap\.json: not valid JSON \(.*\); expected the output of `kubectl get pods,nodes,daemonsets -A -o json`/);
    expect(reason('[]')).toMatch(/^snap\.json: not a pod list: found a JSON array;/);
    expect(reason('{"kind": "Pod", "metadata": {}}')).toMatch(/^snap\.json: not a pod list: found a JSON object of kind Pod without an items list/);
    expect(reason('{"kind": "List", "items": []}')).toMatch(/holds no Pod \(the list is empty\)/);
    expect(reason(JSON.stringify({ kind: 'List', items: [{ kind: 'Service', metadata: { name: 's' } }, { kind: 'Service', metadata: { name: 't' } }] }))).toMatch(/holds no Pod \(found 2 Service\)/);
    expect(reason(JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: {} }] }))).toBe(
      'snap.json: items[0] (Pod ns/p): spec.containers is missing (not a pod spec)',
    );
    expect(
      reason(JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] } }] })),
    ).toMatch(/^snap\.json: items\[0\] \(Pod p\): spec\.containers\[0\]\.resources\.requests: invalid quantity "lots"/);
    expect(reason(JSON.stringify({ kind: 'List', items: ['pod'] }))).toBe('snap.json: items[0] is a JSON string, not a Kubernetes object');
  });

  test('what is re-provisioned and what is kept', () => {
    const snapshot = parseWorkload('w.json', readFileSync(FIXTURE, 'utf8'));
    const split = splitWorkload(snapshot, new Set(['general-purpose', 'gpu']));
    // The managed node group node is kept, with every pod bound to it (DaemonSet pods included).
    expect(split.kept.map((n) => n.name)).toEqual(['ip-10-0-0-10.ec2.internal']);
    expect(split.kept[0]!.pods.map((p) => p.metadata.name).sort()).toEqual(
      ['aws-node-ax0q', 'coredns-5d8f7c9b6-9wz7m', 'coredns-5d8f7c9b6-x2k4q', 'karpenter-6c9f8d7b5-l8q2r', 'kube-proxy-ey0w'].sort(),
    );
    expect(split.reprovisioned).toHaveLength(3);
    // Placed again: running pods of Karpenter nodes and pending pods; not DaemonSet pods, not the finished job.
    const placed = split.podsToPlace.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(placed).toHaveLength(19);
    expect(placed).toContain('ml/train-0');
    expect(placed).toContain('batch/report-29134000-8kq2x');
    expect(placed.some((p) => p.includes('aws-node') || p.includes('migrate'))).toBe(false);
    expect(split.podsToPlace.every((p) => p.spec.nodeName === undefined)).toBe(true);
    // A pool the policies do not define is not theirs to re-provision: its nodes are kept.
    expect(splitWorkload(snapshot, new Set(['general-purpose'])).kept.map((n) => n.name)).toContain('ip-10-0-2-21.ec2.internal');
  });
});
