// What a node costs per hour: the price of its offering (type x zone x capacity type) in
// the class's catalog, the same numbers the solver used to choose it.

import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { StateNode } from './cluster-state.ts';

export class PriceBook {
  private readonly byKey = new Map<string, number>();
  private readonly typeByName = new Map<string, InstanceType>();

  constructor(types: Iterable<InstanceType>) {
    for (const t of types) {
      this.typeByName.set(t.name, t);
      for (const o of t.offerings) {
        const k = `${t.name}/${o.zone}/${o.capacityType}`;
        // Availability does not change what a running node costs.
        this.byKey.set(k, o.price);
      }
    }
  }

  price(instanceType: string | undefined, zone: string | undefined, capacityType: string | undefined): number | undefined {
    if (!instanceType || !zone || !capacityType) return undefined;
    return this.byKey.get(`${instanceType}/${zone}/${capacityType}`);
  }

  nodePrice(n: StateNode): number {
    return this.price(n.instanceType, n.zone, n.capacityType) ?? 0;
  }

  instanceType(name: string | undefined): InstanceType | undefined {
    return name ? this.typeByName.get(name) : undefined;
  }
}
