// Resources as the solver computes with them: a Float64Array indexed by resource, one
// slot per resource name any pod of the solve requests. cpu, memory and pods always
// hold the first three slots, so the heuristics that look at cpu and memory (ordering,
// the fill score) index them directly instead of looking names up in the hot loops.

import type { ResourceList } from '../resources/resource-list.ts';

export const CPU = 0;
export const MEMORY = 1;
export const PODS = 2;

/** Canonical resource names numbered 0..R-1; cpu, memory and pods always first (CPU, MEMORY, PODS). */
export class ResourceIndex {
  readonly names: string[] = ['cpu', 'memory', 'pods'];
  private readonly index = new Map<string, number>([
    ['cpu', CPU],
    ['memory', MEMORY],
    ['pods', PODS],
  ]);

  add(name: string): void {
    if (!this.index.has(name)) {
      this.index.set(name, this.names.length);
      this.names.push(name);
    }
  }

  get size(): number {
    return this.names.length;
  }

  /** The list as a vector; resources outside the index are ignored. */
  vector(list: ResourceList): Float64Array {
    const v = new Float64Array(this.names.length);
    for (const [k, amount] of Object.entries(list)) {
      const i = this.index.get(k);
      if (i !== undefined) v[i] = amount;
    }
    return v;
  }

  list(v: Float64Array): ResourceList {
    const out: ResourceList = {};
    for (let i = 0; i < this.names.length; i++) if (v[i] !== 0) out[this.names[i]!] = v[i]!;
    return out;
  }
}

/** used + req <= cap on every resource (used may be undefined = zero). */
export function fits(cap: Float64Array, used: Float64Array | undefined, req: Float64Array): boolean {
  const R = req.length;
  if (used) {
    for (let r = 0; r < R; r++) if (used[r]! + req[r]! > cap[r]!) return false;
  } else {
    for (let r = 0; r < R; r++) if (req[r]! > cap[r]!) return false;
  }
  return true;
}
