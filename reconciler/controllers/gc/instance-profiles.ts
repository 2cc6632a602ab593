// Garbage collection of instance profiles: one joinery created for an EC2NodeClass's role
// (its tags and path, isOwnedInstanceProfile) is deleted once no EC2NodeClass of the intent
// in force needs it (the class is gone, or now gives spec.instanceProfile) and no live
// instance of ours runs with it (by the profile EC2 reports, or the class the instance was
// launched for), after the grace period. With no intent in force nothing is deleted; a
// profile given in spec.instanceProfile is the user's and never carries joinery's tags.

import type { Instance } from '../../ports/cloud.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { TAG_NODECLASS } from '../../../core/contract/index.ts';

export type InstanceProfileGcDeps = Pick<ControllerContext, 'cloud' | 'decisions' | 'intent'> & {
  readonly options: Pick<ReconcilerOptions, 'gcGraceMs'>;
};

/** Deletes the instance profiles nothing uses; returns their names. */
export async function collectInstanceProfiles(ctx: InstanceProfileGcDeps, instances: readonly Instance[], now: number, controller = 'gc'): Promise<string[]> {
  const { cloud, decisions, intent, options } = ctx;
  const current = intent.current();
  if (!current) return [];
  const needed = new Set(current.nodeClasses.filter((c) => c.spec?.role && !c.spec.instanceProfile).map((c) => c.metadata.name ?? ''));
  const live = instances.filter((i) => i.state !== 'terminated');
  const usedByName = new Set(live.map((i) => i.instanceProfile).filter(Boolean));
  const usedByClass = new Set(live.map((i) => i.tags[TAG_NODECLASS]).filter(Boolean));
  const deleted: string[] = [];
  for (const p of await cloud.listInstanceProfiles()) {
    if (needed.has(p.nodeClass) || usedByName.has(p.name) || usedByClass.has(p.nodeClass) || now - p.createdAt < options.gcGraceMs) continue;
    await cloud.deleteInstanceProfile(p.name);
    deleted.push(p.name);
    decisions.record({
      controller,
      action: 'garbage-collect',
      reason: 'unused-instance-profile',
      message: `instance profile ${p.name} (role ${p.role ?? 'none'}, EC2NodeClass ${p.nodeClass}) is needed by no EC2NodeClass of commit ${current.commit.slice(0, 12)} and used by no instance; deleted`,
      details: { instanceProfile: p.name },
    });
  }
  return deleted;
}
