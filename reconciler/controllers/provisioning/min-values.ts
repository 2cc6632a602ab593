// The minValues policy on a solve's new nodes (Karpenter's --min-values-policy). Strict: a
// node whose instance type options keep fewer distinct values than a requirement's
// minValues is not launched; the pods that on their own cannot meet it (pinned to one
// family in a pool that wants five) are left out and solved again without them, so the
// pods packed with them still get nodes; what still falls short is not launched either,
// and every pod left out is reported with the reason. BestEffort: the node is launched
// with minValues relaxed to what its options offer.

import type { Pod } from "../../../core/api/k8s.ts";
import type { InstanceType } from "../../../core/catalog/instance-types.ts";
import {
  describeShortfall,
  minValuesShortfalls,
  podCannotMeetMinValues,
  relaxMinValues,
  type MinValuesPolicy,
  type MinValuesShortfall,
} from "../../../core/catalog/min-values.ts";
import type { NewNode, SolveResult } from "../../../core/scheduling/types.ts";

export interface ShortNode {
  readonly node: NewNode;
  readonly shortfalls: readonly MinValuesShortfall[];
}

export interface MinValuesOutcome {
  /** The nodes to launch (BestEffort: some with relaxed requirements, listed in `relaxed`). */
  readonly newNodes: readonly NewNode[];
  /** Strict: pods not provisioned for, with the reason. */
  readonly blocked: readonly { readonly pod: Pod; readonly reason: string }[];
  /** BestEffort: the nodes launched with minValues relaxed, and what fell short. */
  readonly relaxed: readonly ShortNode[];
  /** The solve result the nodes come from (a second solve under Strict, when one ran). */
  readonly result: SolveResult;
}

function typeLookup(
  poolTypes: ReadonlyMap<string, readonly InstanceType[]>,
): (
  pool: string,
) => (name: string) => Readonly<Record<string, string>> | undefined {
  const cache = new Map<string, Map<string, InstanceType>>();
  return (pool) => {
    let byName = cache.get(pool);
    if (!byName)
      cache.set(
        pool,
        (byName = new Map((poolTypes.get(pool) ?? []).map((t) => [t.name, t]))),
      );
    return (name) => byName!.get(name)?.labels;
  };
}

export function shortNodes(
  newNodes: readonly NewNode[],
  poolTypes: ReadonlyMap<string, readonly InstanceType[]>,
): ShortNode[] {
  const labels = typeLookup(poolTypes);
  const out: ShortNode[] = [];
  for (const node of newNodes) {
    if (!node.requirements.some((r) => r.minValues !== undefined)) continue;
    const shortfalls = minValuesShortfalls(
      node.requirements,
      node.instanceTypeOptions,
      labels(node.nodePool),
    );
    if (shortfalls.length > 0) out.push({ node, shortfalls });
  }
  return out;
}

/**
 * Applies `policy` to `result`. `resolve` solves again for a subset of the pods (Strict
 * only, at most once).
 */
export function applyMinValuesPolicy(
  policy: MinValuesPolicy,
  result: SolveResult,
  poolTypes: ReadonlyMap<string, readonly InstanceType[]>,
  resolve: (without: ReadonlySet<Pod>) => SolveResult,
): MinValuesOutcome {
  let short = shortNodes(result.newNodes, poolTypes);
  if (short.length === 0)
    return { newNodes: result.newNodes, blocked: [], relaxed: [], result };
  if (policy === "BestEffort") {
    const relaxedBy = new Map(short.map((s) => [s.node, s]));
    return {
      newNodes: result.newNodes.map((n) => {
        const s = relaxedBy.get(n);
        return s
          ? { ...n, requirements: relaxMinValues(n.requirements, s.shortfalls) }
          : n;
      }),
      blocked: [],
      relaxed: short,
      result,
    };
  }
  const blocked = new Map<Pod, string>();
  for (const { node, shortfalls } of short) {
    const types = poolTypes.get(node.nodePool) ?? [];
    for (const pod of node.pods) {
      const s = shortfalls.find((f) =>
        podCannotMeetMinValues(pod, f.key, f.minValues, types),
      );
      if (s)
        blocked.set(
          pod,
          `${describeShortfall(node.nodePool, s)}: the pod's node selector or affinity leaves too few (--min-values-policy Strict)`,
        );
    }
  }
  let current = result;
  if (
    blocked.size > 0 &&
    short.some((s) => s.node.pods.some((p) => !blocked.has(p)))
  ) {
    current = resolve(new Set(blocked.keys()));
    short = shortNodes(current.newNodes, poolTypes);
  }
  const dropped = new Set(short.map((s) => s.node));
  for (const { node, shortfalls } of short) {
    for (const pod of node.pods)
      if (!blocked.has(pod))
        blocked.set(
          pod,
          `${shortfalls.map((s) => describeShortfall(node.nodePool, s)).join("; ")} (--min-values-policy Strict)`,
        );
  }
  return {
    newNodes: current.newNodes.filter((n) => !dropped.has(n)),
    blocked: [...blocked].map(([pod, reason]) => ({ pod, reason })),
    relaxed: [],
    result: current,
  };
}
