// `joinery plan` in a repository of clusters: each cluster's compiled intent at base against
// the same cluster's at head, with the diff, capacity envelopes and consequences for its
// running nodes against its region's catalog. A cluster only in head is added (every
// object new), one only in base removed; a base that declares no clusters (the repository
// is moving to clusters) has nothing per cluster to compare with, so each head cluster is
// reported as added.
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { regionCatalog } from '../clusters/region-catalog.ts';
import type { IntentModel } from '../intent.ts';
import type { RefCompilation } from './compile-ref.ts';
import { consequencesOf } from './consequences.ts';
import { poolEnvelopes } from './envelope.ts';
import { diffIntents } from './semantic-diff.ts';
import type { ClusterPlan } from './types.ts';

const EMPTY: IntentModel = { nodePools: [], ec2NodeClasses: [] };

/**
 * `catalogOf(region)`: the instance types of the region (priced as the plan prices them);
 * default the region's catalog. A region without one has no envelopes (the compile already
 * reported it).
 */
export function clusterPlans(
  base: RefCompilation,
  head: RefCompilation,
  catalogOf: (region: string) => readonly InstanceType[] | undefined = (region) => regionCatalog(region)?.instanceTypes,
): ClusterPlan[] {
  const baseClusters = new Map((base.clusters ?? []).map((c) => [c.name, c]));
  const headClusters = new Map((head.clusters ?? []).map((c) => [c.name, c]));
  const names = [...headClusters.keys(), ...[...baseClusters.keys()].filter((n) => !headClusters.has(n))];
  return names.map((name) => {
    const b = baseClusters.get(name);
    const h = headClusters.get(name);
    const region = (h ?? b)!.region;
    const catalog = catalogOf(region) ?? [];
    const diff = diffIntents(b?.model ?? EMPTY, h?.model ?? EMPTY);
    const envelopes =
      catalog.length === 0
        ? []
        : poolEnvelopes(b?.model.nodePools.map((p) => p.manifest), (h?.model.nodePools ?? []).map((p) => p.manifest), catalog, undefined, {
            base: b?.model.nodeOverlays?.map((o) => o.manifest),
            head: h?.model.nodeOverlays?.map((o) => o.manifest),
          }, { base: b?.model.ec2NodeClasses.map((c) => c.manifest), head: h?.model.ec2NodeClasses.map((c) => c.manifest) });
    // A cluster removed from the repository keeps what it runs: its reconciler finds no
    // generated/<cluster>/ and keeps its last intent (rendered as such, no consequence).
    const consequences = h ? consequencesOf(b?.model, h.model, [], catalog) : [];
    const change = !b ? 'added' : !h ? 'removed' : diff.length > 0 ? 'changed' : 'unchanged';
    return { cluster: name, region, change, diff, envelopes, consequences };
  });
}
