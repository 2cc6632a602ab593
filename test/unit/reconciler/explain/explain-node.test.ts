// `joinery explain node` on the simulator: each answer a platform engineer would need
// (budget, PDB, do-not-disrupt, no cheaper placement, pods that fit nowhere, a blocked
// drain), and, where it says what will happen, the production reconciler run on the same
// world does exactly that.
import { ExplainWorld, pool } from './world.ts';
import { NodeNotFoundError } from '../../../../reconciler/explain/explain-node.ts';
import { renderExplanation } from '../../../../reconciler/explain/render.ts';

/** Two m5.large nodes: A runs two 500m pods, B one. B's pod fits on A (and A's on B). */
function twoNodes(poolSpec: Parameters<typeof pool>[0] = {}, podB: Parameters<ExplainWorld['runPod']>[1] = { cpu: '500m', labels: { app: 'web' } }) {
  const w = new ExplainWorld([pool(poolSpec)], [{ type: 'm5.large', count: 2 }]);
  const [a, b] = w.nodes() as [string, string];
  w.runPod(a, { cpu: '500m', labels: { app: 'api' } });
  w.runPod(a, { cpu: '500m', labels: { app: 'api' } });
  w.runPod(b, podB);
  return { w, a, b };
}

function checksOf(e: Awaited<ReturnType<ExplainWorld['explain']>>, check: string) {
  return e.checks.filter((c) => c.check === check);
}

