// Property-based tests: on random clusters, pools and pods, every result the solver
// gives passes the independent verifier (no over-commit on any option of any new node,
// selectors, affinity, anti-affinity in both directions, taints, self-spread groups,
// limits), is deterministic, and leaves nothing pending that trivially fits.

import fc from 'fast-check';
import { solve, verifySolution, type DaemonSet, type ExistingNode, type Pod, type SchedulingNodePool, type SolveInput } from '../../../../core/index.ts';
import { instanceType, node, pod, pool, ZONES } from '../fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

const CATALOG = [
  instanceType('m.1x', 1, 4, 0.05, { family: 'm' }),
  instanceType('m.2x', 2, 8, 0.1, { family: 'm' }),
  instanceType('m.4x', 4, 16, 0.2, { family: 'm', spot: 0.08 }),
  instanceType('m.8x', 8, 32, 0.4, { family: 'm', pods: 20 }),
  instanceType('c.4x', 4, 8, 0.17, { family: 'c', zones: ['zone-a', 'zone-b'] }),
  instanceType('r.4x', 4, 32, 0.26, { family: 'r', zones: ['zone-b', 'zone-c'] }),
  instanceType('a.4x', 4, 16, 0.16, { family: 'a', arch: 'arm64' }),
  instanceType('g.4x', 4, 16, 0.9, { family: 'g', gpu: 1 }),
  instanceType('g.16x', 16, 64, 3.2, { family: 'g', gpu: 4, zones: ['zone-a'] }),
];

const daemonSet = (name: string, cpu: string, nodeSelector?: Record<string, string>): DaemonSet => ({
  metadata: { name, namespace: 'kube-system' },
  spec: {
    template: {
      spec: {
        tolerations: [{ operator: 'Exists' }],
        ...(nodeSelector ? { nodeSelector } : {}),
        containers: [{ name, resources: { requests: { cpu, memory: '128Mi' } } }],
      },
    },
  },
});
const withHostPort = (ds: DaemonSet, hostPort: number): DaemonSet => {
  ds.spec.template.spec.containers[0]!.ports = [{ containerPort: hostPort, hostPort }];
  return ds;
};
const DAEMONSETS = [
  daemonSet('logs', '100m'),
  daemonSet('arm-agent', '300m', { 'kubernetes.io/arch': 'arm64' }),
  withHostPort(daemonSet('metrics', '50m', { 'kubernetes.io/arch': 'amd64' }), 9100),
];

const poolArb = fc.record({
  weight: fc.integer({ min: 0, max: 3 }),
  arch: fc.constantFrom(undefined, 'amd64', 'arm64'),
  zones: fc.subarray(ZONES, { minLength: 1 }),
  tainted: fc.constantFrom(false, false, true),
  cpuLimit: fc.option(fc.integer({ min: 2, max: 40 }), { nil: undefined }),
  types: fc.subarray(CATALOG, { minLength: 1 }),
});

const podKindArb = fc.constantFrom(
  'plain',
  'zone-selector',
  'arm',
  'tolerant',
  'host-anti',
  'zone-anti',
  'zone-spread',
  'host-spread',
  'zone-affinity',
  'host-affinity',
  'gpu',
  'spread-and-anti',
  'preferred-zone',
  'schedule-anyway',
  'preferred-anti',
  'host-port',
  'host-port-9100',
  'hostname-pinned',
  'preempting',
);

const deploymentArb = fc.record({
  kind: podKindArb,
  replicas: fc.integer({ min: 1, max: 8 }),
  cpu: fc.constantFrom('100m', '250m', '500m', '1', '1500m', '3'),
  memory: fc.constantFrom('128Mi', '512Mi', '1Gi', '3Gi', '6Gi'),
  zone: fc.constantFrom(...ZONES),
  maxSkew: fc.integer({ min: 1, max: 2 }),
});

const existingArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  cpu: fc.constantFrom(1, 2, 4),
  tainted: fc.boolean(),
  arch: fc.constantFrom('amd64', 'arm64'),
  inFlight: fc.boolean(),
  deleting: fc.boolean(),
});

