// The seeded workload of `bench:fidelity`: pods mixing every constraint kube-scheduler
// enforces and joinery must plan for (host ports, claims bound to zonal volumes, zone
// spread, hostname anti-affinity, a tainted pool's tolerating pods, priorities), as plain
// Kubernetes objects. Pure: the same seed gives the same objects on every machine.

import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { Rng } from './rng.ts';

export type FidelityKind = 'plain' | 'host-port' | 'volume' | 'spread' | 'anti-affinity' | 'tolerating' | 'high-priority';

export const FIDELITY_KINDS: readonly FidelityKind[] = ['plain', 'host-port', 'volume', 'spread', 'anti-affinity', 'tolerating', 'high-priority'];

export interface FidelityNames {
  readonly namespace: string;
  /** The tainted pool's taint key (value `batch`, NoSchedule) and the label its nodes carry (`<key>=batch`). */
  readonly taintKey: string;
  readonly lowPriorityClass: string;
  readonly highPriorityClass: string;
  /** Prefix of the PersistentVolumes (cluster-scoped, so named per run). */
  readonly volumePrefix: string;
  readonly zones: readonly string[];
}

export interface FidelityPod {
  readonly pod: V1Pod;
  readonly kind: FidelityKind;
  /** Created in the second wave, once the first runs (high-priority pods preempt there). */
  readonly wave: 1 | 2;
}

export interface FidelityWorkload {
  readonly pods: readonly FidelityPod[];
  readonly volumes: readonly V1PersistentVolume[];
  readonly claims: readonly V1PersistentVolumeClaim[];
}

const CPU = ['100m', '250m', '500m', '1', '2'];
const MEMORY = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi'];
/** Kinds in proportion: plain pods are the bulk, as in a real cluster. */
const WEIGHTS: readonly [FidelityKind, number][] = [
  ['plain', 30],
  ['host-port', 10],
  ['volume', 10],
  ['spread', 15],
  ['anti-affinity', 10],
  ['tolerating', 15],
  ['high-priority', 10],
];

function pickKind(rng: Rng): FidelityKind {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let x = rng.int(total);
  for (const [k, w] of WEIGHTS) {
    if (x < w) return k;
    x -= w;
  }
  return 'plain';
}

export function fidelityWorkload(count: number, seed: number, n: FidelityNames): FidelityWorkload {
  const rng = new Rng(seed);
  const pods: FidelityPod[] = [];
  const volumes: V1PersistentVolume[] = [];
  const claims: V1PersistentVolumeClaim[] = [];
  for (let i = 0; i < count; i++) {
    const kind = pickKind(rng);
    const name = `${kind}-${i}`;
    const spec: NonNullable<V1Pod['spec']> = {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: rng.pick(CPU), memory: rng.pick(MEMORY) } } }],
      terminationGracePeriodSeconds: 0,
      priorityClassName: kind === 'high-priority' ? n.highPriorityClass : n.lowPriorityClass,
    };
    const labels: Record<string, string> = { kind };
    switch (kind) {
      case 'host-port':
        spec.containers[0]!.ports = [{ containerPort: 8080, hostPort: 18080 + rng.int(2), protocol: 'TCP' }];
        break;
      case 'volume': {
        const zone = rng.pick(n.zones);
        const pv = `${n.volumePrefix}-${i}`;
        const pvc = `data-${i}`;
        volumes.push({
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: pv },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: '',
            hostPath: { path: `/tmp/${pv}` },
            claimRef: { namespace: n.namespace, name: pvc },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }] } },
          },
        });
        claims.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: pvc, namespace: n.namespace },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', volumeName: pv, resources: { requests: { storage: '1Gi' } } },
        });
        spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: pvc } }];
        break;
      }
      case 'spread': {
        const group = `spread-${rng.int(4)}`;
        labels.group = group;
        spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { group } } }];
        break;
      }
      case 'anti-affinity': {
        const group = `apart-${rng.int(3)}`;
        labels.group = group;
        spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { group } } }] } };
        break;
      }
      case 'tolerating':
        spec.tolerations = [{ key: n.taintKey, operator: 'Equal', value: 'batch', effect: 'NoSchedule' }];
        spec.nodeSelector = { [n.taintKey]: 'batch' };
        break;
      default:
        break;
    }
    pods.push({ pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: n.namespace, labels }, spec }, kind, wave: kind === 'high-priority' ? 2 : 1 });
  }
  return { pods, volumes, claims };
}
