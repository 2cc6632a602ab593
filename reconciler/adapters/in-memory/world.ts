// A simulated cluster and EC2 account in one process: API server, kube-scheduler,
// kubelets, workload controllers, PDB status, and EC2 with the shipped catalog, all on
// one virtual clock. The reconciler talks to it only through the ports.

import type { RawCatalog } from '../../../core/index.ts';
import { InMemoryApiServer } from './apiserver.ts';
import { InMemoryEc2, type CapacityShortage, type SimEc2Options, type SpotPriceModelOptions } from './ec2.ts';
import { InMemoryIntentSource } from './intent.ts';
import { DEFAULT_KUBELET_TIMINGS, InMemoryKubelets, type KubeletTimings } from './kubelet.ts';
import { InMemoryScheduler } from './scheduler.ts';
import { VirtualClock } from './virtual-clock.ts';
import { InMemoryPdbStatus, InMemoryWorkloads } from './workloads.ts';

export interface InMemoryWorldOptions {
  readonly startMs: number;
  readonly seed: number;
  readonly catalog: RawCatalog;
  readonly clusterName?: string;
  readonly zones?: readonly string[];
  readonly kubelet?: Partial<KubeletTimings>;
  readonly shortages?: readonly CapacityShortage[];
  readonly spotPrice?: SpotPriceModelOptions;
  readonly shutdownSeconds?: number;
  /** kube-scheduler's passes run this long after the event that calls for one (its queue under load); default 0. */
  readonly schedulerDelayMs?: number;
  /** Offer only some of the catalog (smaller, faster tests). */
  readonly instanceTypeFilter?: SimEc2Options['instanceTypeFilter'];
  /** IAM roles that exist; default: every role a class names. */
  readonly roles?: SimEc2Options['roles'];
  /** Capacity reservations of the simulated account. */
  readonly reservations?: SimEc2Options['reservations'];
}

export class InMemoryWorld {
  readonly clock: VirtualClock;
  readonly api: InMemoryApiServer;
  readonly ec2: InMemoryEc2;
  readonly intent: InMemoryIntentSource;
  readonly workloads: InMemoryWorkloads;
  readonly kubelets: InMemoryKubelets;
  readonly clusterName: string;

  constructor(options: InMemoryWorldOptions) {
    this.clusterName = options.clusterName ?? 'sim';
    this.clock = new VirtualClock(options.startMs);
    this.api = new InMemoryApiServer(this.clock, options.seed);
    this.ec2 = new InMemoryEc2({
      clock: this.clock,
      catalog: options.catalog,
      clusterName: this.clusterName,
      seed: options.seed,
      zones: options.zones,
      shortages: options.shortages,
      spotPrice: options.spotPrice,
      shutdownSeconds: options.shutdownSeconds,
      instanceTypeFilter: options.instanceTypeFilter,
      roles: options.roles,
      reservations: options.reservations,
    });
    this.intent = new InMemoryIntentSource(this.clock, this.api);
    this.workloads = new InMemoryWorkloads(this.clock, this.api);
    // The kube-scheduler and the PDB status controller act only through the watches they
    // register on the API server, which holds them as long as the world lives: nothing
    // reads them, so no field keeps them. The order of construction is the order their
    // watches are called in; keep it.
    new InMemoryScheduler(this.clock, this.api, options.seed, options.schedulerDelayMs);
    this.kubelets = new InMemoryKubelets(this.clock, this.api, this.ec2, { ...DEFAULT_KUBELET_TIMINGS, ...options.kubelet });
    new InMemoryPdbStatus(this.clock, this.api);
  }
}
