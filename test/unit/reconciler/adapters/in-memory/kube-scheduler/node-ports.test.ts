// NodePorts: host ports by port, protocol and host IP.
import { ERR_NODE_PORTS, nodePorts } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-ports.ts';
import { accepted, cluster, node, pod } from './cluster.ts';

test('two pods with hostPort 8080: the second cannot share the node', () => {
  const c = cluster([node('a'), node('b')], { a: [pod('ingress-1', { hostPort: 8080 })] });
  const f = nodePorts.prepareFilter(pod('ingress-2', { hostPort: 8080 }), c);
  expect(f(c.byName('a'))).toEqual([ERR_NODE_PORTS]);
  expect(accepted(f, c)).toEqual(['b']);
});

test('the same port over another protocol is free', () => {
  const c = cluster([node('a')], { a: [pod('dns-tcp', { hostPort: 53 })] });
  expect(accepted(nodePorts.prepareFilter(pod('dns-udp', { hostPort: 53, protocol: 'UDP' }), c), c)).toEqual(['a']);
});

test('distinct host IPs do not conflict; 0.0.0.0 conflicts with every IP', () => {
  const c = cluster([node('a'), node('b')], { a: [pod('x', { hostPort: 9100, hostIP: '10.0.0.1' })], b: [pod('y', { hostPort: 9100 })] });
  const f = nodePorts.prepareFilter(pod('z', { hostPort: 9100, hostIP: '10.0.0.2' }), c);
  expect(accepted(f, c)).toEqual(['a']);
  expect(accepted(nodePorts.prepareFilter(pod('w', { hostPort: 9100 }), c), c)).toEqual([]);
});

test('container ports without a hostPort take nothing on the node', () => {
  const c = cluster([node('a')], { a: [pod('web-1', { containers: [{ name: 'w', ports: [{ containerPort: 8080 }] }] })] });
  expect(accepted(nodePorts.prepareFilter(pod('web-2', { containers: [{ name: 'w', ports: [{ containerPort: 8080 }] }] }), c), c)).toEqual(['a']);
});
