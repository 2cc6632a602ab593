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
//
// A pass works through two keyed queues (work-queue.ts): launches, and the other steps of
// launched claims. Claims created during the pass join its launches, and a claim whose
// Node appears or changes during the pass takes its next step at once, so a node that
// joins during a burst is registered at once, not when the burst's last launch returns.

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
import { WorkQueue } from './work-queue.ts';

/** Claims whose registration, initialization or liveness step runs at once (each is a few API writes). */
const STEP_CONCURRENCY = 16;

/** What the driver uses itself, plus what its sub-reconcilers use. */
export type LifecycleDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'logger' | 'metrics'> & {
  readonly options: Pick<ReconcilerOptions, 'launchConcurrency'>;
} & LaunchDeps &
  RegistrationDeps &
  InitializationDeps &
  LivenessDeps &
  PodEventsDeps;

/** What a pass works through, and what its events look claims and nodes up by. */
interface Pass {
  readonly launches: WorkQueue<NodeClaim>;
  readonly steps: WorkQueue<string>;
  /** NodeClaim name by its instance's providerID. */
  readonly claimByProvider: Map<string, string>;
  /** Node name by providerID. */
  readonly nodeByProvider: Map<string, string>;
}

/** A launched claim not being deleted that is not registered and initialized yet. */
function needsStep(claim: NodeClaim): boolean {
  return !claim.metadata.deletionTimestamp && conditionTrue(claim, CONDITION_LAUNCHED) && !(conditionTrue(claim, CONDITION_REGISTERED) && conditionTrue(claim, CONDITION_INITIALIZED));
}

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
  /** The work of the pass in progress; undefined between passes. */
  private pass: Pass | undefined;

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
    const pass = this.pass;
    if (!pass) return; // between passes the manager's wake starts one at once
    // While a pass runs, a change joins it: a claim created is launched at once (it does
    // not wait for the pass's slowest CreateFleet, seconds under load, while provisioning
    // creates claims throughout a burst), and a claim whose Node appears or changes takes
    // its next step at once (not after every other node's writes).
    if (event.kind === 'NodeClaim') {
      const claim = event.object;
      const name = claim.metadata.name!;
      if (event.type === 'DELETED') return;
      if (claim.status?.providerID) pass.claimByProvider.set(claim.status.providerID, name);
      if (event.type === 'ADDED' && this.mayLaunch(claim, this.deps.clock.now()) === 0) pass.launches.add(name, claim);
      else if (event.type === 'MODIFIED' && needsStep(claim)) pass.steps.add(name, name);
    } else if (event.kind === 'Node' && event.type !== 'DELETED') {
      const providerID = event.object.spec?.providerID;
      if (!providerID) return;
      pass.nodeByProvider.set(providerID, event.object.metadata.name!);
      const name = pass.claimByProvider.get(providerID);
      const claim = name ? this.deps.cluster.cache.get('NodeClaim', name) : undefined;
      if (claim && needsStep(claim)) pass.steps.add(name!, name!);
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

    const nodeByProvider = new Map<string, string>();
    for (const n of cluster.cache.list('Node')) if (n.spec?.providerID) nodeByProvider.set(n.spec.providerID, n.metadata.name!);
    const pass: Pass = {
      // Launches run concurrently (each waits on EC2), a bounded number at a time.
      launches: new WorkQueue<NodeClaim>(options.launchConcurrency, (claim) => runClaim(claim, 'launch', async () => after(await this.launch.launch(claim))).then(() => undefined), { once: true }),
      // Registration, initialization and liveness: a few API writes per claim, so claims
      // run concurrently: a burst's nodes join together, and one at a time their
      // registrations queued up behind each other for seconds.
      steps: new WorkQueue<string>(STEP_CONCURRENCY, (name) => this.step(name, nodeByProvider, runClaim, after), { once: false }),
      claimByProvider: new Map(),
      nodeByProvider,
    };
    const names = new Set<string>();
    const uids = new Set<string>();
    for (const claim of cluster.cache.list('NodeClaim')) {
      const name = claim.metadata.name!;
      names.add(name);
      if (claim.metadata.uid) uids.add(claim.metadata.uid);
      if (claim.status?.providerID) pass.claimByProvider.set(claim.status.providerID, name);
      if (claim.metadata.deletionTimestamp) continue;
      if (conditionTrue(claim, CONDITION_LAUNCHED)) {
        if (needsStep(claim)) pass.steps.add(name, name);
        continue;
      }
      const wait = this.mayLaunch(claim, now);
      if (wait !== undefined && wait > 0) after(wait);
      else if (wait === 0) pass.launches.add(name, claim);
    }
    this.backoff.retainOnly(names);
    this.deps.claimsCreatedHere?.retainOnly(uids);

    this.pass = pass;
    try {
      // The pass lasts until its work is done, work that joined meanwhile included. Each
      // check runs in the same microtask as the await it follows, so no event (a macrotask)
      // slips in between the queues draining and the pass closing them.
      while (!pass.launches.isIdle() || !pass.steps.isIdle()) {
        await pass.launches.drained();
        await pass.steps.drained();
      }
    } finally {
      this.pass = undefined;
    }

    await this.podEvents.write(now, runClaim);
    return Number.isFinite(requeue) ? { requeueAfterMs: Math.max(1, requeue) } : {};
  }

  /** A launched claim's next step, as the cache shows it now: registration, initialization, or the registration timeout. */
  private async step(name: string, nodeByProvider: ReadonlyMap<string, string>, runClaim: ClaimRunner, after: (ms: number | undefined) => void): Promise<void> {
    const { cluster, clock } = this.deps;
    const claim = cluster.cache.get('NodeClaim', name);
    if (!claim || !needsStep(claim)) return;
    const nodeName = claim.status?.providerID ? nodeByProvider.get(claim.status.providerID) : undefined;
    const node = nodeName ? cluster.cache.get('Node', nodeName) : undefined;
    if (!conditionTrue(claim, CONDITION_REGISTERED)) {
      if (node) await runClaim(claim, 'registration', () => this.registration.register(claim, node));
      else await runClaim(claim, 'liveness', async () => after(await this.liveness.check(claim, clock.now())));
      return;
    }
    if (node) await runClaim(claim, 'initialization', () => this.initialization.maybeInitialize(claim, node));
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
