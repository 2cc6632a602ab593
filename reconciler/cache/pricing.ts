// What a node costs per hour: the price of its offering (type x zone x capacity type) in
// the class's catalog, the same numbers the solver used to choose it. Books are built
// once per catalog (catalogs are cached and replaced, never mutated).

import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { StateNode } from '../views/cluster-state.ts';

class CatalogPrices {
  readonly byKey = new Map<string, number>();
  readonly typeByName = new Map<string, InstanceType>();

  constructor(types: readonly InstanceType[]) {
    for (const t of types) {
      this.typeByName.set(t.name, t);
      // Availability does not change what a running node costs.
      for (const o of t.offerings) this.byKey.set(`${t.name}/${o.zone}/${o.capacityType}`, o.price);
    }
  }
}

const books = new WeakMap<readonly InstanceType[], CatalogPrices>();

function pricesOf(types: readonly InstanceType[]): CatalogPrices {
  let b = books.get(types);
  if (!b) books.set(types, (b = new CatalogPrices(types)));
  return b;
}

export class PriceBook {
  private readonly books: CatalogPrices[];

  /** Looks prices up in each catalog in turn (one per EC2NodeClass). */
  constructor(catalogs: readonly (readonly InstanceType[])[]) {
    this.books = [...new Set(catalogs)].map(pricesOf);
  }

  price(instanceType: string | undefined, zone: string | undefined, capacityType: string | undefined): number | undefined {
    if (!instanceType || !zone || !capacityType) return undefined;
    const key = `${instanceType}/${zone}/${capacityType}`;
    for (const b of this.books) {
      const p = b.byKey.get(key);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  nodePrice(n: StateNode): number {
    return this.price(n.instanceType, n.zone, n.capacityType) ?? 0;
  }

  instanceType(name: string | undefined): InstanceType | undefined {
    if (!name) return undefined;
    for (const b of this.books) {
      const t = b.typeByName.get(name);
      if (t) return t;
    }
    return undefined;
  }
}