describe('explain node', () => {
  test('an underutilized node whose pods fit elsewhere is disruptable, and the reconciler then consolidates it', async () => {
    const { w, b } = twoNodes();
    const e = await w.explain(b);
    expect(e.verdict).toBe('disruptable');
    expect(e.nextCommand?.method).toBe('consolidation');
    expect(e.nextCommand?.nodeClaims).toContain(w.claimOf(b));
    expect(checksOf(e, 'pdb')[0]?.status).toBe('ok');
    expect(checksOf(e, 'do-not-disrupt')[0]?.status).toBe('ok');
    expect(renderExplanation(e)).toMatch(/DISRUPTABLE now/);

    const claim = w.claimOf(b)!;
    await w.startReconciler();
    await w.advance(60_000);
    await w.stop();
    const gone = w.world.api.cache.get('NodeClaim', claim);
    expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).toBe(true);
  });

  test('a PodDisruptionBudget that allows no eviction blocks it, names the budget and the pod; the reconciler leaves it', async () => {
    const { w, a, b } = twoNodes();
    w.pdb('web', 'web', { maxUnavailable: 0 });
    await w.advance(1_000); // the PDB's status (disruptionsAllowed) is computed
    const e = await w.explain(b);
    expect(e.verdict).toBe('not-disruptable');
    const pdb = checksOf(e, 'pdb');
    expect(pdb).toHaveLength(1);
    expect(pdb[0]).toMatchObject({ status: 'blocks' });
    expect(pdb[0]!.message).toMatch(/PodDisruptionBudget default\/web allows no eviction of default\/web-\d+ now \(disruptionsAllowed 0\)/);
    expect(e.reasons.join('\n')).toMatch(/PodDisruptionBudget default\/web/);
    // The other node is not held back by it: the pass consolidates A instead.
    expect(e.nextCommand?.nodeClaims).toEqual([w.claimOf(a)]);

    const claimB = w.claimOf(b)!;
    await w.startReconciler();
    await w.advance(60_000);
    await w.stop();
    expect(w.world.api.cache.get('NodeClaim', claimB)?.metadata.deletionTimestamp).toBeUndefined();
    expect(w.decisions.some((d) => d.reason === 'pdb' && d.nodeClaims?.includes(claimB))).toBe(true);
  });

  test('karpenter.sh/do-not-disrupt on a pod blocks it and names the pod; on the node too', async () => {
    const { w, b } = twoNodes({}, { cpu: '500m', labels: { app: 'web' }, annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    const e = await w.explain(b);
    expect(e.verdict).toBe('not-disruptable');
    expect(checksOf(e, 'do-not-disrupt')[0]).toMatchObject({ status: 'blocks' });
    expect(e.summary).toMatch(/pod default\/web-\d+ is annotated karpenter.sh\/do-not-disrupt/);

    const { w: w2, b: b2 } = twoNodes();
    w2.world.api.update('Node', b2, undefined, (n) => {
      n.metadata.annotations = { ...n.metadata.annotations, 'karpenter.sh/do-not-disrupt': 'true' };
    });
    const e2 = await w2.explain(b2);
    expect(e2.verdict).toBe('not-disruptable');
    expect(e2.summary).toMatch(/the node is annotated karpenter.sh\/do-not-disrupt/);
  });

  test('karpenter.sh/do-not-disrupt with a duration says until when, and that it ran out', async () => {
    const { w, b } = twoNodes({}, { cpu: '500m', labels: { app: 'web' }, annotations: { 'karpenter.sh/do-not-disrupt': '2h' } });
    const until = new Date(w.world.clock.now() + 2 * 3_600_000).toISOString();
    const e = await w.explain(b);
    expect(e.verdict).toBe('not-disruptable');
    expect(checksOf(e, 'do-not-disrupt')[0]).toMatchObject({ status: 'blocks' });
    expect(e.summary).toContain(`is annotated karpenter.sh/do-not-disrupt: 2h (until ${until})`);

    await w.advance(2 * 3_600_000);
    const later = await w.explain(b);
    expect(checksOf(later, 'do-not-disrupt').map((c) => c.message).join('\n')).toContain(`karpenter.sh/do-not-disrupt 2h ran out at ${until}`);
    expect(checksOf(later, 'do-not-disrupt').some((c) => c.status === 'blocks')).toBe(false);
  });

  test('a budget that allows no Underutilized disruption blocks it and names the budget', async () => {
    const { w, b } = twoNodes({ budgets: [{ nodes: '0', reasons: ['Underutilized'] }, { nodes: '100%' }] });
    const e = await w.explain(b);
    expect(e.verdict).toBe('not-disruptable');
    const budget = checksOf(e, 'budget').find((c) => c.message.startsWith('Underutilized'));
    expect(budget).toMatchObject({ status: 'blocks' });
    expect(budget!.message).toMatch(/budget nodes=0 reasons=Underutilized/);
    // Budgets for other reasons are reported but do not block this node.
    expect(checksOf(e, 'budget').find((c) => c.message.startsWith('Drifted'))?.status).toBe('ok');
    expect(e.reasons.join('\n')).toMatch(/Underutilized budget of NodePool general/);
    expect(e.nextCommand).toBeUndefined();
  });

  test('no cheaper placement: the only node, already the cheapest type for its pods', async () => {
    const w = new ExplainWorld([pool({ types: ['m5.large', 'm5.xlarge'] })], [{ type: 'm5.large', count: 1 }]);
    const [n] = w.nodes() as [string];
    w.runPod(n, { cpu: '1500m', memory: '2Gi', labels: { app: 'web' } });
    const e = await w.explain(n);
    expect(e.verdict).toBe('not-disruptable');
    const c = checksOf(e, 'consolidation')[0];
    expect(c).toMatchObject({ status: 'blocks' });
    // The consolidation method's own words: the cheapest placement costs what the node costs now.
    expect(c!.message).toMatch(/cheapest .*costs \$0\.0960\/h.* \$0\.0960\/h now/);
    expect(checksOf(e, 'placement')[0]!.message).toMatch(/need 1 new node\(s\) \(cheapest m5\.large/);
  });

  test('a pod that would fit nowhere blocks it and says why', async () => {
    // B was labelled by hand (kubectl label node) for a workload that selects that label;
    // no NodePool sets it, so no other node has it and no new node would.
    const { w, b } = twoNodes({}, { cpu: '500m', labels: { app: 'pinned' }, nodeSelector: { 'example.com/local-ssd': 'true' } });
    w.world.api.update('Node', b, undefined, (n) => {
      n.metadata.labels = { ...n.metadata.labels, 'example.com/local-ssd': 'true' };
    });
    const pinned = w.world.api.cache.podsOnNode(b)[0]!;
    const e = await w.explain(b);
    expect(e.verdict).toBe('not-disruptable');
    const placement = checksOf(e, 'placement');
    expect(placement[0]).toMatchObject({ status: 'blocks' });
    expect(placement[0]!.message).toMatch(new RegExp(`pod default/${pinned.metadata.name} would fit nowhere if the node went: .+`));
    expect(e.reasons.join('\n')).toMatch(/would fit nowhere/);
  });

  test('an expired node is disruptable even with do-not-disrupt (expiration is forceful)', async () => {
    const w = new ExplainWorld([pool({ expireAfter: '2h' })], [{ type: 'm5.large', count: 1, ageMs: 3 * 3_600_000 }]);
    const [n] = w.nodes() as [string];
    w.runPod(n, { cpu: '500m', labels: { app: 'web' }, annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    const e = await w.explain(n);
    expect(e.verdict).toBe('disruptable');
    expect(e.nextCommand?.method).toBe('expiration');
    expect(checksOf(e, 'expiration')[0]!.message).toMatch(/^expired 1h ago \(expireAfter 2h\)/);
  });

  test('a node being drained says what the drain waits for: the PDB', async () => {
    const { w, b } = twoNodes({ terminationGracePeriod: '1h' });
    w.pdb('web', 'web', { maxUnavailable: 0 });
    await w.advance(1_000);
    const claim = w.claimOf(b)!;
    w.world.api.delete('NodeClaim', claim); // kubectl delete nodeclaim: the finalizer holds it
    const e = await w.explain(b);
    expect(e.verdict).toBe('terminating');
    expect(e.summary).toMatch(/drain blocked: PodDisruptionBudget default\/web allows no eviction of default\/web-\d+/);
    expect(checksOf(e, 'drain').at(-1)!.message).toMatch(/terminationGracePeriod 1h: pods still there at .+ are deleted regardless/);
  });

  test('a node without a NodeClaim is not managed; an unknown name is an error naming it', async () => {
    const { w } = twoNodes();
    w.world.api.create('Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ng-node-1', labels: {} }, spec: {}, status: {} });
    const e = await w.explain('ng-node-1');
    expect(e.verdict).toBe('not-managed');
    await expect(w.explain('no-such-node')).rejects.toThrow(NodeNotFoundError);
    await expect(w.explain('no-such-node')).rejects.toThrow(/"no-such-node"/);
  });

  test('the NodeClaim name works as well as the Node name', async () => {
    const { w, b } = twoNodes();
    const byClaim = await w.explain(w.claimOf(b)!);
    const byNode = await w.explain(b);
    expect(byClaim.verdict).toBe(byNode.verdict);
    expect(byClaim.facts?.nodeClaim).toBe(w.claimOf(b));
    expect(byNode.facts).toMatchObject({ nodePool: 'general', instanceType: 'm5.large', capacityType: 'on-demand', pods: 1 });
    expect(byNode.facts?.pricePerHour).toBeCloseTo(0.096, 4);
  });

  describe('a Balanced pool: the score of consolidating the node, against the threshold', () => {
    /** Three m5.large ($0.096/h each): A and C run one pod each; B runs `podsOnB`. */
    function threeNodes(podsOnB: { annotations?: Record<string, string> }[]) {
      const w = new ExplainWorld([pool({ consolidationPolicy: 'Balanced' })], [{ type: 'm5.large', count: 3 }]);
      const [a, b, c] = w.nodes() as [string, string, string];
      w.runPod(a, { cpu: '100m', labels: { app: 'api' } });
      w.runPod(c, { cpu: '100m', labels: { app: 'api' } });
      for (const p of podsOnB) w.runPod(b, { cpu: '100m', labels: { app: 'web' }, ...p });
      return { w, a, b, c };
    }

    test('deleting B saves a third of the pool for 3 of its 7 units of disruption: score 0.78, disruptable; the reconciler deletes it', async () => {
      const { w, b } = threeNodes([{}, {}]);
      const e = await w.explain(b);
      const balanced = checksOf(e, 'balanced');
      expect(balanced).toEqual([
        { check: 'balanced', status: 'ok', message: "Balanced score 0.78 >= threshold 0.50 in NodePool general: saves 33.3% of the pool's cost ($0.0960/h) for 42.9% of its disruption cost (3.00)" },
      ]);
      expect(renderExplanation(e)).toMatch(/balanced\s+ok\s+Balanced score 0\.78 >= threshold 0\.50/);
      const claim = w.claimOf(b)!;
      await w.startReconciler();
      await w.advance(60_000);
      await w.stop();
      const gone = w.world.api.cache.get('NodeClaim', claim);
      expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).toBe(true);
    });

    test('a pod-deletion-cost annotation makes the same move alone cost more than it saves: score 0.45, blocked', async () => {
      // 2^30 / 2^27 = 8: that pod counts 9, B 11 of the pool's 15.
      const { w, b } = threeNodes([{ annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(2 ** 30) } }, {}]);
      const e = await w.explain(b);
      expect(checksOf(e, 'balanced')).toEqual([
        { check: 'balanced', status: 'blocks', message: "Balanced score 0.45 < threshold 0.50 in NodePool general: saves 33.3% of the pool's cost ($0.0960/h) for 73.3% of its disruption cost (11.00)" },
      ]);
      expect(checksOf(e, 'consolidation')[0]).toMatchObject({ status: 'blocks', message: expect.stringMatching(/does not pay for its disruption: Balanced score 0\.45 < threshold 0\.50/) });
      // Merging all three onto one node saves two thirds of the pool for all of its
      // disruption (score 0.67): multi-node consolidation takes B along, and says so.
      expect(e.nextCommand?.explanation).toMatch(/Balanced score 0\.67 >= threshold 0\.50/);
    });
  });
});

