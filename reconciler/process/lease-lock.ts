// The lock leader election competes for: a coordination.k8s.io/v1 Lease, read and written
// with optimistic concurrency (resourceVersion), through @kubernetes/client-node.

import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

/** What a Lease says about its holder (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  /** Empty when nobody holds it (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** Epoch ms. */
  readonly acquireTime: number;
  /** Epoch ms. */
  readonly renewTime: number;
  readonly leaseTransitions: number;
}

export interface ObservedLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/** Another writer changed (or created) the Lease first. */
export class LeaseConflictError extends Error {
  constructor(lease: string) {
    super(`Lease ${lease} was changed by another replica`);
    this.name = 'LeaseConflictError';
  }
}

export interface LeaseLock {
  /** namespace/name, for logs. */
  readonly description: string;
  /** undefined when the Lease does not exist. */
  get(): Promise<ObservedLease | undefined>;
  /** Throws LeaseConflictError when it already exists. Returns the new resourceVersion. */
  create(record: LeaseRecord): Promise<string>;
  /** Throws LeaseConflictError when `resourceVersion` is stale. Returns the new resourceVersion. */
  update(record: LeaseRecord, resourceVersion: string): Promise<string>;
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function toMs(t: Date | string | undefined): number {
  if (t === undefined) return 0;
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? ms : 0;
}

export class KubernetesLeaseLock implements LeaseLock {
  readonly description: string;
  private readonly api: CoordinationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.description = `${namespace}/${name}`;
  }

  async get(): Promise<ObservedLease | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
      return this.observed(lease);
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<string> {
    try {
      const lease = await this.api.createNamespacedLease({ namespace: this.namespace, body: this.body(record) });
      return lease.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (statusCode(err) === 409) throw new LeaseConflictError(this.description);
      throw err;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<string> {
    try {
      const lease = await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body: this.body(record, resourceVersion),
      });
      return lease.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (statusCode(err) === 409) throw new LeaseConflictError(this.description);
      throw err;
    }
  }

  private body(record: LeaseRecord, resourceVersion?: string): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'joinery' },
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      spec: {
        ...(record.holderIdentity !== '' ? { holderIdentity: record.holderIdentity } : {}),
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: new V1MicroTime(record.acquireTime),
        renewTime: new V1MicroTime(record.renewTime),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  private observed(lease: V1Lease): ObservedLease {
    const spec = lease.spec ?? {};
    return {
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      record: {
        holderIdentity: spec.holderIdentity ?? '',
        leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: toMs(spec.acquireTime),
        renewTime: toMs(spec.renewTime),
        leaseTransitions: spec.leaseTransitions ?? 0,
      },
    };
  }
}
