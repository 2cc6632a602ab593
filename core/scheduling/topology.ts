// Topology bookkeeping for the solver: topology domains as small integers, and the
// groups of pods that topology spread constraints and pod (anti-)affinity terms count
// per domain. Hostname domains are node indices; other keys (zone, capacity type, any
// label) go through a registry of their values.

import { LABEL_HOSTNAME } from '../contract/labels.ts';
import type { CompiledSelector } from './selectors.ts';

/** The values seen for one topology key, numbered from 0. */
export class DomainRegistry {
  private readonly index = new Map<string, number>();

  id(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(value, i);
    }
    return i;
  }

  get size(): number {
    return this.index.size;
  }
}

export type TopologyKind = 'spread' | 'affinity' | 'anti-affinity';

export interface TopologyGroupSpec {
  kind: TopologyKind;
  key: string;
  selector: CompiledSelector;
  /** Namespaces whose pods count; undefined = all. */
  namespaces: ReadonlySet<string> | undefined;
  maxSkew: number;
  minDomains: number;
  /** Spread: whether the owner's node affinity limits the eligible domains (default Honor). */
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  /** Spread: whether untolerated taints exclude nodes from the eligible domains (default Ignore). */
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

function grow(a: Int32Array, size: number): Int32Array {
  if (size <= a.length) return a;
  const b = new Int32Array(Math.max(size, a.length * 2, 16));
  b.set(a);
  return b;
}

/**
 * Pods matching a selector (in some namespaces), counted per domain of one key. For
 * anti-affinity, `owners` also counts the pods that own the term, so that a pod matching
 * the selector keeps out of their domains (anti-affinity is symmetric).
 */
export class TopologyGroup implements TopologyGroupSpec {
  readonly kind: TopologyKind;
  readonly key: string;
  readonly hostname: boolean;
  readonly selector: CompiledSelector;
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly maxSkew: number;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: 'Honor' | 'Ignore';
  readonly nodeTaintsPolicy: 'Honor' | 'Ignore';
  counts: Int32Array = new Int32Array(16);
  owners: Int32Array = new Int32Array(16);
  /** Matching pods in some domain. */
  total = 0;

  constructor(
    readonly id: number,
    spec: TopologyGroupSpec,
  ) {
    this.kind = spec.kind;
    this.key = spec.key;
    this.hostname = spec.key === LABEL_HOSTNAME;
    this.selector = spec.selector;
    this.namespaces = spec.namespaces;
    this.maxSkew = spec.maxSkew;
    this.minDomains = spec.minDomains;
    this.nodeAffinityPolicy = spec.nodeAffinityPolicy;
    this.nodeTaintsPolicy = spec.nodeTaintsPolicy;
  }

  static signature(spec: TopologyGroupSpec): string {
    const ns = spec.namespaces ? [...spec.namespaces].sort().join(',') : '*';
    return `${spec.kind}|${spec.key}|${ns}|${spec.selector.signature}|${spec.maxSkew}|${spec.minDomains}|${spec.nodeAffinityPolicy}|${spec.nodeTaintsPolicy}`;
  }

  matches(namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
    if (this.namespaces && !this.namespaces.has(namespace)) return false;
    return this.selector.matches(labels);
  }

  count(domain: number): number {
    return domain < this.counts.length ? this.counts[domain]! : 0;
  }

  ownerCount(domain: number): number {
    return domain < this.owners.length ? this.owners[domain]! : 0;
  }

  record(domain: number, delta: number): void {
    this.counts = grow(this.counts, domain + 1);
    this.counts[domain] = this.counts[domain]! + delta;
    this.total += delta;
  }

  recordOwner(domain: number, delta: number): void {
    this.owners = grow(this.owners, domain + 1);
    this.owners[domain] = this.owners[domain]! + delta;
  }

  describe(): string {
    const what =
      this.kind === 'spread'
        ? `topology spread on ${this.key} (maxSkew ${this.maxSkew}${this.minDomains > 1 ? `, minDomains ${this.minDomains}` : ''})`
        : `pod ${this.kind} on ${this.key}`;
    return `${what} for pods matching {${this.selector.signature}}`;
  }
}

/** All registries and groups of one solve. */
export class Topology {
  private readonly registries = new Map<string, DomainRegistry>();
  private readonly bySignature = new Map<string, TopologyGroup>();
  readonly groups: TopologyGroup[] = [];

  registry(key: string): DomainRegistry {
    let r = this.registries.get(key);
    if (!r) {
      r = new DomainRegistry();
      this.registries.set(key, r);
    }
    return r;
  }

  group(spec: TopologyGroupSpec): TopologyGroup {
    const sig = TopologyGroup.signature(spec);
    let g = this.bySignature.get(sig);
    if (!g) {
      g = new TopologyGroup(this.groups.length, spec);
      this.bySignature.set(sig, g);
      this.groups.push(g);
      if (!g.hostname) this.registry(g.key);
    }
    return g;
  }
}
