// Garbage collection: joinery's instances of this cluster (the cluster tag `owned` and a
// NodePool tag; never a node group's instance, which carries the cluster tag alone) with
// no NodeClaim (a crash after launch and before the claim was recorded), unused launch
// templates of joinery's (launch-templates.ts), and
// NodeClaims whose instance is gone (terminated outside the reconciler), are cleaned up
// once older than a grace period; so are duplicates: an instance tagged for a claim whose
// recorded instance is another one, or, while the claim records none yet, any but the
// one its launch adopts (`adoptionOrder`). Each is named in one log line.

import { InstanceNotFoundError, adoptionOrder, type Instance } from '../../ports/cloud.ts';
import type { Controller, ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { conditionTrue, timestampMs } from '../../views/cluster-state.ts';
import { CONDITION_LAUNCHED, FINALIZER_TERMINATION, LABEL_NODEPOOL, TAG_NODECLAIM, TAG_NODEPOOL, isOwnedInstance } from '../../../core/contract/index.ts';
import { collectInstanceProfiles } from './instance-profiles.ts';
import { collectLaunchTemplates } from './launch-templates.ts';

export type GarbageCollectionDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'cloud' | 'decisions' | 'logger' | 'intent'> & {
  readonly options: Pick<ReconcilerOptions, 'gcGraceMs' | 'gcIntervalMs' | 'clusterName'>;
};

export class GarbageCollectionController implements Controller {
  readonly name = 'gc';

  constructor(private readonly ctx: GarbageCollectionDeps) {}

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, cloud, clock, decisions, options } = this.ctx;
    const now = clock.now();
    const instances = await cloud.list();
    const claims = cluster.cache.list('NodeClaim');
    const claimByName = new Map(claims.map((c) => [c.metadata.name!, c]));
    const claimedProviders = new Set(claims.map((c) => c.status?.providerID).filter((p): p is string => Boolean(p)));
    // Defence in depth (list() selects only ours): never consider what joinery did not launch.
    const liveInstances = instances.filter((i) => i.state !== 'shutting-down' && i.state !== 'terminated' && isOwnedInstance(i.tags, options.clusterName));
    // The instance a claim not yet recorded adopts among those tagged for it (the launch's rule).
    const adoptedFor = new Map<string, Instance>();
    for (const inst of [...liveInstances].sort(adoptionOrder)) {
      const tagged = inst.tags[TAG_NODECLAIM];
      if (tagged && !adoptedFor.has(tagged)) adoptedFor.set(tagged, inst);
    }

    for (const inst of liveInstances) {
      if (claimedProviders.has(inst.providerID)) continue;
      const claimName = inst.tags[TAG_NODECLAIM];
      const claim = claimName ? claimByName.get(claimName) : undefined;
      // A claim whose launch is being recorded right now owns the instance it will adopt;
      // any other instance tagged for a live claim is a duplicate (a launch repeated after
      // an unknown outcome), removed after the grace period like an orphan.
      const recorded = claim?.status?.providerID;
      if (claim && !recorded && adoptedFor.get(claimName!)?.id === inst.id) continue;
      if (now - inst.launchTime < options.gcGraceMs) continue;
      try {
        await cloud.delete(inst.providerID);
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
      const keeps = recorded ?? (claim ? adoptedFor.get(claimName!)?.providerID : undefined);
      decisions.record({
        controller: this.name,
        action: 'garbage-collect',
        reason: claim ? 'duplicate-instance' : 'orphan-instance',
        message: claim
          ? `instance ${inst.id} (${inst.instanceType}, ${inst.zone}) is tagged for NodeClaim ${claimName}, whose instance is ${keeps ?? 'another'}; terminated the duplicate`
          : `instance ${inst.id} (${inst.instanceType}, ${inst.zone}) has no NodeClaim${claimName ? ` (tagged for ${claimName})` : ''}; terminated`,
        nodePool: inst.tags[TAG_NODEPOOL],
        details: { instanceId: inst.id, providerID: inst.providerID },
      });
    }

    await collectLaunchTemplates(this.ctx, instances, now, this.name);
    await collectInstanceProfiles(this.ctx, instances, now, this.name);

    const live = new Set(instances.map((i) => i.providerID));
    for (const claim of claims) {
      const providerID = claim.status?.providerID;
      // A claim being deleted is termination's: its instance going away is the point, not an orphan.
      if (!providerID || claim.metadata.deletionTimestamp || live.has(providerID) || !conditionTrue(claim, CONDITION_LAUNCHED)) continue;
      const launchedAt = timestampMs(claim.status?.conditions?.find((c) => c.type === CONDITION_LAUNCHED)?.lastTransitionTime) ?? now;
      if (now - launchedAt < options.gcGraceMs) continue;
      // The list may lag: confirm with a direct lookup before acting.
      try {
        await cloud.get(providerID);
        continue;
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
      const name = claim.metadata.name!;
      decisions.record({
        controller: this.name,
        action: 'garbage-collect',
        reason: 'instance-gone',
        message: `NodeClaim ${name}: its instance ${providerID} no longer exists; deleting the claim`,
        nodePool: claim.metadata.labels?.[LABEL_NODEPOOL],
        nodeClaims: [name],
      });
      // Termination finds the instance gone and releases the finalizers.
      await cluster.deleteNodeClaim(name);
    }

    // Nodes of ours left behind by a claim that is gone, whose instance is gone too.
    for (const node of cluster.cache.list('Node')) {
      const providerID = node.spec?.providerID;
      if (!providerID || !node.metadata.labels?.[LABEL_NODEPOOL] || claimedProviders.has(providerID) || live.has(providerID)) continue;
      if (!(node.metadata.finalizers ?? []).includes(FINALIZER_TERMINATION) && !node.metadata.deletionTimestamp) continue;
      await cluster.deleteNode(node.metadata.name!);
      await cluster.patchNode(node.metadata.name!, { removeFinalizers: [FINALIZER_TERMINATION] }).catch(() => undefined);
      this.ctx.logger.info('released a node whose claim and instance are gone', { node: node.metadata.name });
    }
    return { requeueAfterMs: options.gcIntervalMs };
  }
}
