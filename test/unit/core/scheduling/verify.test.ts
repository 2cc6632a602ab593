// The verifier must catch what is wrong, or the property tests prove nothing.

import { solve, verifySolution, type SolveInput, type SolveResult } from '../../../../core/index.ts';
import { antiAffinity, node, pod, pool, standardTypes, zoneSpread } from '../fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';

function solved(input: Partial<SolveInput>): { input: SolveInput; result: SolveResult } {
  const full: SolveInput = { pods: [], nodes: [], nodePools: [], daemonSets: [], ...input };
  const result = solve(full);
  expect(verifySolution(full, result)).toEqual([]);
  return { input: full, result };
}

describe('verifySolution', () => {
  it('catches a lost or duplicated pod', () => {
    const { input, result } = solved({ pods: [pod('1', '1Gi'), pod('1', '1Gi')], nodePools: [pool('p', standardTypes())] });
    const lost = { ...result, newNodes: result.newNodes.map((n) => ({ ...n, pods: n.pods.slice(1) })) };
    expect(verifySolution(input, lost).join('\n')).toMatch(/appears 0 times/);
  });

  it('catches an over-committed existing node and a too-small option', () => {
    const big = pod('3', '1Gi', { name: 'big' });
    const input: SolveInput = { pods: [big], nodes: [node('n', 2, 8)], nodePools: [pool('p', standardTypes())], daemonSets: [] };
    const wrong: SolveResult = { bindings: [{ pod: big, node: 'n' }], newNodes: [], unschedulable: [] };
    expect(verifySolution(input, wrong).join('\n')).toMatch(/existing node n over-committed on cpu/);
    const { result } = solved({ pods: [big], nodePools: [pool('p', standardTypes())] });
    const small = { ...result, newNodes: result.newNodes.map((n) => ({ ...n, instanceTypeOptions: [{ name: 'm.2x', price: 0.1, offerings: [] }], price: 0.1 })) };
    expect(verifySolution(input, small).join('\n')).toMatch(/as m\.2x over-committed on cpu/);
  });

  it('catches an untolerated taint and an unmet node selector', () => {
    const p = pod('1', '1Gi', { spec: { nodeSelector: { [ZONE]: 'zone-a' } } });
    const input: SolveInput = {
      pods: [p],
      nodes: [node('n', 8, 32, { [ZONE]: 'zone-b' }, { taints: [{ key: 'k', effect: 'NoSchedule' }] })],
      nodePools: [],
      daemonSets: [],
    };
    const errors = verifySolution(input, { bindings: [{ pod: p, node: 'n' }], newNodes: [], unschedulable: [] }).join('\n');
    expect(errors).toMatch(/node selector or required node affinity not satisfied/);
    expect(errors).toMatch(/taint k:NoSchedule not tolerated/);
  });

  it('catches broken anti-affinity and spread', () => {
    const a = pod('100m', '128Mi', { labels: { app: 'x' }, spec: antiAffinity({ app: 'x' }) });
    const b = pod('100m', '128Mi', { labels: { app: 'x' }, spec: antiAffinity({ app: 'x' }) });
    const { input, result } = solved({ pods: [a, b], nodePools: [pool('p', standardTypes())] });
    const merged: SolveResult = { ...result, newNodes: [{ ...result.newNodes[0]!, pods: [a, b] }] };
    expect(verifySolution(input, merged).join('\n')).toMatch(/share kubernetes.io\/hostname domain/);

    const spread = Array.from({ length: 3 }, () => pod('100m', '128Mi', { labels: { app: 's' }, spec: zoneSpread({ app: 's' }) }));
    const s = solved({ pods: spread, nodePools: [pool('p', standardTypes())] });
    const skewed: SolveResult = { ...s.result, newNodes: [{ ...s.result.newNodes[0]!, pods: spread }] };
    expect(verifySolution(s.input, skewed).join('\n')).toMatch(/skew 3 > maxSkew 1/);
  });

  it('catches a pool that may exceed its limits', () => {
    const p = pool('p', standardTypes(), { limits: { cpu: 4000 } });
    const { input, result } = solved({ pods: [pod('1', '1Gi')], nodePools: [p] });
    const wide = { ...result, newNodes: result.newNodes.map((n) => ({ ...n, instanceTypeOptions: [...n.instanceTypeOptions, { name: 'm.16x', price: 0.8, offerings: [] }] })) };
    expect(verifySolution(input, wide).join('\n')).toMatch(/may exceed its cpu limit/);
  });
});
