// The node a static NodePool (spec.replicas) launches: not sized for any pod, but the
// pool's template as it stands (Karpenter's GetStaticNodeClaimTemplate): every instance
// type the pool's requirements admit with an available offering, cheapest first, at most
// `maxOptions` of them (extended, in price order, until each minValues requirement is
// met). The launch then takes the cheapest offering, as for any NodeClaim.

import { compatibleOfferings } from '../catalog/compatibility.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE } from '../contract/labels.ts';
import type { SchedulingNodePool } from './nodepool.ts';
import { Requirements, ValueSet } from './requirements.ts';
import type { InstanceTypeOption, NewNode } from './types.ts';

/** The NewNode of a static pool, or undefined when the pool admits no type with an available offering. */
export function staticNewNode(pool: SchedulingNodePool, name: string, maxOptions = 60): NewNode | undefined {
  const reqs = Requirements.of(pool.requirements);
  const all: { option: InstanceTypeOption; values: (key: string) => string[] }[] = [];
  for (const type of pool.instanceTypes) {
    const offerings = compatibleOfferings(type, reqs).sort((a, b) => a.price - b.price || (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
    if (offerings.length === 0) continue;
    all.push({
      option: { name: type.name, price: offerings[0]!.price, offerings },
      values: (key) => (key === LABEL_ZONE ? offerings.map((o) => o.zone) : key === LABEL_CAPACITY_TYPE ? offerings.map((o) => o.capacityType) : type.labels[key] !== undefined ? [type.labels[key]!] : []),
    });
  }
  if (all.length === 0) return undefined;
  all.sort((a, b) => a.option.price - b.option.price || (a.option.name < b.option.name ? -1 : 1));
  const chosen = all.slice(0, maxOptions);
  for (const [key, set] of reqs.entries()) {
    if (set.minValues === undefined) continue;
    const seen = new Set(chosen.flatMap((c) => c.values(key)));
    for (const c of all.slice(maxOptions)) {
      if (seen.size >= set.minValues) break;
      if (chosen.includes(c)) continue;
      const vs = c.values(key);
      if (vs.some((v) => !seen.has(v))) {
        chosen.push(c);
        for (const v of vs) seen.add(v);
      }
    }
  }
  const options = chosen.map((c) => c.option);
  const withTypes = reqs.with(LABEL_INSTANCE_TYPE, ValueSet.of(options.map((o) => o.name)));
  return {
    name,
    nodePool: pool.name,
    requirements: withTypes.toArray(),
    labels: withTypes.pinnedLabels(),
    instanceTypeOptions: options,
    pods: [],
    requests: {},
    price: options[0]!.price,
  };
}