function podsOf(d: { kind: string; replicas: number; cpu: string; memory: string; zone: string; maxSkew: number }, i: number): Pod[] {
  const app = `d${i}`;
  const labels = { app };
  const self = { matchLabels: labels };
  const specs: Record<string, Partial<Pod['spec']>> = {
    plain: {},
    'zone-selector': { nodeSelector: { [ZONE]: d.zone } },
    arm: { nodeSelector: { 'kubernetes.io/arch': 'arm64' } },
    tolerant: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
    'host-anti': { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: self }] } } },
    'zone-anti': { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: self }] } } },
    'zone-spread': { topologySpreadConstraints: [{ maxSkew: d.maxSkew, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: self }] },
    'host-spread': { topologySpreadConstraints: [{ maxSkew: d.maxSkew, topologyKey: HOST, whenUnsatisfiable: 'DoNotSchedule', labelSelector: self }] },
    'zone-affinity': { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: ZONE, labelSelector: self }] } } },
    'host-affinity': { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: self }] } } },
    gpu: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
    'spread-and-anti': {
      topologySpreadConstraints: [{ maxSkew: d.maxSkew, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: self }],
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOST, labelSelector: self }] } },
    },
    'preferred-zone': {
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: [d.zone] }] } }] } },
    },
    'schedule-anyway': { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: self }] },
    'preferred-anti': {
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { topologyKey: HOST, labelSelector: self } }] } },
    },
    'host-port': {},
    'host-port-9100': {},
    'hostname-pinned': { nodeSelector: { [HOST]: 'node-0' } },
    preempting: {},
  };
  return Array.from({ length: d.replicas }, (_, r) => {
    const p = pod(d.cpu, d.memory, { name: `${app}-${r}`, labels, spec: specs[d.kind]!, gpu: d.kind === 'gpu' ? 1 : undefined });
    if (d.kind === 'host-port') p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 + (r % 2), ...(r % 3 === 2 ? { hostIP: '10.0.0.1' } : {}) }];
    if (d.kind === 'host-port-9100') p.spec.containers[0]!.ports = [{ containerPort: 9100, hostPort: 9100 }];
    if (d.kind === 'preempting') p.status = { nominatedNodeName: 'node-0' };
    return p;
  });
}

const inputArb = fc
  .record({
    pools: fc.array(poolArb, { minLength: 1, maxLength: 3 }),
    noPools: fc.constantFrom(false, false, false, true),
    existing: fc.array(existingArb, { maxLength: 4 }),
    deployments: fc.array(deploymentArb, { minLength: 1, maxLength: 6 }),
    usage: fc.integer({ min: 0, max: 8 }),
    daemonSets: fc.subarray(DAEMONSETS),
  })
  .map(({ pools, noPools, existing, deployments, usage, daemonSets }): SolveInput => {
    const nodePools: SchedulingNodePool[] = (noPools ? [] : pools).map((p, i) =>
      pool(`pool-${i}`, p.types, {
        weight: p.weight,
        requirements: [
          ...(p.arch ? [{ key: 'kubernetes.io/arch', operator: 'In' as const, values: [p.arch] }] : []),
          { key: ZONE, operator: 'In' as const, values: p.zones },
        ],
        taints: p.tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : [],
        limits: p.cpuLimit !== undefined ? { cpu: p.cpuLimit * 1000 } : {},
      }),
    );
    const pods = deployments.flatMap(podsOf);
    // Some deployments already have pods running on the existing nodes.
    const nodes: ExistingNode[] = existing.map((e, i) =>
      node(`node-${i}`, e.cpu, e.cpu * 4, { [ZONE]: e.zone, 'kubernetes.io/arch': e.arch }, {
        taints: e.tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : [],
        inFlight: e.inFlight,
        markedForDeletion: e.deleting,
        pods: i < deployments.length && e.cpu >= 2 ? [pod('100m', '128Mi', { name: `running-${i}`, labels: { app: `d${i}` } })] : [],
      }),
    );
    return { pods, nodes, nodePools, daemonSets, poolUsage: nodePools[0] ? { [nodePools[0].name]: { cpu: usage * 1000 } } : {} };
  });

describe('solve (properties)', () => {
  it('every result passes the independent verifier', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = solve(input);
        expect(verifySolution(input, result)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const shape = (r: ReturnType<typeof solve>) => ({
          bindings: r.bindings.map((b) => [b.pod.metadata.name, b.node]),
          nodes: r.newNodes.map((n) => [n.name, n.nodePool, n.price, n.instanceTypeOptions.map((o) => o.name), n.pods.map((p) => p.metadata.name)]),
          unschedulable: r.unschedulable.map((u) => [u.pod.metadata.name, u.reason]),
        });
        expect(shape(solve(input))).toEqual(shape(solve(input)));
      }),
      { numRuns: 100 },
    );
  });

  it('places every unconstrained pod when an unlimited pool has a type that holds it', () => {
    fc.assert(
      fc.property(fc.array(deploymentArb.map((d) => ({ ...d, kind: 'plain' })), { minLength: 1, maxLength: 6 }), (deployments) => {
        const input: SolveInput = { pods: deployments.flatMap(podsOf), nodes: [], nodePools: [pool('default', CATALOG)], daemonSets: [] };
        const result = solve(input);
        expect(result.unschedulable).toEqual([]);
        expect(verifySolution(input, result)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
