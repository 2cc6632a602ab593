// The consequences for running nodes, on compiled objects built here (the git tests in
// plan.test.ts cover the same through real compiles; these cover the cases one by one).
import { consequencesOf, markNewFindings } from '../../../../compiler/plan/consequences.ts';
import type { Diagnostic } from '../../../../compiler/diagnostics.ts';
import type { IntentModel } from '../../../../compiler/intent.ts';
import { catalog, model, nodeClass, pool } from './intent-fixtures.ts';

describe('consequences for running nodes', () => {
  const kinds = (base: IntentModel, head: IntentModel) => consequencesOf(base, head, [], catalog).map((c) => `${c.kind} ${c.name}: ${c.summary}`);

  test('a template change drifts the whole pool; a limit change drifts nothing', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.limits = { cpu: 5 }))]))).toEqual([]);
    const out = kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.taints = [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]))]));
    expect(out).toEqual([expect.stringMatching(/^drift p: NodePool p: template taints changed, so every existing node of the pool drifts/)]);
  });

  test('a narrower requirement drifts only what it no longer admits', () => {
    const out = kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.requirements[0]!.values = ['c']))]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^drift p: NodePool p: nodes on \d+ instance types \(famil(y|ies) .*m\d.*\) no longer meet its requirements/);
    expect(out[0]).not.toMatch(/capacity/);
    // Widening drifts nothing.
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.requirements[0]!.values = ['c', 'm', 'r']))]))).toEqual([]);
  });

  test('a node class change drifts the pools that use it, and only those', () => {
    const other = pool('other', (s) => (s.template.spec.nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'gpu' }));
    const out = consequencesOf(model([pool('p'), other]), model([pool('p'), other], [nodeClass((s) => (s.role = 'NewRole'))]), [], catalog);
    expect(out).toEqual([expect.objectContaining({ kind: 'drift', objectKind: 'EC2NodeClass', summary: 'EC2NodeClass default: role changed, so every node of NodePool p drifts and is replaced' })]);
    // Subnets are resolved live and not hashed: no drift.
    expect(consequencesOf(model([pool('p')]), model([pool('p')], [nodeClass((s) => (s.subnetSelectorTerms = [{ id: 'subnet-1' }]))]), [], catalog)).toEqual([]);
  });

  test('shortened expireAfter (unset means 720h), longer is fine', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.expireAfter = '24h'))]))).toEqual([
      expect.stringMatching(/^drift p: NodePool p: template expireAfter changed, so every existing node of the pool drifts and is replaced within the disruption budget/),
      expect.stringMatching(/^expire-after-shortened p: NodePool p: expireAfter 720h -> 24h: running nodes keep the expireAfter they were launched with \(none is expired early\); they drift and are replaced within the disruption budget, and each replacement expires 24h after it is launched/),
    ]);
    // Unset is 720h: 720h -> 168h shortens (and drifts); 720h written out is no change at all.
    expect(kinds(model([pool('p', (s) => delete s.template.spec.expireAfter)]), model([pool('p', (s) => (s.template.spec.expireAfter = '168h'))]))).toHaveLength(2);
    expect(kinds(model([pool('p', (s) => delete s.template.spec.expireAfter)]), model([pool('p')]))).toEqual([]);
    // Longer: no shortening, but the template changed, so the pool drifts (as in Karpenter).
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.expireAfter = 'Never'))]))).toEqual([
      expect.stringMatching(/^drift p: NodePool p: template expireAfter changed/),
    ]);
  });

  test('a terminationGracePeriod change drifts the whole pool (Karpenter hashes it)', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.template.spec.terminationGracePeriod = '1h'))]))).toEqual([
      expect.stringMatching(/^drift p: NodePool p: template terminationGracePeriod changed, so every existing node of the pool drifts and is replaced within the disruption budget/),
    ]);
  });

  test('budgets: weakened, removed window, all removed; stricter ones are no consequence', () => {
    const weakened = kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '3'))]));
    expect(weakened).toEqual(['budget-weakened p: NodePool p: disruption budget weakened for every reason: 1 node -> 3 nodes (on a pool of 2 nodes: 1 -> 2 at once)']);
    const percent = kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '10%'))]));
    // 10% of 20 nodes is 2: weaker than 1 node on pools over 10 nodes.
    expect(percent).toEqual([expect.stringMatching(/1 node -> 10% of nodes \(on a pool of 20 nodes: 1 -> 2 at once\)/)]);
    const window = kinds(model([pool('p')]), model([pool('p', (s) => s.disruption!.budgets!.splice(1, 1))]));
    expect(window).toEqual([expect.stringMatching(/^budget-removed p: NodePool p: budget removed: 0 nodes during "0 9 \* \* mon-fri" for 8h/)]);
    const all = kinds(model([pool('p')]), model([pool('p', (s) => delete s.disruption!.budgets)]));
    expect(all).toEqual(
      expect.arrayContaining([expect.stringMatching(/all disruption budgets removed; Karpenter's default \(10% of nodes at once\) applies/), expect.stringMatching(/^budget-weakened/)]),
    );
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.budgets![0]!.nodes = '0'))]))).toEqual([]);
  });

  test('consolidation made more aggressive is noted; a removed pool drains its nodes', () => {
    expect(kinds(model([pool('p')]), model([pool('p', (s) => (s.disruption!.consolidationPolicy = 'WhenEmptyOrUnderutilized'))]))).toEqual([
      expect.stringMatching(/^consolidation-more-aggressive p: .*WhenEmpty -> WhenEmptyOrUnderutilized/),
    ]);
    const removed = kinds(model([pool('p'), pool('q')]), model([pool('p')]));
    expect(removed).toEqual([expect.stringMatching(/^pool-removed q: NodePool q removed: its nodes are replaced in other NodePools and removed, replacements first, at most 10% of the pool's nodes at a time/)]);
    expect(removed[0]).toMatch(/stays until that no longer holds \(the pool sets no terminationGracePeriod\)/);
    expect(removed[0]).toMatch(/foreground propagation \(Argo CD's default\) deletes every NodeClaim at once/);
    // With a terminationGracePeriod, pod blocks do not hold the removal back: the plan says when the pods go.
    const withTgp = kinds(model([pool('p'), pool('q', (s) => (s.template.spec.terminationGracePeriod = '2h'))]), model([pool('p')]));
    expect(withTgp[0]).toMatch(/its pods are deleted once the node has drained for terminationGracePeriod 2h/);
  });

  test('findings are new unless base has the same rule on the same object and field; line moves do not count', () => {
    const finding = (code: string, name: string, line: number): Diagnostic => ({ severity: 'error', code, message: 'm', fix: 'f', file: 'policies/x.ts', line, object: { kind: 'NodePool', name }, field: 'spec.limits' });
    const marked = markNewFindings([finding('no-limits', 'a', 3)], [finding('no-limits', 'a', 9), finding('no-limits', 'b', 12)]);
    expect(marked.map((f) => `${f.object!.name} ${f.new}`)).toEqual(['a false', 'b true']);
    // Base did not compile: nothing shows a finding was there before.
    expect(markNewFindings(undefined, [finding('no-limits', 'a', 3)])[0]!.new).toBe(true);
    const out = consequencesOf(model([pool('a')]), model([pool('a')]), marked, catalog);
    expect(out).toEqual([expect.objectContaining({ kind: 'new-finding', severity: 'error', name: 'b' })]);
  });
});
