// --min-values-policy on the whole reconciler: a pool that asks for 3 instance families, a
// workload pinned to one family and one that is not. Strict (the default): the pinned pods
// get no NodeClaim and say why in an Event; the others are provisioned with at least 3
// families. BestEffort: the pinned pods get a claim with minValues relaxed, annotated,
// logged and counted.
import {
  ANNOTATION_MIN_VALUES_RELAXED,
  LABEL_INSTANCE_FAMILY,
  LABEL_INSTANCE_TYPE,
} from "../../../core/contract/index.ts";
import type { MinValuesPolicy } from "../../../core/catalog/min-values.ts";
import {
  newWorld,
  nodeClass,
  nodePool,
  podsOf,
  startReconciler,
  MINUTE,
} from "./fixtures.ts";

const FAMILIES = ["m6i", "m7i", "c7i"];

async function run(policy: MinValuesPolicy | undefined) {
  const world = newWorld();
  // Consolidation is held off (consolidateAfter 1h): this is about provisioning.
  const pool = nodePool("general", {
    consolidateAfter: "1h",
    requirements: [
      {
        key: "karpenter.sh/capacity-type",
        operator: "In",
        values: ["on-demand"],
      },
      {
        key: LABEL_INSTANCE_FAMILY,
        operator: "In",
        values: FAMILIES,
        minValues: 3,
      },
    ],
  });
  world.intent.accept({
    commit: "a1",
    nodePools: [pool],
    nodeClasses: [nodeClass()],
  });
  const h = await startReconciler(
    world,
    policy ? { minValuesPolicy: policy } : {},
  );
  const deploy = (name: string, nodeSelector?: Record<string, string>) =>
    world.workloads.applyDeployment({
      name,
      namespace: "default",
      replicas: 3,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(nodeSelector ? { nodeSelector } : {}),
          containers: [
            {
              name: "main",
              resources: { requests: { cpu: "1", memory: "2Gi" } },
            },
          ],
        },
      },
    });
  deploy("pinned", { [LABEL_INSTANCE_FAMILY]: "m7i" });
  deploy("free");
  await world.clock.advance(3 * MINUTE);
  const claims = world.api.cache.list("NodeClaim");
  const familiesOf = (c: (typeof claims)[number]) =>
    new Set(
      (
        c.spec.requirements.find((r) => r.key === LABEL_INSTANCE_TYPE)
          ?.values ?? []
      ).map((t) => t.split(".")[0]),
    );
  const metric = await h.reconciler.context.metrics.minValuesRelaxed.get();
  await h.reconciler.stop();
  return {
    world,
    h,
    claims,
    familiesOf,
    relaxedCount: metric.values.reduce((n, v) => n + v.value, 0),
  };
}

describe("--min-values-policy", () => {
  test("Strict (default): pods pinned to one family get no NodeClaim and an Event saying why; the others get claims offering 3 families", async () => {
    const { world, h, claims, familiesOf, relaxedCount } = await run(undefined);
    expect(podsOf(world, "pinned").every((p) => !p.spec.nodeName)).toBe(true);
    expect(podsOf(world, "free").every((p) => p.spec.nodeName)).toBe(true);
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims)
      expect(familiesOf(c).size).toBeGreaterThanOrEqual(3);
    const onPinned = world.api.events.filter(
      (e) => e.involved.kind === "Pod" && e.involved.name.startsWith("pinned"),
    );
    // joinery's MinValuesNotMet, and Karpenter's FailedScheduling with the same words.
    const events = onPinned.filter((e) => e.reason !== "FailedScheduling");
    expect(events.length).toBe(3);
    expect(onPinned.filter((e) => e.reason === "FailedScheduling").map((e) => e.message)).toEqual(events.map((e) => `Failed to schedule pod, ${e.message}`));
    for (const e of events) {
      expect(e.reason).toBe("MinValuesNotMet");
      expect(e.message).toContain(
        "NodePool general requires at least 3 distinct values of karpenter.k8s.aws/instance-family (minValues)",
      );
      expect(e.message).toContain("offer 1 (m7i)");
    }
    expect(
      h.decisions.some(
        (d) => d.reason === "min-values" && d.action === "unschedulable",
      ),
    ).toBe(true);
    expect(relaxedCount).toBe(0);
  }, 60_000);

  test("BestEffort: the pinned pods get a claim with minValues relaxed to 1, annotated, logged and counted", async () => {
    const { world, h, claims, familiesOf, relaxedCount } =
      await run("BestEffort");
    expect(podsOf(world).every((p) => p.spec.nodeName)).toBe(true);
    const relaxed = claims.filter(
      (c) => c.metadata.annotations?.[ANNOTATION_MIN_VALUES_RELAXED] === "true",
    );
    expect(relaxed.length).toBeGreaterThan(0);
    for (const c of relaxed) {
      expect([...familiesOf(c)]).toEqual(["m7i"]);
      expect(
        c.spec.requirements.find((r) => r.key === LABEL_INSTANCE_FAMILY)
          ?.minValues,
      ).toBe(1);
    }
    for (const c of claims.filter((x) => !relaxed.includes(x)))
      expect(familiesOf(c).size).toBeGreaterThanOrEqual(3);
    expect(relaxedCount).toBe(relaxed.length);
    expect(
      h.decisions.filter((d) => d.action === "min-values-relaxed"),
    ).toHaveLength(relaxed.length);
  }, 60_000);
});

