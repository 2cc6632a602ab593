// The rollout health checks shipped in generated/health: the Argo CD Lua run on a Lua VM
// (fengari) and the Flux CEL expressions run on a CEL evaluator (cel-js), on the fixtures
// and on NodePools whose status the production status controller wrote in the simulator.
import { evaluate } from '@marcbachmann/cel-js';
import { CONDITION_COMMIT_ACCEPTED, CONDITION_READY, CONDITION_ROLLED_OUT, REASON_COMMIT_REJECTED, REASON_ROLLED_OUT, REASON_ROLLING_OUT } from '../../../../core/contract/index.ts';
import { argoCdFiles, ec2NodeClassHealthLua, nodePoolHealthLua } from '../../../../compiler/health/argocd.ts';
import { HEALTH_FIXTURES, type FluxHealthStatus } from '../../../../compiler/health/fixtures.ts';
import { fluxHealthSpec, nodePoolHealthCheckExpr } from '../../../../compiler/health/flux.ts';
import type { NodePool } from '../../../../core/api/karpenter.ts';
import { ExplainWorld, pool } from '../../reconciler/explain/world.ts';
import { runHealthLua } from './lua.ts';

const lua = nodePoolHealthLua();

/** What Flux concludes: the expression that holds (they are exclusive), or undefined when none can be evaluated. */
function fluxStatus(obj: Record<string, unknown>): FluxHealthStatus | undefined {
  const e = nodePoolHealthCheckExpr();
  let results: boolean[];
  try {
    // As the object reaches Flux, as JSON: the simulator's objects may come from another
    // realm (structuredClone under jest's VM), which cel-js does not take for plain objects.
    const json = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
    results = [e.inProgress, e.failed, e.current].map((x) => evaluate(x, json) as boolean);
  } catch {
    return undefined; // a field the expressions need does not exist yet: Flux waits
  }
  const held = (['InProgress', 'Failed', 'Current'] as const).filter((_, i) => results[i]);
  if (held.length > 1) throw new Error(`the expressions are not exclusive: ${held.join(', ')} all hold`);
  return held[0] ?? 'InProgress';
}

