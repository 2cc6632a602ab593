// NodePorts: a host port is taken on a node when a pod there uses the same port and
// protocol on the same host IP, or either side binds every address (0.0.0.0, the default).
// Only the pod's containers' ports count (not its init containers'), as in kube-scheduler.

import type { Pod } from '../../../../core/api/k8s.ts';
import type { FilterPlugin, HostPort, NodeFilter } from './types.ts';

export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const ANY_IP = '0.0.0.0';

/** The host ports the pod asks for (hostPort > 0), protocol TCP and host IP 0.0.0.0 unless set. */
export function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || ANY_IP, protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function portsConflict(used: readonly HostPort[], wanted: readonly HostPort[]): boolean {
  return wanted.some((w) => used.some((u) => u.port === w.port && u.protocol === w.protocol && (u.ip === w.ip || u.ip === ANY_IP || w.ip === ANY_IP)));
}

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  prepareFilter(pod: Pod): NodeFilter {
    const wanted = hostPorts(pod);
    if (wanted.length === 0) return () => undefined;
    return (node) => (portsConflict(node.usedPorts, wanted) ? [ERR_NODE_PORTS] : undefined);
  },
};
