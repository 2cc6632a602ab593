// Simulated kubelets and the cloud node lifecycle: a launched instance boots, its
// kubelet registers a Node (with the labels and taints the launch's user data carried,
// plus karpenter.sh/unregistered and node.kubernetes.io/not-ready), turns Ready a little
// later, and a startup agent removes the pool's startup taints. When an instance is
// terminated, the cloud controller deletes its Node, as on EKS.

import type { Node, Taint } from '../../../core/api/k8s.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import { isByteResource } from '../../../core/resources/quantity.ts';
import type { Clock } from '../../ports/clock.ts';
import type { InMemoryApiServer } from './apiserver.ts';
import type { InMemoryEc2, InMemoryInstanceRecord } from './ec2.ts';
import { FINALIZER_TERMINATION, LABEL_CAPACITY_TYPE, TAINT_UNREGISTERED } from '../../../core/contract/index.ts';

export interface KubeletTimings {
  /** From launch to the Node object appearing (instance boot, kubelet start). */
  readonly bootSeconds: number;
  /** From registration to Ready (CNI, kubelet health). */
  readonly readySeconds: number;
  /** From Ready to the startup taints being removed by their agents. */
  readonly startupTaintSeconds: number;
}

export const DEFAULT_KUBELET_TIMINGS: KubeletTimings = { bootSeconds: 45, readySeconds: 15, startupTaintSeconds: 10 };

const TAINT_NOT_READY: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };

/** Exact quantity strings (no rounding: the node must report what the solver predicted). */
function quantities(list: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(list)) {
    if (k === 'cpu') out[k] = Number.isInteger(v / 1000) ? String(v / 1000) : `${Math.floor(v)}m`;
    else if (isByteResource(k) && v % 1024 === 0) out[k] = `${v / 1024}Ki`;
    else out[k] = String(Math.floor(v));
  }
  return out;
}

export class InMemoryKubelets {
  private ipSeq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly api: InMemoryApiServer,
    private readonly ec2: InMemoryEc2,
    private readonly timings: KubeletTimings = DEFAULT_KUBELET_TIMINGS,
  ) {
    ec2.onInstance((event, record) => {
      if (event === 'launched') this.clock.setTimer(this.timings.bootSeconds * 1000, () => this.register(record));
      if (event === 'terminated') this.clock.setTimer(5_000, () => this.instanceGone(record));
    });
  }

  /** A node that joined before the simulation started: registered, Ready, startup taints gone. */
  restoreNode(record: InMemoryInstanceRecord, extraLabels: Record<string, string>, since: string): Node {
    const node = this.nodeFor(record);
    node.metadata.labels = { ...node.metadata.labels, ...extraLabels };
    node.metadata.finalizers = [FINALIZER_TERMINATION];
    node.metadata.creationTimestamp = since;
    node.spec = { ...node.spec, taints: [...record.userData.taints] };
    node.status = { ...node.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: since }] };
    return this.api.create('Node', node, true);
  }

  private register(record: InMemoryInstanceRecord): void {
    if (record.instance.state !== 'pending') return; // terminated before it booted
    this.ec2.markRunning(record.instance.id);
    const node = this.nodeFor(record);
    this.api.create('Node', node);
    this.clock.setTimer(this.timings.readySeconds * 1000, () => this.becomeReady(node.metadata.name!, record));
  }

  private nodeFor(record: InMemoryInstanceRecord): Node {
    const type = this.ec2.catalog().find((t) => t.name === record.instance.instanceType) as InstanceType;
    this.ipSeq += 1;
    const ip = `10.${(this.ipSeq >> 16) & 255}.${(this.ipSeq >> 8) & 255}.${this.ipSeq & 255}`;
    const name = `ip-${ip.replaceAll('.', '-')}.ec2.internal`;
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          ...record.userData.labels,
          'kubernetes.io/hostname': name,
          'topology.kubernetes.io/zone': record.instance.zone,
          [LABEL_CAPACITY_TYPE]: record.instance.capacityType,
          'node.kubernetes.io/instance-type': record.instance.instanceType,
        },
      },
      spec: {
        providerID: record.instance.providerID,
        taints: [TAINT_UNREGISTERED, TAINT_NOT_READY, ...record.userData.taints, ...record.userData.startupTaints],
      },
      status: {
        capacity: quantities(type.capacity),
        allocatable: quantities(type.allocatable),
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastTransitionTime: new Date(this.clock.now()).toISOString() }],
      },
    };
    return node;
  }

  private becomeReady(name: string, record: InMemoryInstanceRecord): void {
    if (!this.api.cache.get('Node', name) || record.instance.state !== 'running') return;
    this.api.update('Node', name, undefined, (n) => {
      n.status = {
        ...n.status,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: new Date(this.clock.now()).toISOString() }],
      };
      n.spec = { ...n.spec, taints: (n.spec?.taints ?? []).filter((t) => t.key !== TAINT_NOT_READY.key) };
    });
    if (record.userData.startupTaints.length > 0) {
      this.clock.setTimer(this.timings.startupTaintSeconds * 1000, () => {
        if (!this.api.cache.get('Node', name)) return;
        this.api.update('Node', name, undefined, (n) => {
          n.spec = {
            ...n.spec,
            taints: (n.spec?.taints ?? []).filter((t) => !record.userData.startupTaints.some((s) => s.key === t.key && s.effect === t.effect)),
          };
        });
      });
    }
  }

  /**
   * The node goes bad while its instance runs on: its kubelet reports Ready False (or stops
   * reporting: Unknown), and the node lifecycle controller taints it so that nothing new is
   * scheduled there (node.kubernetes.io/not-ready or unreachable, NoSchedule). Its pods stay
   * bound and serve nothing (the simulator has no taint-based eviction) until the node is
   * repaired or removed. Returns false when there is no such node.
   */
  nodeNotReady(name: string, status: 'False' | 'Unknown', reason: string): boolean {
    if (!this.api.cache.get('Node', name)) return false;
    const taint: Taint = { key: status === 'Unknown' ? 'node.kubernetes.io/unreachable' : TAINT_NOT_READY.key, effect: 'NoSchedule' };
    this.api.update('Node', name, undefined, (n) => {
      n.status = {
        ...n.status,
        conditions: [{ type: 'Ready', status, reason, lastTransitionTime: new Date(this.clock.now()).toISOString() }],
      };
      n.spec = { ...n.spec, taints: [...(n.spec?.taints ?? []).filter((t) => t.key !== taint.key), taint] };
    });
    return true;
  }

  /** The instance is gone: its Node turns NotReady and the cloud controller deletes it. */
  private instanceGone(record: InMemoryInstanceRecord): void {
    const node = this.api.cache.list('Node').find((n) => n.spec?.providerID === record.instance.providerID);
    if (!node?.metadata.name) return;
    const name = node.metadata.name;
    this.api.update('Node', name, undefined, (n) => {
      n.status = {
        ...n.status,
        conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: new Date(this.clock.now()).toISOString() }],
      };
    });
    this.api.delete('Node', name);
  }
}
