// A simulated cluster and EC2 account in one process: API server, kube-scheduler,
// kubelets, workload controllers, PDB status, and EC2 with the shipped catalog, all on
// one virtual clock. The reconciler talks to it only through the ports.

import type { RawCatalog } from '../../../core/index.ts';
import { SimApiServer } from './apiserver.ts';
import { SimEc2, type CapacityShortage, type SimEc2Options, type SpotPriceModelOptions } from './ec2.ts';
import { SimIntentSource } from './intent.ts';
import { DEFAULT_KUBELET_TIMINGS, SimKubelets, type KubeletTimings } from './kubelet.ts';
import { SimScheduler } from './scheduler.ts';
import { VirtualClock } from './virtual-clock.ts';
import { SimPdbStatus, SimWorkloads } from './workloads.ts';

export interface SimWorldOptions {
  readonly startMs: number;
  readonly seed: number;
  readonly catalog: RawCatalog;
  readonly clusterName?: string;
  readonly zones?: readonly string[];
  readonly kubelet?: Partial<KubeletTimings>;
  readonly shortages?: readonly CapacityShortage[];
  readonly spotPrice?: SpotPriceModelOptions;
  readonly shutdownSeconds?: number;
  /** Offer only some of the catalog (smaller, faster tests). */
  readonly instanceTypeFilter?: SimEc2Options['instanceTypeFilter'];
}

export class SimWorld {
  readonly clock: VirtualClock;
  readonly api: SimApiServer;
  readonly ec2: SimEc2;
  readonly intent: SimIntentSource;
  readonly workloads: SimWorkloads;
  readonly scheduler: SimScheduler;
  readonly kubelets: SimKubelets;
  readonly pdbs: SimPdbStatus;
  readonly clusterName: string;

  constructor(options: SimWorldOptions) {
    this.clusterName = options.clusterName ?? 'sim';
    this.clock = new VirtualClock(options.startMs);
    this.api = new SimApiServer(this.clock, options.seed);
    this.ec2 = new SimEc2({
      clock: this.clock,
      catalog: options.catalog,
      clusterName: this.clusterName,
      seed: options.seed,
      zones: options.zones,
      shortages: options.shortages,
      spotPrice: options.spotPrice,
      shutdownSeconds: options.shutdownSeconds,
      instanceTypeFilter: options.instanceTypeFilter,
    });
    this.intent = new SimIntentSource(this.clock, this.api);
    this.workloads = new SimWorkloads(this.clock, this.api);
    this.scheduler = new SimScheduler(this.clock, this.api);
    this.kubelets = new SimKubelets(this.clock, this.api, this.ec2, { ...DEFAULT_KUBELET_TIMINGS, ...options.kubelet });
    this.pdbs = new SimPdbStatus(this.clock, this.api);
  }
}
