// Small synthetic catalogs, pools and pods for solver tests.

import { solve, verifySolution, type ExistingNode, type InstanceType, type Pod, type SchedulingNodePool, type SolveInput, type SolveResult, type Taint, type Toleration } from '../../../core/index.ts';

export const GiB = 2 ** 30;
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** A type with `cpu` cores, `memGiB` GiB, `pods` slots, offered on-demand in `zones` at `price`. */
export function instanceType(
  name: string,
  cpu: number,
  memGiB: number,
  price: number,
  opts: { zones?: string[]; arch?: string; gpu?: number; pods?: number; family?: string; spot?: number } = {},
): InstanceType {
  const allocatable: Record<string, number> = { cpu: cpu * 1000, memory: memGiB * GiB, pods: opts.pods ?? 110 };
  if (opts.gpu) allocatable['nvidia.com/gpu'] = opts.gpu;
  const labels: Record<string, string> = {
    'node.kubernetes.io/instance-type': name,
    'kubernetes.io/arch': opts.arch ?? 'amd64',
    'kubernetes.io/os': 'linux',
    'karpenter.k8s.aws/instance-family': opts.family ?? name.split('.')[0]!,
    'karpenter.k8s.aws/instance-cpu': String(cpu),
  };
  if (opts.gpu) {
    labels['karpenter.k8s.aws/instance-gpu-count'] = String(opts.gpu);
    labels['karpenter.k8s.aws/instance-gpu-manufacturer'] = 'nvidia';
  }
  const offerings = (opts.zones ?? ZONES).flatMap((zone) => [
    { zone, capacityType: 'on-demand' as const, price, available: true },
    ...(opts.spot !== undefined ? [{ zone, capacityType: 'spot' as const, price: opts.spot, available: true }] : []),
  ]);
  return { name, capacity: { ...allocatable }, allocatable, labels, offerings };
}

/** Sizes 1, 2, 4, 8, 16 cores with 4 GiB per core, $0.05 per core. */
export function standardTypes(opts: { zones?: string[]; arch?: string } = {}): InstanceType[] {
  return [1, 2, 4, 8, 16].map((c) => instanceType(`m.${c}x`, c, 4 * c, 0.05 * c, { ...opts, family: 'm' }));
}

export function pool(name: string, types: InstanceType[], extra: Partial<SchedulingNodePool> = {}): SchedulingNodePool {
  return {
    name,
    weight: 0,
    requirements: [],
    labels: { 'karpenter.sh/nodepool': name },
    taints: [],
    startupTaints: [],
    limits: {},
    instanceTypes: types,
    ...extra,
  };
}

let counter = 0;
export function pod(
  cpu: string,
  memory: string,
  extra: { name?: string; labels?: Record<string, string>; namespace?: string; tolerations?: Toleration[]; spec?: Partial<Pod['spec']>; gpu?: number } = {},
): Pod {
  const name = extra.name ?? `pod-${counter++}`;
  const requests: Record<string, string> = { cpu, memory };
  if (extra.gpu) requests['nvidia.com/gpu'] = String(extra.gpu);
  return {
    metadata: { name, namespace: extra.namespace ?? 'default', uid: name, labels: extra.labels ?? {} },
    spec: {
      containers: [{ name: 'app', resources: { requests } }],
      ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
      ...(extra.spec ?? {}),
    },
  };
}

export function node(name: string, cpu: number, memGiB: number, labels: Record<string, string> = {}, extra: Partial<ExistingNode> = {}): ExistingNode {
  return {
    name,
    labels: { 'kubernetes.io/hostname': name, ...labels },
    taints: [] as Taint[],
    allocatable: { cpu: cpu * 1000, memory: memGiB * GiB, pods: 110 },
    pods: [],
    ...extra,
  };
}

export const zoneSpread = (selector: Record<string, string>, maxSkew = 1, extra: Record<string, unknown> = {}) => ({
  topologySpreadConstraints: [
    { maxSkew, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector }, ...extra },
  ],
});

export const antiAffinity = (selector: Record<string, string>, topologyKey = 'kubernetes.io/hostname') => ({
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels: selector } }] } },
});

export const affinity = (selector: Record<string, string>, topologyKey = 'kubernetes.io/hostname') => ({
  affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: { matchLabels: selector } }] } },
});

/** Solves `input` (empty lists by default) and expects the verifier to find nothing wrong with the plan. */
export function solveVerified(input: Partial<SolveInput>): SolveResult {
  const full: SolveInput = { pods: [], nodes: [], nodePools: [], daemonSets: [], ...input };
  const result = solve(full);
  expect(verifySolution(full, result)).toEqual([]);
  return result;
}
