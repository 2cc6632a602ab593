// Host ports as kube-scheduler's NodePorts filter sees them: a port is taken on a node
// when a pod there (or a DaemonSet pod that runs there) uses the same port and protocol
// on the same host IP, or either side binds every address (0.0.0.0, the default). Only
// the containers' ports count, not the init containers', as in kube-scheduler.

import type { PodSpec } from '../api/k8s.ts';

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

const ANY_IP = '0.0.0.0';
const NONE: readonly HostPort[] = [];

/** The host ports the pod asks for (hostPort > 0); protocol TCP and host IP 0.0.0.0 unless set. Shared empty array when none. */
export function hostPortsOf(spec: PodSpec): readonly HostPort[] {
  let out: HostPort[] | undefined;
  for (const c of spec.containers ?? []) {
    if (!c.ports) continue;
    for (const p of c.ports) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      (out ??= []).push({ ip: p.hostIP || ANY_IP, protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out ?? NONE;
}

/** The first port of `wanted` that one of `used` takes, if any. */
export function conflictingPort(used: readonly HostPort[] | undefined, wanted: readonly HostPort[]): HostPort | undefined {
  if (!used || used.length === 0) return undefined;
  for (const w of wanted) {
    for (const u of used) {
      if (u.port === w.port && u.protocol === w.protocol && (u.ip === w.ip || u.ip === ANY_IP || w.ip === ANY_IP)) return w;
    }
  }
  return undefined;
}

export function formatHostPort(p: HostPort): string {
  return `${p.protocol}/${p.port}${p.ip === ANY_IP ? '' : ` on ${p.ip}`}`;
}
