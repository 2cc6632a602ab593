import type { Pod } from '../../../../core/api/k8s.ts';
import { buildInstanceTypes } from '../../../../core/catalog/instance-types.ts';
import { describeShortfall, minValuesShortfalls, parseShortfalls, podCannotMeetMinValues, relaxMinValues } from '../../../../core/catalog/min-values.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const types = buildInstanceTypes(loadShippedCatalog()).filter((t) => ['m6i', 'm7i', 'c7i'].includes(t.name.split('.')[0]!));
const labelsOf = (name: string) => types.find((t) => t.name === name)?.labels;
const option = (name: string, zones = ['us-east-1a']) => ({ name, offerings: zones.map((zone) => ({ zone, capacityType: 'on-demand' as const })) });
const FAMILY = 'karpenter.k8s.aws/instance-family';
const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...spec } }) as Pod;

describe('minValuesShortfalls', () => {
  const reqs = [
    { key: FAMILY, operator: 'In' as const, values: ['m6i', 'm7i', 'c7i'], minValues: 3 },
    { key: 'topology.kubernetes.io/zone', operator: 'Exists' as const, minValues: 2 },
  ];

  it('counts distinct label values of the options, and zones from their offerings', () => {
    expect(minValuesShortfalls(reqs, [option('m6i.large', ['us-east-1a', 'us-east-1b']), option('m7i.large'), option('c7i.large')], labelsOf)).toEqual([]);
    expect(minValuesShortfalls(reqs, [option('m7i.large'), option('m7i.xlarge')], labelsOf)).toEqual([
      { key: FAMILY, minValues: 3, offered: ['m7i'] },
      { key: 'topology.kubernetes.io/zone', minValues: 2, offered: ['us-east-1a'] },
    ]);
  });

  it('relaxing lowers minValues to what is offered and leaves the rest; the description names pool, key and values', () => {
    const short = minValuesShortfalls(reqs, [option('m7i.large')], labelsOf);
    expect(relaxMinValues(reqs, short).map((r) => r.minValues)).toEqual([1, 1]);
    expect(describeShortfall('general', short[0]!)).toBe('NodePool general requires at least 3 distinct values of karpenter.k8s.aws/instance-family (minValues), but the instance types that fit offer 1 (m7i)');
  });
});

describe('podCannotMeetMinValues', () => {
  it('a pod pinned to one family cannot meet 3 families; a pod allowing 3 or unconstrained can', () => {
    expect(podCannotMeetMinValues(pod({ nodeSelector: { [FAMILY]: 'm7i' } }), FAMILY, 3, types)).toBe(true);
    expect(podCannotMeetMinValues(pod({}), FAMILY, 3, types)).toBe(false);
    const affinity = (values: string[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: FAMILY, operator: 'In', values }] }] } } });
    expect(podCannotMeetMinValues(pod({ affinity: affinity(['m7i', 'c7i']) }), FAMILY, 3, types)).toBe(true);
    expect(podCannotMeetMinValues(pod({ affinity: affinity(['m7i', 'c7i', 'm6i']) }), FAMILY, 3, types)).toBe(false);
  });
});

describe('parseShortfalls', () => {
  it("reads back the shortfalls describeShortfall wrote, several in one message, with or without values offered", () => {
    const a = { key: FAMILY, minValues: 3, offered: ['m7i'] };
    const b = { key: 'topology.kubernetes.io/zone', minValues: 2, offered: [] };
    const message = `${describeShortfall('general', a)}; ${describeShortfall('batch', b)} (--min-values-policy Strict)`;
    expect(parseShortfalls(message)).toEqual([
      { nodePool: 'general', ...a },
      { nodePool: 'batch', ...b },
    ]);
    expect(parseShortfalls(`${describeShortfall('general', { key: FAMILY, minValues: 5, offered: ['c7i', 'm6i'] })}: the pod's node selector or affinity leaves too few`)).toEqual([
      { nodePool: 'general', key: FAMILY, minValues: 5, offered: ['c7i', 'm6i'] },
    ]);
    expect(parseShortfalls('NodePool general reached its limit')).toEqual([]);
  });
});
