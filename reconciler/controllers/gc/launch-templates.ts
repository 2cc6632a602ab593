// Garbage collection of launch templates: one joinery created for this cluster (its tags
// and its name, isOwnedLaunchTemplate) that no live instance of ours was launched from and
// that no launch has used for longer than the grace period is deleted. A configuration
// still in use gets its template back on the next launch (the adapter creates it again),
// as Karpenter's template cache lets unused templates expire. A template without
// joinery's tags is never deleted, whatever the adapter lists.

import type { Instance } from '../../ports/cloud.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { TAG_LAUNCH_TEMPLATE, TAG_LAUNCH_TEMPLATE_ID, TAG_NODECLASS, TAG_NODEPOOL, isOwnedLaunchTemplate } from '../../../core/contract/index.ts';

export type LaunchTemplateGcDeps = Pick<ControllerContext, 'cloud' | 'decisions'> & {
  readonly options: Pick<ReconcilerOptions, 'gcGraceMs' | 'clusterName'>;
};

/** Deletes the unused launch templates; returns their names. */
export async function collectLaunchTemplates(ctx: LaunchTemplateGcDeps, liveInstances: readonly Instance[], now: number, controller = 'gc'): Promise<string[]> {
  const { cloud, decisions, options } = ctx;
  // An instance names its template by joinery's tag, and (in EC2) by the id EC2 tags it with.
  const referenced = new Set(liveInstances.filter((i) => i.state !== 'terminated').flatMap((i) => [i.tags[TAG_LAUNCH_TEMPLATE], i.tags[TAG_LAUNCH_TEMPLATE_ID]]).filter(Boolean));
  const deleted: string[] = [];
  for (const t of await cloud.listLaunchTemplates()) {
    if (!isOwnedLaunchTemplate(t.name, t.tags, options.clusterName)) continue;
    if (referenced.has(t.name) || referenced.has(t.id) || now - t.lastUsedAt < options.gcGraceMs) continue;
    await cloud.deleteLaunchTemplate(t.name);
    deleted.push(t.name);
    decisions.record({
      controller,
      action: 'garbage-collect',
      reason: 'unused-launch-template',
      message: `launch template ${t.name} (${t.id}, EC2NodeClass ${t.tags[TAG_NODECLASS] ?? '?'}) is used by no instance and no launch for ${Math.round((now - t.lastUsedAt) / 1000)}s; deleted`,
      nodePool: t.tags[TAG_NODEPOOL],
      details: { launchTemplateName: t.name, launchTemplateId: t.id },
    });
  }
  return deleted;
}
