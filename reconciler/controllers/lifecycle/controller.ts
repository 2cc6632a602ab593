// NodeClaim lifecycle, a thin driver after Karpenter's pkg/controllers/nodeclaim/
// lifecycle: for each NodeClaim it runs the step its conditions call for — launch
// (launch.ts), registration of its Node (registration.ts), initialization
// (initialization.ts), or the registration timeout (liveness.ts) — and writes the last
// pod event of each claim (pod-events.ts, a controller of its own in Karpenter).
//
// Errors are caught per claim, not per pass: a claim whose step fails is logged, counted
// and retried with its own exponential backoff, while the other claims of the same pass
// go on (one EC2 call that times out must not hold back every other launch).
//
// Everything it needs to resume lives in the NodeClaim: a claim without the Launched
// condition is launched (again) with its UID as the client token and looked up first by
// its tag, so a crash or an unknown outcome between creating the claim and recording the
// launch never launches twice.

import type { Node } from '../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { conditionTrue } from '../../views/cluster-state.ts';
import { CONDITION_INITIALIZED, CONDITION_LAUNCHED, CONDITION_REGISTERED } from '../../../core/contract/index.ts';
import { Initialization, type InitializationDeps } from './initialization.ts';
import { Launch, type LaunchDeps } from './launch.ts';
import { Liveness, type LivenessDeps } from './liveness.ts';
import { PodEvents, type ClaimRunner, type PodEventsDeps } from './pod-events.ts';
import { Registration, type RegistrationDeps } from './registration.ts';
import { LaunchQueue } from './launch-queue.ts';

/** What the driver uses itself, plus what its sub-reconcilers use. */
export type LifecycleDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'logger' | 'metrics'> & {
  readonly options: Pick<ReconcilerOptions, 'launchConcurrency'>;
} & LaunchDeps &
  RegistrationDeps &
  InitializationDeps &
  LivenessDeps &
  PodEventsDeps;

export class LifecycleController implements Controller {
  readonly name = 'lifecycle';
  readonly watches = ['NodeClaim', 'Node'] as const;
  private readonly launch: Launch;
  private readonly registration: Registration;
  private readonly initialization: Initialization;
  private readonly liveness: Liveness;
  private readonly podEvents: PodEvents;
  /** Claims whose last step failed, by name, with when to try them again. */
  private readonly backoff: KeyedBackoff;
  /** The launches of the pass in progress; undefined between passes. */
  private launches: LaunchQueue | undefined;

  constructor(private readonly deps: LifecycleDeps) {
    this.launch = new Launch(deps, this.name);
    this.registration = new Registration(deps);
    this.initialization = new Initialization(deps);
    this.liveness = new Liveness(deps, this.name);
    this.podEvents = new PodEvents(deps);
    this.backoff = new KeyedBackoff(deps.clock);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    this.podEvents.onEvent(event, wake);
    // A claim created while a pass runs starts launching at once: it does not wait for the
    // pass's slowest launch or its registration writes (a pass lasts as long as its
    // slowest CreateFleet, seconds under load, and provisioning creates claims throughout
    // a burst). Between passes the manager's wake starts a pass at once anyway.
    if (event.kind === 'NodeClaim' && event.type === 'ADDED' && this.launches && this.mayLaunch(event.object, this.deps.clock.now()) === 0) {
      this.launches.add(event.object);
    }
  }

  /** 0 when the claim is to be launched now; the wait in ms when it is backing off; undefined when it is not to be launched. */
  private mayLaunch(claim: NodeClaim, now: number): number | undefined {
    if (claim.metadata.deletionTimestamp || conditionTrue(claim, CONDITION_LAUNCHED)) return undefined;
    const backingOff = this.backoff.waitMs(claim.metadata.name!);
    if (backingOff > 0) return backingOff;
    return this.launch.waitMs(claim, now);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, clock, options } = this.deps;
    const now = clock.now();
    let requeue = Infinity;
    const after = (ms: number | undefined) => {
      if (ms !== undefined) requeue = Math.min(requeue, ms);
    };
    const runClaim: ClaimRunner = async (claim, step, run) => {
      const result = await this.runClaim(claim, step, run);
      if (!result.ok) after(result.retryInMs);
      return result.ok;
    };

    const nodesByProvider = new Map<string, Node>();
    for (const n of cluster.cache.list('Node')) if (n.spec?.providerID) nodesByProvider.set(n.spec.providerID, n);
    const nodeOf = (claim: NodeClaim) => (claim.status?.providerID ? nodesByProvider.get(claim.status.providerID) : undefined);

    // Launches run concurrently (each waits on EC2), a bounded number at a time, and start
    // at once: new claims do not wait behind the registration and initialization of the
    // others, quick API writes that run in turn alongside; claims created during the pass
    // join it (onEvent).
    const launches = new LaunchQueue(options.launchConcurrency, (claim) => runClaim(claim, 'launch', async () => after(await this.launch.launch(claim))).then(() => undefined));
    const names = new Set<string>();
    const uids = new Set<string>();
    const others: NodeClaim[] = [];
    for (const claim of cluster.cache.list('NodeClaim')) {
      const name = claim.metadata.name!;
      names.add(name);
      if (claim.metadata.uid) uids.add(claim.metadata.uid);
      if (claim.metadata.deletionTimestamp) continue;
      if (!conditionTrue(claim, CONDITION_LAUNCHED)) {
        const wait = this.mayLaunch(claim, now);
        if (wait !== undefined && wait > 0) after(wait);
        else if (wait === 0) launches.add(claim);
        continue;
      }
      others.push(claim);
    }
    this.backoff.retainOnly(names);
    this.deps.claimsCreatedHere?.retainOnly(uids);

    const steps = async (): Promise<void> => {
      for (const claim of others) {
        const node = nodeOf(claim);
        if (!conditionTrue(claim, CONDITION_REGISTERED)) {
          if (node) await runClaim(claim, 'registration', () => this.registration.register(claim, node));
          else await runClaim(claim, 'liveness', async () => after(await this.liveness.check(claim, now)));
          continue;
        }
        if (!conditionTrue(claim, CONDITION_INITIALIZED) && node) {
          await runClaim(claim, 'initialization', () => this.initialization.maybeInitialize(claim, node));
        }
      }
    };
    this.launches = launches;
    try {
      // The launches run from here on; drained() is asked after the steps, so a claim that
      // joined while they ran is waited for too (no macrotask, hence no event, can slip in
      // between drained() resolving and the pass closing the queue below).
      await steps();
      await launches.drained();
    } finally {
      this.launches = undefined;
    }

    await this.podEvents.write(now, runClaim);
    return Number.isFinite(requeue) ? { requeueAfterMs: Math.max(1, requeue) } : {};
  }

  /** Runs one claim's step; a failure backs off that claim alone and is logged and counted. */
  private async runClaim(claim: NodeClaim, step: string, run: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; retryInMs: number }> {
    const name = claim.metadata.name!;
    try {
      await run();
      this.backoff.succeeded(name);
      return { ok: true };
    } catch (err) {
      const retryInMs = this.backoff.failed(name);
      this.deps.metrics.reconcileErrors.inc({ controller: this.name });
      this.deps.logger.error('NodeClaim reconcile failed; retrying it with backoff', {
        controller: this.name,
        nodeClaim: name,
        step,
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack?.split('\n').slice(0, 4).join(' | ') : undefined,
        retryInMs,
      });
      return { ok: false, retryInMs };
    }
  }
}
