// Which instance types, and which of their offerings, satisfy a set of requirements.

import { LABEL_CAPACITY_TYPE, LABEL_ZONE, INSTANCE_TYPE_LABEL_KEYS } from '../contract/labels.ts';
import type { Requirements } from '../scheduling/requirements.ts';
import type { InstanceType, Offering } from './instance-types.ts';

/** The available offerings of `type` whose zone and capacity type `reqs` allow. */
export function compatibleOfferings(type: InstanceType, reqs: Requirements): Offering[] {
  const zones = reqs.get(LABEL_ZONE);
  const capacityTypes = reqs.get(LABEL_CAPACITY_TYPE);
  return type.offerings.filter((o) => o.available && zones.has(o.zone) && capacityTypes.has(o.capacityType));
}

/**
 * Why `type` cannot satisfy `reqs`, or undefined when it can: every requirement on a
 * label the type defines must allow the type's value (or its absence), and some
 * available offering must be in an allowed zone and capacity type.
 */
export function instanceTypeIncompatibility(type: InstanceType, reqs: Requirements): string | undefined {
  for (const [key, set] of reqs.entries()) {
    if (!INSTANCE_TYPE_LABEL_KEYS.has(key)) continue;
    const value = type.labels[key];
    if (!set.allows(value)) return value === undefined ? `has no label ${key}` : `has ${key}=${value}`;
  }
  if (compatibleOfferings(type, reqs).length === 0) return 'has no available offering in the allowed zones and capacity types';
  return undefined;
}

export function instanceTypeCompatible(type: InstanceType, reqs: Requirements): boolean {
  return instanceTypeIncompatibility(type, reqs) === undefined;
}
