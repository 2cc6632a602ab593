// The plan counts each capacity reservation's free slots. The solver sees a reserved
// offering as available or not, with no count, so it may plan more nodes onto a
// reservation than it has room for (the extras would only fall back at launch, packed for
// a price they will not get). After a solve, nodes are given reservation slots in the
// solver's order: each node that can use a reserved offering takes a slot of its cheapest
// reserved offering with one left (as the launch would pick it). A node left without a
// slot is excess: its pods are solved again with the full reservations unavailable, the
// nodes kept standing as in-flight nodes already full (they count for topology and pool
// limits, take no pod), a bounded number of rounds. Karpenter's scheduler does the same
// inside its solve (ReservationManager: a NodeClaim that cannot reserve a slot loses its
// reserved offerings). Kept out of core/scheduling on purpose: the count is the
// reconciler's, the solver stays count-free.

import type { InstanceType, Offering } from '../../../core/catalog/instance-types.ts';
import { addResources, RESOURCE_PODS, type ResourceList } from '../../../core/resources/resource-list.ts';
import type { SchedulingNodePool } from '../../../core/scheduling/nodepool.ts';
import type { ExistingNode, NewNode, SolveInput, SolveResult } from '../../../core/scheduling/types.ts';

/** Rounds of re-solving the excess at most (each round makes at least one reservation full). */
export const RESERVATION_ROUNDS = 4;

export interface ReservationFit {
  readonly result: SolveResult;
  /** The reservation each new node is planned into, by new node name. */
  readonly reservedFor: ReadonlyMap<string, string>;
}

/** The reservation a node would launch into: its cheapest available reserved offering whose reservation has a slot left. */
function reservedOfferings(node: NewNode): Offering[] {
  const out: Offering[] = [];
  for (const o of node.instanceTypeOptions) for (const off of o.offerings) if (off.capacityType === 'reserved' && off.available && off.reservation) out.push(off);
  return out.sort((a, b) => a.price - b.price || (a.reservation!.id < b.reservation!.id ? -1 : 1));
}

/** Gives slots in order; returns the reservation per node and the nodes that found none. */
export function assignSlots(nodes: readonly NewNode[], free: (id: string) => number): { reservedFor: Map<string, string>; excess: NewNode[]; full: Set<string> } {
  const left = new Map<string, number>();
  const reservedFor = new Map<string, string>();
  const excess: NewNode[] = [];
  const full = new Set<string>();
  for (const n of nodes) {
    const offers = reservedOfferings(n);
    if (offers.length === 0) continue;
    let took: string | undefined;
    for (const o of offers) {
      const id = o.reservation!.id;
      if (!left.has(id)) left.set(id, Math.max(0, free(id)));
      if (left.get(id)! > 0) {
        left.set(id, left.get(id)! - 1);
        took = id;
        break;
      }
    }
    if (took) reservedFor.set(n.name, took);
    else excess.push(n);
  }
  for (const [id, n] of left) if (n <= 0) full.add(id);
  return { reservedFor, excess, full };
}

/** The pools with the offerings of full reservations unavailable. */
export function withoutReservations(pools: readonly SchedulingNodePool[], full: ReadonlySet<string>): SchedulingNodePool[] {
  return pools.map((p) => ({
    ...p,
    instanceTypes: p.instanceTypes.map((t): InstanceType =>
      t.offerings.some((o) => o.reservation && full.has(o.reservation.id) && o.available)
        ? { ...t, offerings: t.offerings.map((o) => (o.reservation && full.has(o.reservation.id) ? { ...o, available: false } : o)) }
        : t,
    ),
  }));
}

/** A planned node as an in-flight node with no room left: it counts for topology, takes no pod. */
function asFullNode(n: NewNode): ExistingNode {
  return { name: n.name, labels: { ...n.labels }, taints: [], allocatable: { ...n.requests, [RESOURCE_PODS]: n.requests[RESOURCE_PODS] ?? n.pods.length }, pods: [...n.pods], nodePool: n.nodePool, inFlight: true };
}

/**
 * The solve's result with no reservation planned beyond its free slots (`free`: the slots
 * each reservation has for this batch; Infinity when unknown). `solve` is the solver.
 */
export function fitReservations(input: SolveInput, first: SolveResult, free: (id: string) => number, solve: (input: SolveInput) => SolveResult): ReservationFit {
  let result = first;
  let pools = input.nodePools;
  const exhausted = new Set<string>();
  for (let round = 1; ; round++) {
    const { reservedFor, excess, full } = assignSlots(result.newNodes, free);
    if (excess.length === 0 || round > RESERVATION_ROUNDS) return { result, reservedFor };
    for (const id of full) exhausted.add(id);
    pools = withoutReservations(pools, exhausted);
    const dropped = new Set(excess.map((n) => n.name));
    const kept = result.newNodes.filter((n) => !dropped.has(n.name));
    const bound = new Map<string, ExistingNode['pods']>();
    for (const b of result.bindings) bound.set(b.node, [...(bound.get(b.node) ?? []), b.pod]);
    const usage: Record<string, ResourceList> = { ...(input.poolUsage ?? {}) };
    for (const n of kept) {
      const type = pools.find((p) => p.name === n.nodePool)?.instanceTypes.find((t) => t.name === n.instanceTypeOptions[0]?.name);
      usage[n.nodePool] = addResources(usage[n.nodePool] ?? {}, { ...(type?.capacity ?? n.requests), nodes: 1 });
    }
    const again = solve({
      ...input,
      pods: excess.flatMap((n) => n.pods),
      nodes: [...input.nodes.map((n) => (bound.has(n.name) ? { ...n, pods: [...n.pods, ...bound.get(n.name)!] } : n)), ...kept.map(asFullNode)],
      nodePools: pools,
      poolUsage: usage,
      options: { ...input.options, newNodeNamePrefix: `${input.options?.newNodeNamePrefix ?? 'new'}-r${round}` },
    });
    // A pod the second solve put on a kept node (one asking for nothing) joins that node.
    const byName = new Map(kept.map((n) => [n.name, { ...n, pods: [...n.pods] }]));
    const bindings = [...result.bindings];
    for (const b of again.bindings) {
      const k = byName.get(b.node);
      if (k) k.pods.push(b.pod);
      else bindings.push(b);
    }
    result = {
      bindings,
      newNodes: [...kept.map((n) => byName.get(n.name)!), ...again.newNodes],
      unschedulable: [...result.unschedulable, ...again.unschedulable],
      ...(result.order && again.order ? { order: [...result.order.filter((p) => !excess.some((n) => n.pods.includes(p))), ...again.order] } : {}),
    };
  }
}
