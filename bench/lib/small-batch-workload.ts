// The workload of `npm run bench:small-batches`: seeded batches of 1 to 50 pods, the
// common case in a live cluster, on the real catalog (on-demand) through one NodePool
// (linux, on-demand, categories c, m, r and g of any architecture, no taints) with the
// two node agents of bench:packing on every node. Each batch is one kind:
//   web:    100m to 2 CPU, 128Mi to 4Gi (as bench:packing's web pods);
//   memory: 2 to 8 CPU, 16 to 64 GiB (as bench:packing's batch pods);
//   gpu:    half pods with 1 nvidia.com/gpu (2 to 8 CPU, 8 to 32 GiB), half web pods;
//   mixed:  web 60%, memory 30%, GPU 10%.

import { nodePoolFromManifest, type InstanceType, type Pod, type SchedulingNodePool } from '../../core/index.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_CATEGORY, LABEL_OS } from '../../core/contract/index.ts';
import { Rng } from './rng.ts';

export type BatchKind = 'web' | 'memory' | 'gpu' | 'mixed';
export const BATCH_KINDS: readonly BatchKind[] = ['web', 'memory', 'gpu', 'mixed'];

export function smallBatchPool(types: InstanceType[]): SchedulingNodePool {
  return nodePoolFromManifest(
    {
      metadata: { name: 'default' },
      spec: {
        template: {
          spec: {
            requirements: [
              { key: LABEL_OS, operator: 'In', values: ['linux'] },
              { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
              { key: LABEL_INSTANCE_CATEGORY, operator: 'In', values: ['c', 'm', 'r', 'g'] },
            ],
          },
        },
      },
    },
    types,
  );
}

const WEB_CPU = ['100m', '250m', '500m', '1', '1500m', '2'];
const WEB_MEMORY = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];
const MEM_CPU = ['2', '4', '6', '8'];
const MEM_MEMORY = ['16Gi', '32Gi', '48Gi', '64Gi'];
const GPU_CPU = ['2', '4', '8'];
const GPU_MEMORY = ['8Gi', '16Gi', '32Gi'];

function pod(name: string, cpu: string, memory: string, gpu = false): Pod {
  const requests: Record<string, string> = { cpu, memory, ...(gpu ? { 'nvidia.com/gpu': '1' } : {}) };
  return {
    metadata: { name, namespace: 'default', uid: name, labels: { app: name.replace(/-\d+$/, '') } },
    spec: { containers: [{ name: 'app', resources: { requests, ...(gpu ? { limits: { 'nvidia.com/gpu': '1' } } : {}) } }] },
  };
}

function onePod(kind: 'web' | 'memory' | 'gpu', name: string, rng: Rng): Pod {
  if (kind === 'web') return pod(name, rng.pick(WEB_CPU), rng.pick(WEB_MEMORY));
  if (kind === 'memory') return pod(name, rng.pick(MEM_CPU), rng.pick(MEM_MEMORY));
  return pod(name, rng.pick(GPU_CPU), rng.pick(GPU_MEMORY), true);
}

export interface SmallBatch {
  index: number;
  kind: BatchKind;
  pods: Pod[];
}

/** `count` batches, the same for a seed on every machine. */
export function smallBatches(count: number, seed = 42): SmallBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, index) => {
    const kind = BATCH_KINDS[index % BATCH_KINDS.length]!;
    const size = 1 + rng.int(50);
    const pods = Array.from({ length: size }, (_, i) => {
      const name = `b${index}-${i}`;
      if (kind === 'web' || kind === 'memory') return onePod(kind, `${kind}-${name}`, rng);
      if (kind === 'gpu') return rng.next() < 0.5 ? onePod('gpu', `gpu-${name}`, rng) : onePod('web', `web-${name}`, rng);
      const r = rng.next();
      const k = r < 0.6 ? 'web' : r < 0.9 ? 'memory' : 'gpu';
      return onePod(k, `${k}-${name}`, rng);
    });
    return { index, kind, pods };
  });
}
