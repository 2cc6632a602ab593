import { jest } from '@jest/globals';
import type { Pod } from '../../../../../core/api/k8s.ts';
import { buildInstanceTypes } from '../../../../../core/catalog/instance-types.ts';
import type { NewNode, SolveResult } from '../../../../../core/scheduling/types.ts';
import { applyMinValuesPolicy } from '../../../../../reconciler/controllers/provisioning/min-values.ts';
import { loadShippedCatalog } from '../../../../../data/catalog.ts';

const FAMILY = 'karpenter.k8s.aws/instance-family';
const types = buildInstanceTypes(loadShippedCatalog()).filter((t) => ['m6i', 'm7i', 'c7i'].includes(t.name.split('.')[0]!));
const poolTypes = new Map([['general', types]]);
const pod = (name: string, family?: string): Pod => ({ metadata: { name, namespace: 'default' }, spec: { containers: [], ...(family ? { nodeSelector: { [FAMILY]: family } } : {}) } }) as Pod;
const node = (name: string, pods: Pod[], typeNames: string[]): NewNode => ({
  name,
  nodePool: 'general',
  requirements: [{ key: FAMILY, operator: 'In', values: ['m6i', 'm7i', 'c7i'], minValues: 3 }],
  labels: {},
  instanceTypeOptions: typeNames.map((n) => ({ name: n, price: 0.1, offerings: types.find((t) => t.name === n)!.offerings })),
  pods,
  requests: {},
  price: 0.1,
});
const result = (newNodes: NewNode[]): SolveResult => ({ bindings: [], newNodes, unschedulable: [] });

describe('applyMinValuesPolicy', () => {
  const pinned = pod('pinned', 'm7i');
  const free = pod('free');
  const short = node('n1', [pinned, free], ['m7i.large']);
  const fine = node('n2', [free], ['m7i.large', 'm6i.large', 'c7i.large']);

  it('nothing short: the result as it is, no second solve', () => {
    const resolve = jest.fn((_without: ReadonlySet<Pod>) => result([]));
    const out = applyMinValuesPolicy('Strict', result([fine]), poolTypes, resolve);
    expect(out.newNodes).toEqual([fine]);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('Strict: solves again without the pinned pod; its packed neighbour gets a node, the pinned pod the reason', () => {
    const resolve = jest.fn((without: ReadonlySet<Pod>) => {
      expect([...without]).toEqual([pinned]);
      return result([fine]);
    });
    const out = applyMinValuesPolicy('Strict', result([short]), poolTypes, resolve);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(out.newNodes).toEqual([fine]);
    expect(out.blocked.map((b) => b.pod)).toEqual([pinned]);
    expect(out.blocked[0]!.reason).toMatch(/requires at least 3 distinct values of karpenter.k8s.aws\/instance-family \(minValues\).*offer 1 \(m7i\)/);
  });

  it('Strict: a node still short after the second solve is not launched and all its pods say why', () => {
    const out = applyMinValuesPolicy('Strict', result([node('n3', [free], ['m7i.large'])]), poolTypes, () => result([]));
    expect(out.newNodes).toEqual([]);
    expect(out.blocked.map((b) => b.pod)).toEqual([free]);
  });

  it('BestEffort: launched with minValues lowered to what is offered', () => {
    const out = applyMinValuesPolicy('BestEffort', result([short, fine]), poolTypes, () => {
      throw new Error('no second solve');
    });
    expect(out.newNodes).toHaveLength(2);
    expect(out.newNodes[0]!.requirements[0]!.minValues).toBe(1);
    expect(out.newNodes[1]).toBe(fine);
    expect(out.relaxed.map((r) => r.node)).toEqual([short]);
    expect(out.blocked).toEqual([]);
  });
});