describe('the NodePool health checks', () => {
  test('the Lua, the CEL expressions and the fixtures use the condition types and reasons of the contract', () => {
    for (const name of [CONDITION_ROLLED_OUT, CONDITION_COMMIT_ACCEPTED]) expect(lua).toContain(`"${name}"`);
    for (const name of [CONDITION_ROLLED_OUT, CONDITION_COMMIT_ACCEPTED]) expect(JSON.stringify(nodePoolHealthCheckExpr())).toContain(`'${name}'`);
    // The reasons are asserted on what the controller writes (below); here, that the fixtures use them.
    const reasons = HEALTH_FIXTURES.flatMap((f) => ((f.object.status as { conditions?: { reason: string }[] } | undefined)?.conditions ?? []).map((c) => c.reason));
    expect(reasons).toEqual(expect.arrayContaining([REASON_ROLLED_OUT, REASON_ROLLING_OUT, REASON_COMMIT_REJECTED]));
  });

  test.each(HEALTH_FIXTURES.map((f) => [f.name, f] as const))('Argo CD Lua on %s', (_name, f) => {
    expect(runHealthLua(lua, f.object)).toEqual({ status: f.argo.status, message: f.argo.message });
  });

  test.each(HEALTH_FIXTURES.map((f) => [f.name, f] as const))('Flux CEL on %s', (_name, f) => {
    expect(fluxStatus(f.object)).toBe(f.flux);
  });

  test('Argo CD files: the Lua, and an argocd-cm patch that carries the same Lua; none of them a *.yaml that would be applied', () => {
    const files = new Map(argoCdFiles().map((f) => [f.fileName, f.content]));
    expect([...files.keys()].filter((n) => /\.ya?ml$/.test(n))).toEqual([]);
    expect(files.get('nodepool-health.lua')).toBe(lua);
    expect(files.get('ec2nodeclass-health.lua')).toBe(ec2NodeClassHealthLua());
    const patch = JSON.parse(files.get('argocd-cm-patch.json')!) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(patch.metadata).toEqual({ name: 'argocd-cm', namespace: 'argocd' });
    expect(patch.data).toEqual({
      'resource.customizations.health.karpenter.sh_NodePool': lua,
      'resource.customizations.health.karpenter.k8s.aws_EC2NodeClass': ec2NodeClassHealthLua(),
    });
  });

  test('the Flux Kustomization health-checks every NodePool, by name', () => {
    expect(fluxHealthSpec(['web', 'batch'])).toEqual({
      healthChecks: [
        { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'batch' },
        { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'web' },
      ],
      healthCheckExprs: [nodePoolHealthCheckExpr()],
    });
  });

  test('on the status the reconciler writes: progressing during a rollout, healthy after it, degraded on a rejected commit', async () => {
    // Three nodes of a pool; a commit narrows its requirements so they drift. The budget
    // allows no disruption, so the rollout stays in progress until the commit is reverted.
    const before = pool({ types: ['m5.large', 'm5.xlarge'], budgets: [{ nodes: '0' }] });
    const w = new ExplainWorld([before], [{ type: 'm5.large', count: 3 }]);
    const nodePool = () => w.world.api.cache.get('NodePool', 'general') as unknown as Record<string, unknown>;
    const condition = () => (nodePool().status as NodePool['status'])?.conditions?.find((c) => c.type === CONDITION_ROLLED_OUT);
    await w.startReconciler();
    await w.advance(10_000);
    expect(condition()).toMatchObject({ status: 'True', reason: REASON_ROLLED_OUT });
    expect(runHealthLua(lua, nodePool()).status).toBe('Healthy');
    expect(fluxStatus(nodePool())).toBe('Current');

    const intent = w.world.intent.current()!;
    const drifted = pool({ types: ['m5.xlarge'], budgets: [{ nodes: '0' }] });
    w.world.intent.accept({ commit: 'b0b0000000000000000000000000000000000002', nodePools: [drifted], nodeClasses: intent.nodeClasses });
    await w.advance(10_000);
    expect(condition()).toMatchObject({ status: 'False', reason: REASON_ROLLING_OUT });
    expect(runHealthLua(lua, nodePool())).toEqual({ status: 'Progressing', message: expect.stringMatching(/^commit b0b000000000: 0\/3 nodes up to date, 3 drifted, 0 being replaced$/) });
    expect(fluxStatus(nodePool())).toBe('InProgress');

    w.world.intent.reject('bad0000000000000000000000000000000000003', [{ file: 'generated/nodepools/general.yaml', field: 'spec.template.spec.nodeClassRef.name', message: 'EC2NodeClass "nope" is not defined' }]);
    await w.advance(10_000);
    const degraded = runHealthLua(lua, nodePool());
    expect(degraded.status).toBe('Degraded');
    expect(degraded.message).toMatch(/commit bad000000000 rejected, b0b000000000 stays in force: generated\/nodepools\/general.yaml/);
    expect(fluxStatus(nodePool())).toBe('Failed');

    w.world.intent.accept({ commit: 'c0c0000000000000000000000000000000000004', nodePools: [before], nodeClasses: intent.nodeClasses });
    await w.advance(10_000);
    await w.stop();
    expect(runHealthLua(lua, nodePool())).toEqual({ status: 'Healthy', message: 'commit c0c000000000: 3/3 nodes up to date, 0 drifted, 0 being replaced' });
    expect(fluxStatus(nodePool())).toBe('Current');
  });
});

describe('the EC2NodeClass health check (Argo CD)', () => {
  const classLua = ec2NodeClassHealthLua();
  const T = '2026-03-03T00:00:00Z';
  const nodeClass = (generation: number, conditions?: Record<string, unknown>[]) => ({
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'default', generation },
    ...(conditions ? { status: { conditions } } : {}),
  });
  const ready = (status: string, reason: string, message: string, observedGeneration?: number) => ({
    type: CONDITION_READY,
    status,
    reason,
    message,
    lastTransitionTime: T,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  });

  test('reads the contract\'s Ready condition', () => {
    expect(classLua).toContain(`"${CONDITION_READY}"`);
  });

  test.each([
    ['no status yet', nodeClass(1), { status: 'Progressing', message: 'waiting for the EC2NodeClass to report condition Ready' }],
    ['Ready True', nodeClass(1, [ready('True', 'Ready', '', 1)]), { status: 'Healthy', message: '' }],
    [
      'Ready False naming the term',
      nodeClass(2, [ready('False', 'SubnetsNotFound', 'spec.subnetSelectorTerms matched no subnet ([{"tags":{"karpenter.sh/discovery":"nope"}}])', 2)]),
      { status: 'Degraded', message: 'spec.subnetSelectorTerms matched no subnet ([{"tags":{"karpenter.sh/discovery":"nope"}}])' },
    ],
    ['Ready of an older generation', nodeClass(3, [ready('False', 'SubnetsNotFound', 'old', 2)]), { status: 'Progressing', message: 'waiting for generation 3 to be observed' }],
    ['Ready Unknown', nodeClass(1, [ready('Unknown', 'AwaitingReconciliation', 'checking', 1)]), { status: 'Progressing', message: 'checking' }],
  ] as const)('%s', (_name, obj, expected) => {
    expect(runHealthLua(classLua, obj as unknown as Record<string, unknown>)).toEqual(expected);
  });
});
