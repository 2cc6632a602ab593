// NodeOverlays on the whole reconciler: a price adjustment changes which type the claims
// are launched as, and extra capacity (hugepages) makes pods that ask for it provisionable,
// only on the types the overlay matches.
import type {
  NodeOverlay,
  NodeOverlaySpec,
} from "../../../core/api/node-overlay.ts";
import { LABEL_INSTANCE_TYPE } from "../../../core/contract/index.ts";
import {
  deployment,
  newWorld,
  nodeClass,
  nodePool,
  startReconciler,
  MINUTE,
} from "./fixtures.ts";

function overlay(name: string, spec: Partial<NodeOverlaySpec>): NodeOverlay {
  return {
    apiVersion: "karpenter.sh/v1alpha1",
    kind: "NodeOverlay",
    metadata: { name },
    spec: { requirements: [], ...spec },
  };
}

const claimTypes = (world: ReturnType<typeof newWorld>): string[][] =>
  world.api.cache
    .list("NodeClaim")
    .map(
      (c) =>
        c.spec.requirements.find((r) => r.key === LABEL_INSTANCE_TYPE)
          ?.values ?? [],
    );

describe("NodeOverlay", () => {
  /** The families of the instances launched for 6 pods of 1 cpu, 2Gi under `overlays`. */
  const run = async (overlays: NodeOverlay[]): Promise<string[]> => {
    const world = newWorld();
    world.intent.accept({
      commit: "a1",
      nodePools: [nodePool("general")],
      nodeClasses: [nodeClass()],
      nodeOverlays: overlays,
    });
    const h = await startReconciler(world);
    deployment(world, "web", 6, { cpu: "1", memory: "2Gi" });
    await world.clock.advance(2 * MINUTE);
    // The launched type: the in-memory EC2 takes the request's offerings in price order, as
    // CreateFleet's prioritized strategy does with the overlay's prices.
    const families = (await world.ec2.list()).map(
      (i) => i.instanceType.split(".")[0]!,
    );
    await h.reconciler.stop();
    return families;
  };
  const M7I = [
    {
      key: "karpenter.k8s.aws/instance-family",
      operator: "In" as const,
      values: ["m7i"],
    },
  ];

  test("a priceAdjustment of -90% on m7i makes the claims launch m7i, the cheapest after the overlay", async () => {
    const without = await run([]);
    expect(without.length).toBeGreaterThan(0);
    expect(without.every((f) => f !== "m7i")).toBe(true);
    const withOverlay = await run([
      overlay("m7i-discount", { priceAdjustment: "-90%", requirements: M7I }),
    ]);
    expect(withOverlay.length).toBeGreaterThan(0);
    expect(withOverlay.every((f) => f === "m7i")).toBe(true);
  }, 60_000);

  test("a price override of $0.001 on m7i: the claims launch m7i", async () => {
    const families = await run([
      overlay("m7i-rate", { price: "0.001", requirements: M7I }),
    ]);
    expect(families.length).toBeGreaterThan(0);
    expect(families.every((f) => f === "m7i")).toBe(true);
  }, 60_000);

  test("weight: the heavier overlay sets the price where both match (merged by weight, not summed)", async () => {
    const cheap = overlay("a-cheap", {
      weight: 1,
      price: "0.001",
      requirements: M7I,
    });
    const dear = overlay("b-dear", {
      weight: 10,
      priceAdjustment: "+1000%",
      requirements: [],
    });
    const families = await run([cheap, dear]);
    expect(families.length).toBeGreaterThan(0);
    // m7i is priced by b-dear (weight 10): 11x its price, never the cheapest.
    expect(families.every((f) => f !== "m7i")).toBe(true);
    // With the weights swapped, a-cheap wins m7i.
    const swapped = await run([
      { ...cheap, spec: { ...cheap.spec, weight: 10 } },
      { ...dear, spec: { ...dear.spec, weight: 1 } },
    ]);
    expect(swapped.every((f) => f === "m7i")).toBe(true);
  }, 60_000);

  test("hugepages-2Mi: pods asking for it get a claim only of the types the overlay gives it to; without the overlay none", async () => {
    const hugepages = overlay("hugepages", {
      capacity: { "hugepages-2Mi": "1Gi" },
      requirements: [
        {
          key: "karpenter.k8s.aws/instance-family",
          operator: "In",
          values: ["m6i"],
        },
      ],
    });
    for (const overlays of [[], [hugepages]]) {
      const world = newWorld();
      world.intent.accept({
        commit: "a1",
        nodePools: [nodePool("general")],
        nodeClasses: [nodeClass()],
        nodeOverlays: overlays,
      });
      const h = await startReconciler(world);
      deployment(world, "db", 1, {
        cpu: "1",
        memory: "2Gi",
        "hugepages-2Mi": "512Mi",
      });
      // Long enough for the batch, short of the node's boot: the simulated kubelet does not
      // configure hugepages, so once the node is up kube-scheduler could not bind the pod
      // there and provisioning would (rightly) try again.
      await world.clock.advance(20_000);
      const types = claimTypes(world);
      if (overlays.length === 0) {
        expect(types).toEqual([]);
        expect(
          h.decisions.some(
            (d) =>
              d.action === "unschedulable" && /hugepages-2Mi/.test(d.message),
          ),
        ).toBe(true);
      } else {
        expect(types).toHaveLength(1);
        expect(types[0]!.length).toBeGreaterThan(0);
        expect(types[0]!.every((t) => t.startsWith("m6i."))).toBe(true);
      }
      await h.reconciler.stop();
    }
  }, 60_000);

  test('status: a valid overlay is Ready; one in conflict (same weight) and one with a malformed priceAdjustment are not, and say why', async () => {
    const world = newWorld();
    const a = overlay('a-discount', { priceAdjustment: '-10%', requirements: [] });
    const b = overlay('b-discount', { priceAdjustment: '-20%', requirements: M7I });
    const bad = overlay('c-bad', { priceAdjustment: '10%', requirements: [] });
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()], nodeOverlays: [a, b, bad] });
    const h = await startReconciler(world);
    await world.clock.advance(5_000);
    const cond = (name: string, type: string) => world.api.nodeOverlayStatuses.get(name)?.conditions?.find((c) => c.type === type);
    expect(cond('a-discount', 'Ready')).toMatchObject({ status: 'True' });
    expect(cond('a-discount', 'ValidationSucceeded')).toMatchObject({ status: 'True' });
    expect(cond('b-discount', 'ValidationSucceeded')).toMatchObject({ status: 'True' });
    expect(cond('b-discount', 'Ready')).toMatchObject({ status: 'False', reason: 'Conflict', message: expect.stringContaining('conflicts with NodeOverlay a-discount (same weight) on the price of m7i.') });
    expect(cond('c-bad', 'ValidationSucceeded')).toMatchObject({ status: 'False', reason: 'ValidationFailed', message: expect.stringContaining('spec.priceAdjustment: priceAdjustment "10%"') });
    expect(cond('c-bad', 'Ready')).toMatchObject({ status: 'False' });
    await h.reconciler.stop();
  }, 60_000);
});
