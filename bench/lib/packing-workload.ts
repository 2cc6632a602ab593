// The workloads of `npm run bench:packing`: cost quality on the real catalog (on-demand prices).
// Three NodePools a platform team would write: "general" (amd64 c/m/r, generation 5 and
// later), "arm64" (Graviton c/m/r, tainted so that only pods that declare arm64 support
// land there, higher weight because it is cheaper) and "gpu" (NVIDIA, tainted). Two
// DaemonSets of 100m / 128Mi run on every node. Pods, seeded:
//   (a) web: 100m to 2 CPU, 128Mi to 4Gi;
//   (b) batch: 2 to 8 CPU, 16 to 64 GiB;
//   (c) a mix of (a), (b), GPU pods (1 nvidia.com/gpu, tolerating the gpu taint) and
//       arm64-tolerant web pods.

import {
  buildInstanceTypes,
  nodePoolFromManifest,
  type DaemonSet,
  type InstanceType,
  type Pod,
  type RawCatalog,
  type SchedulingNodePool,
} from '../../core/index.ts';
import { Rng } from './rng.ts';
import { LABEL_ARCH, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_INSTANCE_GENERATION, LABEL_INSTANCE_GPU_MANUFACTURER, LABEL_OS } from '../../core/contract/index.ts';

const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' } as const;
const ARM64_TAINT = { key: LABEL_ARCH, value: 'arm64', effect: 'NoSchedule' } as const;

/** The shipped catalog with on-demand offerings only. */
export function onDemandTypes(raw: RawCatalog): InstanceType[] {
  return buildInstanceTypes(raw, { capacityTypes: ['on-demand'] });
}

export function packingPools(types: InstanceType[]): SchedulingNodePool[] {
  const common = [
    { key: LABEL_OS, operator: 'In', values: ['linux'] },
    { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
  ];
  const cmr = [
    { key: LABEL_INSTANCE_CATEGORY, operator: 'In', values: ['c', 'm', 'r'] },
    { key: LABEL_INSTANCE_GENERATION, operator: 'Gt', values: ['4'] },
  ];
  return [
    nodePoolFromManifest(
      {
        metadata: { name: 'general' },
        spec: { weight: 10, template: { spec: { requirements: [...common, ...cmr, { key: LABEL_ARCH, operator: 'In', values: ['amd64'] }] } } },
      },
      types,
    ),
    nodePoolFromManifest(
      {
        metadata: { name: 'arm64' },
        spec: {
          weight: 50,
          template: { spec: { requirements: [...common, ...cmr, { key: LABEL_ARCH, operator: 'In', values: ['arm64'] }], taints: [{ ...ARM64_TAINT }] } },
        },
      },
      types,
    ),
    nodePoolFromManifest(
      {
        metadata: { name: 'gpu' },
        spec: {
          weight: 0,
          template: {
            spec: {
              requirements: [...common, { key: LABEL_INSTANCE_GPU_MANUFACTURER, operator: 'In', values: ['nvidia'] }],
              taints: [{ ...GPU_TAINT }],
            },
          },
        },
      },
      types,
    ),
  ];
}

function daemonSet(name: string): DaemonSet {
  return {
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          tolerations: [{ operator: 'Exists' }],
          containers: [{ name, resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
        },
      },
    },
  };
}

/** Two node agents (e.g. log shipper and metrics), 100m / 128Mi each, on every node. */
export const PACKING_DAEMONSETS: DaemonSet[] = [daemonSet('node-logs'), daemonSet('node-metrics')];

function pod(name: string, app: string, cpu: string, memory: string, extra: Partial<Pod['spec']> = {}, limits?: Record<string, string>): Pod {
  return {
    metadata: { name, namespace: 'default', uid: name, labels: { app } },
    spec: {
      containers: [{ name: 'app', resources: { requests: { cpu, memory, ...(limits ?? {}) }, ...(limits ? { limits } : {}) } }],
      ...extra,
    },
  };
}

const WEB_CPU = ['100m', '250m', '500m', '1', '1500m', '2'];
const WEB_MEMORY = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];
const BATCH_CPU = ['2', '4', '6', '8'];
const BATCH_MEMORY = ['16Gi', '32Gi', '48Gi', '64Gi'];

function webPods(count: number, rng: Rng, prefix = 'web'): Pod[] {
  return Array.from({ length: count }, (_, i) => pod(`${prefix}-${i}`, `${prefix}-${i % 20}`, rng.pick(WEB_CPU), rng.pick(WEB_MEMORY)));
}

function batchPods(count: number, rng: Rng): Pod[] {
  return Array.from({ length: count }, (_, i) => pod(`batch-${i}`, `batch-${i % 5}`, rng.pick(BATCH_CPU), rng.pick(BATCH_MEMORY)));
}

function gpuPods(count: number, rng: Rng): Pod[] {
  return Array.from({ length: count }, (_, i) =>
    pod(`gpu-${i}`, 'inference', rng.pick(['2', '4', '8']), rng.pick(['8Gi', '16Gi', '32Gi']), { tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }] }, { 'nvidia.com/gpu': '1' }),
  );
}

function armTolerantPods(count: number, rng: Rng): Pod[] {
  return webPods(count, rng, 'multiarch').map((p) => ({
    ...p,
    spec: { ...p.spec, tolerations: [{ key: ARM64_TAINT.key, operator: 'Equal', value: 'arm64', effect: 'NoSchedule' }] },
  }));
}

export type PackingWorkload = 'a' | 'b' | 'c';

/**
 * Pods of a workload at a scale: `web` web pods; (b) has web/10 batch pods; (c) has
 * `web` web pods, web/10 batch, web/100 GPU and web/5 arm64-tolerant pods.
 * At the benchmark's default size (web = 5000): (a) 5,000, (b) 500, (c) 6,550 pods.
 */
export function packingPods(workload: PackingWorkload, web: number, seed = 42): Pod[] {
  const rng = new Rng(seed);
  switch (workload) {
    case 'a':
      return webPods(web, rng);
    case 'b':
      return batchPods(Math.max(1, Math.round(web / 10)), rng);
    case 'c':
      return [
        ...webPods(web, rng),
        ...batchPods(Math.max(1, Math.round(web / 10)), rng),
        ...gpuPods(Math.max(1, Math.round(web / 100)), rng),
        ...armTolerantPods(Math.max(1, Math.round(web / 5)), rng),
      ];
  }
}