// Consolidation's replacements under --min-values-policy: a pool asking for 3 of 4
// families runs 2 pods on an m6i.large (the cheapest type fitting both; its options span
// the 4 families). One pod goes: the types cheaper than the node that fit it are c6i.large
// and c7i.large, 2 families. Strict: no replacement ("minValues requirement not met", as
// Karpenter's RemoveInstanceTypeOptionsByPriceAndMinValues). BestEffort: replaced, relaxed.
async function consolidate(policy: MinValuesPolicy | undefined) {
  const world = newWorld();
  const pool = nodePool("general", {
    consolidateAfter: "30s",
    requirements: [
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: LABEL_INSTANCE_FAMILY, operator: "In", values: ["c6i", "c7i", "m6i", "m7i"], minValues: 3 },
    ],
  });
  world.intent.accept({ commit: "a1", nodePools: [pool], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world, { stabilizationMs: 0, ...(policy ? { minValuesPolicy: policy } : {}) });
  world.workloads.applyDeployment({
    name: "web",
    namespace: "default",
    replicas: 2,
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "main", resources: { requests: { cpu: "500m", memory: "2560Mi" } } }] },
    },
  });
  await world.clock.advance(3 * MINUTE);
  const typeOf = (n: { metadata: { labels?: Record<string, string> } }) => n.metadata.labels?.[LABEL_INSTANCE_TYPE];
  const before = world.api.cache.list("Node").map(typeOf);
  world.workloads.scaleDeployment("default", "web", 1);
  await world.clock.advance(10 * MINUTE);
  const metric = await h.reconciler.context.metrics.minValuesRelaxed.get();
  await h.reconciler.stop();
  return {
    world,
    h,
    before,
    after: world.api.cache.list("Node").filter((n) => !n.metadata.deletionTimestamp).map(typeOf),
    replaced: h.decisions.filter((d) => d.controller === "disruption" && d.action === "replace"),
    relaxedCount: metric.values.reduce((n, v) => n + v.value, 0),
  };
}

describe("--min-values-policy on consolidation's replacements", () => {
  test("Strict: the cheaper types span 2 families where the pool asks for 3, so the node is not replaced, and the skip says why", async () => {
    const { world, h, before, after, replaced, relaxedCount } = await consolidate(undefined);
    expect(before).toEqual(["m6i.large"]);
    expect(replaced).toEqual([]);
    expect(after).toEqual(["m6i.large"]);
    const skip = h.decisions.find((d) => d.controller === "disruption" && d.reason === "min-values");
    expect(skip?.message).toContain("minValues requirement not met");
    expect(skip?.message).toContain(
      "NodePool general requires at least 3 distinct values of karpenter.k8s.aws/instance-family (minValues), but the instance types that fit offer 2 (c6i, c7i)",
    );
    expect(world.api.events.some((e) => e.reason === "Unconsolidatable" && e.message.includes("minValues requirement not met"))).toBe(true);
    expect(relaxedCount).toBe(0);
    expect(podsOf(world, "web").every((p) => p.spec.nodeName)).toBe(true);
  }, 60_000);

  test("BestEffort: the node is replaced by a cheaper c-family node on a claim with minValues relaxed to 2, annotated and counted", async () => {
    const { world, h, before, after, replaced, relaxedCount } = await consolidate("BestEffort");
    expect(before).toEqual(["m6i.large"]);
    expect(replaced).toHaveLength(1);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^c[67]i\.large$/);
    const claim = world.api.cache.list("NodeClaim").find((c) => c.metadata.annotations?.[ANNOTATION_MIN_VALUES_RELAXED] === "true");
    expect(claim).toBeDefined();
    expect(claim!.spec.requirements.find((r) => r.key === LABEL_INSTANCE_FAMILY)?.minValues).toBe(2);
    expect(relaxedCount).toBe(1);
    expect(h.errors).toEqual([]);
    expect(podsOf(world, "web").every((p) => p.spec.nodeName)).toBe(true);
  }, 60_000);
});