describe('explain node: minValues on the consolidation replacement', () => {
  // A pool asking for 4 of its 5 instance types; an m5.xlarge running one small pod. The
  // types cheaper than it (c5.large, m5.large, c5.xlarge) are 3.
  function world() {
    const p = pool({ types: ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'c5.large', 'c5.xlarge'] });
    const reqs = p.spec.template.spec.requirements;
    reqs[0] = { ...reqs[0]!, minValues: 4 };
    const w = new ExplainWorld([p], [{ type: 'm5.xlarge', count: 1 }]);
    const [node] = w.nodes() as [string];
    w.runPod(node, { cpu: '500m', labels: { app: 'web' } });
    return { w, node };
  }

  test('Strict: the consolidation check blocks, naming the requirement, minValues and the types offered', async () => {
    const { w, node } = world();
    const e = await w.explain(node);
    expect(e.verdict).toBe('not-disruptable');
    const c = checksOf(e, 'consolidation')[0]!;
    expect(c.status).toBe('blocks');
    expect(c.message).toContain('minValues requirement not met by the cheaper replacement options');
    expect(c.message).toContain('NodePool general requires at least 4 distinct values of node.kubernetes.io/instance-type (minValues), but the instance types that fit offer 3 (c5.large, c5.xlarge, m5.large)');
  });

  test('BestEffort: the same node is disruptable, replaced with minValues relaxed', async () => {
    const { w, node } = world();
    const e = await w.explain(node, { minValuesPolicy: 'BestEffort' });
    expect(e.verdict).toBe('disruptable');
    expect(e.nextCommand?.explanation).toContain('minValues relaxed, --min-values-policy BestEffort');
  });
});
