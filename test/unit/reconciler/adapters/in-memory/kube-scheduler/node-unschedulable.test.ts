// NodeUnschedulable: a cordoned node takes no new pod unless the pod tolerates the unschedulable taint.
import { ERR_UNSCHEDULABLE, nodeUnschedulable } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-unschedulable.ts';
import { accepted, cluster, node, pod } from './cluster.ts';

test('kubectl cordon: new pods go elsewhere; a pod tolerating node.kubernetes.io/unschedulable may still land', () => {
  const c = cluster([node('cordoned', { unschedulable: true }), node('open')]);
  const f = nodeUnschedulable.prepareFilter(pod('web'), c);
  expect(f(c.byName('cordoned'))).toEqual([ERR_UNSCHEDULABLE]);
  expect(accepted(f, c)).toEqual(['open']);
  const tolerant = pod('agent', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  expect(accepted(nodeUnschedulable.prepareFilter(tolerant, c), c)).toEqual(['cordoned', 'open']);
});
