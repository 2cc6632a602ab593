// The workload of `npm run bench:scheduling`: Karpenter's own scheduling benchmark. 400 synthetic
// instance types (type k: k vCPU, 2k GiB, 10k pods, $0.1/vCPU + $0.1/GB per hour) in one
// unconstrained NodePool, and N pods in five classes: generic, zone spread, hostname
// spread, zone self-affinity, hostname anti-affinity.

import type { InstanceType, Offering, Pod, SchedulingNodePool } from '../../core/index.ts';
import { LABEL_ARCH, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_OS } from '../../core/index.ts';
import { Rng } from './rng.ts';

const GiB = 2 ** 30;

export function diverseInstanceTypes(count = 400): InstanceType[] {
  const out: InstanceType[] = [];
  for (let k = 1; k <= count; k++) {
    const memory = 2 * k * GiB;
    const price = 0.1 * k + 0.1 * (memory / 1e9);
    const offerings: Offering[] = [
      { zone: 'zone-1', capacityType: 'spot', price, available: true },
      { zone: 'zone-2', capacityType: 'spot', price, available: true },
      { zone: 'zone-1', capacityType: 'on-demand', price, available: true },
      { zone: 'zone-2', capacityType: 'on-demand', price, available: true },
      { zone: 'zone-3', capacityType: 'on-demand', price, available: true },
    ];
    const resources = { cpu: k * 1000, memory, pods: 10 * k };
    out.push({
      name: `fake-it-${k}`,
      capacity: { ...resources },
      allocatable: { ...resources },
      labels: { [LABEL_INSTANCE_TYPE]: `fake-it-${k}`, [LABEL_ARCH]: 'amd64', [LABEL_OS]: 'linux' },
      offerings,
    });
  }
  return out;
}

export function diverseNodePool(types: InstanceType[]): SchedulingNodePool {
  return {
    name: 'default',
    weight: 0,
    requirements: [],
    labels: { [LABEL_NODEPOOL]: 'default' },
    taints: [],
    startupTaints: [],
    limits: {},
    instanceTypes: types,
  };
}

const CPUS = ['100m', '250m', '500m', '1000m', '1500m'];
const MEMORIES = ['100Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];
const VALUES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

function pod(name: string, rng: Rng, labels: Record<string, string>, spec: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels, uid: name },
    spec: {
      containers: [{ name: 'app', image: 'public.ecr.aws/eks-distro/kubernetes/pause:3.2', resources: { requests: { cpu: rng.pick(CPUS), memory: rng.pick(MEMORIES) } } }],
      ...spec,
    },
  };
}

/** The five pod classes, floor(N/5) each, the remainder generic. Seeded. */
export function diversePods(total: number, seed = 42): Pod[] {
  const rng = new Rng(seed);
  const per = Math.floor(total / 5);
  const out: Pod[] = [];
  const generic = total - 4 * per;
  for (let i = 0; i < generic; i++) out.push(pod(`generic-${i}`, rng, { 'my-label': rng.pick(VALUES) }));
  for (const [kind, key] of [
    ['zone-spread', 'topology.kubernetes.io/zone'],
    ['host-spread', 'kubernetes.io/hostname'],
  ] as const) {
    for (let i = 0; i < per; i++) {
      const labels = { 'my-label': rng.pick(VALUES) };
      const w = rng.pick(VALUES);
      out.push(
        pod(`${kind}-${i}`, rng, labels, {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { 'my-label': w } } },
          ],
        }),
      );
    }
  }
  for (let i = 0; i < per; i++) {
    const v = rng.pick(VALUES);
    out.push(
      pod(`zone-affinity-${i}`, rng, { 'my-affininity': v }, {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { 'my-affininity': v } } },
            ],
          },
        },
      }),
    );
  }
  for (let i = 0; i < per; i++) {
    out.push(
      pod(`host-anti-affinity-${i}`, rng, { app: 'nginx' }, {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'nginx' } } }],
          },
        },
      }),
    );
  }
  return out;
}
