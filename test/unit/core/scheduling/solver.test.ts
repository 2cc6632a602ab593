import { solve, verifySolution, type DaemonSet, type Pod, type SolveInput, type SolveResult } from '../../../../core/index.ts';
import { affinity, antiAffinity, GiB, instanceType, node, pod, pool, solveVerified, standardTypes, zoneSpread, ZONES } from '../fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';

const run = solveVerified;

const placement = (r: SolveResult) => {
  const out = new Map<string, string>();
  for (const b of r.bindings) out.set(b.pod.metadata.name!, b.node);
  for (const n of r.newNodes) for (const p of n.pods) out.set(p.metadata.name!, n.name);
  return out;
};

describe('solve: capacity', () => {
  it('fills existing and in-flight nodes before opening new ones', () => {
    const pods = [pod('1', '1Gi', { name: 'a' }), pod('1', '1Gi', { name: 'b' }), pod('1', '1Gi', { name: 'c' })];
    const r = run({
      pods,
      nodes: [node('n1', 1, 4), node('n2', 1, 4, {}, { inFlight: true })],
      nodePools: [pool('default', standardTypes())],
    });
    expect(r.bindings.map((b) => b.node).sort()).toEqual(['n1', 'n2']);
    expect(r.newNodes).toHaveLength(1);
    expect(r.newNodes[0]!.pods).toHaveLength(1);
  });

  it('never uses a node marked for deletion, and its pods stop counting', () => {
    const r = run({ pods: [pod('1', '1Gi')], nodes: [node('old', 8, 32, {}, { markedForDeletion: true })], nodePools: [pool('default', standardTypes())] });
    expect(r.bindings).toEqual([]);
    expect(r.newNodes).toHaveLength(1);
  });

  it('packs pods onto as few and as cheap nodes as fit, and offers every type that fits, cheapest first', () => {
    const pods = Array.from({ length: 6 }, () => pod('1', '2Gi'));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable).toEqual([]);
    const total = r.newNodes.reduce((s, n) => s + n.price, 0);
    expect(total).toBeCloseTo(0.3, 6); // 6 cores at $0.05: no waste
    for (const n of r.newNodes) {
      const prices = n.instanceTypeOptions.map((o) => o.price);
      expect(prices).toEqual([...prices].sort((a, b) => a - b));
      expect(n.requirements).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/instance-type', operator: 'In' }));
    }
  });

  it('counts DaemonSet pods that would land on a new node', () => {
    const ds: DaemonSet = {
      metadata: { name: 'agent', namespace: 'kube-system' },
      spec: { template: { spec: { containers: [{ name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] } } },
    };
    // 1.8 cpu does not fit a 2-core node next to a 500m agent: needs the 4-core type.
    const r = run({ pods: [pod('1800m', '1Gi')], nodePools: [pool('default', standardTypes())], daemonSets: [ds] });
    expect(r.newNodes[0]!.instanceTypeOptions[0]!.name).toBe('m.4x');
    expect(r.newNodes[0]!.requests.cpu).toBe(2300);
  });

  it('explains a pod no type can hold, with the largest the pool allows', () => {
    const gpuPool = pool('gpu-pool', [instanceType('g.1', 4, 16, 0.5, { gpu: 1 })]);
    const r = run({ pods: [pod('1', '1Gi', { gpu: 3, name: 'trainer' })], nodePools: [gpuPool] });
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toContain('NodePool gpu-pool: needs 3 nvidia.com/gpu; the largest it allows has 1');
  });

  it('reports an invalid request as the reason', () => {
    const bad = pod('1', '1Gi');
    bad.spec.containers[0]!.resources!.requests = { cpu: 'lots' };
    const r = run({ pods: [bad], nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable[0]!.reason).toMatch(/invalid pod spec: .*invalid quantity "lots"/);
  });
});

describe('solve: NodePools', () => {
  it('prefers the heavier pool, falls back to the next', () => {
    const small = pool('small', [instanceType('s.2x', 2, 8, 0.01)], { weight: 50 });
    const big = pool('big', standardTypes(), { weight: 10 });
    const r = run({ pods: [pod('1', '1Gi', { name: 'fits' }), pod('6', '1Gi', { name: 'large' })], nodePools: [big, small] });
    const byPod = new Map(r.newNodes.flatMap((n) => n.pods.map((p) => [p.metadata.name!, n.nodePool])));
    expect(byPod.get('fits')).toBe('small');
    expect(byPod.get('large')).toBe('big');
  });

  it('keeps within limits, counting capacity already used, and says so', () => {
    const limited = pool('limited', standardTypes(), { limits: { cpu: 8000 } });
    const pods = Array.from({ length: 8 }, () => pod('1', '1Gi'));
    const r = run({ pods, nodePools: [limited], poolUsage: { limited: { cpu: 4000 } } });
    const placed = r.newNodes.reduce((s, n) => s + n.pods.length, 0);
    expect(placed).toBeLessThanOrEqual(4);
    expect(r.unschedulable.length).toBe(8 - placed);
    expect(r.unschedulable[0]!.reason).toMatch(/limits reached \(cpu/);
  });

  it('limits the number of nodes', () => {
    const limited = pool('limited', standardTypes(), { limits: { nodes: 2 } });
    const pods = Array.from({ length: 3 }, (_, i) => pod('100m', '128Mi', { labels: { app: 'x' }, name: `x${i}`, spec: antiAffinity({ app: 'x' }) }));
    const r = run({ pods, nodePools: [limited] });
    expect(r.newNodes).toHaveLength(2);
    expect(r.unschedulable).toHaveLength(1);
  });

  it('does not use a pool whose taint the pod does not tolerate; startup taints need no toleration', () => {
    const tainted = pool('gpu', standardTypes(), { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], startupTaints: [{ key: 'init', effect: 'NoSchedule' }] });
    const r = run({ pods: [pod('1', '1Gi', { name: 'plain' })], nodePools: [tainted] });
    expect(r.unschedulable[0]!.reason).toContain('NodePool gpu: taint nvidia.com/gpu:NoSchedule not tolerated');
    const ok = run({ pods: [pod('1', '1Gi', { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] })], nodePools: [tainted] });
    expect(ok.newNodes).toHaveLength(1);
  });

  it('avoids PreferNoSchedule taints while another place exists, and uses them otherwise', () => {
    const soft = pool('soft', standardTypes(), { weight: 100, taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] });
    const plain = pool('plain', standardTypes(), { weight: 0 });
    expect(run({ pods: [pod('1', '1Gi')], nodePools: [soft, plain] }).newNodes[0]!.nodePool).toBe('plain');
    expect(run({ pods: [pod('1', '1Gi')], nodePools: [soft] }).newNodes[0]!.nodePool).toBe('soft');
  });

  it('keeps at least minValues distinct values among a new node\'s options', () => {
    const types = [
      ...['a', 'b', 'c', 'd'].map((f, i) => instanceType(`${f}.2x`, 2, 8, 0.1 + i * 0.01, { family: f })),
    ];
    const p = pool('flex', types, { requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 3 }] });
    const r = solve({ pods: [pod('1', '1Gi')], nodes: [], nodePools: [p], daemonSets: [], options: { maxInstanceTypeOptions: 1 } });
    const families = new Set(r.newNodes[0]!.instanceTypeOptions.map((o) => o.name.split('.')[0]));
    expect(families.size).toBeGreaterThanOrEqual(3);
  });
});

describe('solve: node selection', () => {
  it('honours nodeSelector on well-known labels by narrowing the new node', () => {
    const types = [...standardTypes(), instanceType('arm.4x', 4, 16, 0.1, { arch: 'arm64' })];
    const r = run({ pods: [pod('1', '1Gi', { spec: { nodeSelector: { 'kubernetes.io/arch': 'arm64', [ZONE]: 'zone-b' } } })], nodePools: [pool('default', types)] });
    const n = r.newNodes[0]!;
    expect(n.instanceTypeOptions.map((o) => o.name)).toEqual(['arm.4x']);
    expect(n.labels[ZONE]).toBe('zone-b');
    expect(n.instanceTypeOptions[0]!.offerings.every((o) => o.zone === 'zone-b')).toBe(true);
  });

  it('needs the pool to set a custom label the pod selects', () => {
    const r = run({ pods: [pod('1', '1Gi', { spec: { nodeSelector: { team: 'a' } } })], nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable[0]!.reason).toContain('label "team" is required but no node would carry it');
    const labelled = pool('team-a', standardTypes(), { labels: { 'karpenter.sh/nodepool': 'team-a', team: 'a' } });
    expect(run({ pods: [pod('1', '1Gi', { spec: { nodeSelector: { team: 'a' } } })], nodePools: [labelled] }).newNodes[0]!.labels.team).toBe('a');
  });

  it('tries the next required node affinity term when the first cannot be met', () => {
    const spec = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['s390x'] }] },
              { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-c'] }] },
            ],
          },
        },
      },
    };
    expect(run({ pods: [pod('1', '1Gi', { spec })], nodePools: [pool('default', standardTypes())] }).newNodes[0]!.labels[ZONE]).toBe('zone-c');
  });

  it('honours preferred node affinity when it can, and relaxes it when it cannot', () => {
    const prefer = (zone: string) => ({
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] } }] } },
    });
    expect(run({ pods: [pod('1', '1Gi', { spec: prefer('zone-b') })], nodePools: [pool('default', standardTypes())] }).newNodes[0]!.labels[ZONE]).toBe('zone-b');
    const r = run({ pods: [pod('1', '1Gi', { spec: prefer('zone-z') })], nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable).toEqual([]);
  });

  it('matches existing nodes by their labels and taints', () => {
    const tainted = node('t', 8, 32, { [ZONE]: 'zone-a' }, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    const other = node('o', 8, 32, { [ZONE]: 'zone-b' });
    const r = run({ pods: [pod('1', '1Gi', { name: 'p', spec: { nodeSelector: { [ZONE]: 'zone-a' } } })], nodes: [tainted, other] });
    expect(r.unschedulable[0]!.reason).toMatch(/no existing node fits \(2: 1 taint dedicated=db:NoSchedule not tolerated; 1 node selector or affinity not matched\)/);
    const ok = run({
      pods: [pod('1', '1Gi', { spec: { nodeSelector: { [ZONE]: 'zone-a' } }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db' }] })],
      nodes: [tainted, other],
    });
    expect(ok.bindings[0]!.node).toBe('t');
  });
});

describe('solve: pod affinity and anti-affinity', () => {
  it('hostname anti-affinity: one matching pod per node', () => {
    const pods = Array.from({ length: 4 }, (_, i) => pod('100m', '128Mi', { name: `w${i}`, labels: { app: 'web' }, spec: antiAffinity({ app: 'web' }) }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(new Set(placement(r).values()).size).toBe(4);
  });

  it('zone anti-affinity: at most one per zone, the rest explained', () => {
    const pods = Array.from({ length: 4 }, (_, i) => pod('100m', '128Mi', { name: `z${i}`, labels: { app: 'db' }, spec: antiAffinity({ app: 'db' }, ZONE) }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes.map((n) => n.labels[ZONE]).sort()).toEqual(ZONES);
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toContain(`pod anti-affinity on ${ZONE}`);
  });

  it('anti-affinity is symmetric: a bound pod keeps matching pods off its node', () => {
    const guard = pod('100m', '128Mi', { labels: { role: 'guard' }, spec: antiAffinity({ app: 'noisy' }) });
    const r = run({
      pods: [pod('100m', '128Mi', { name: 'noisy', labels: { app: 'noisy' } })],
      nodes: [node('n1', 8, 32, {}, { pods: [guard] })],
      nodePools: [pool('default', standardTypes())],
    });
    expect(r.bindings).toEqual([]);
    expect(r.newNodes).toHaveLength(1);
  });

  it('hostname affinity: joins the node of the pod it needs', () => {
    const cache = pod('100m', '128Mi', { labels: { app: 'cache' } });
    const r = run({
      pods: [pod('1', '1Gi', { name: 'app', spec: affinity({ app: 'cache' }) })],
      nodes: [node('n1', 2, 8), node('n2', 2, 8, {}, { pods: [cache] })],
      nodePools: [pool('default', standardTypes())],
    });
    expect(r.bindings).toEqual([expect.objectContaining({ node: 'n2' })]);
  });

  it('zone affinity to itself: the group lands in one zone, on new nodes too', () => {
    const pods = Array.from({ length: 12 }, (_, i) => pod('2', '4Gi', { name: `g${i}`, labels: { grp: 'x' }, spec: affinity({ grp: 'x' }, ZONE) }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(new Set(r.newNodes.map((n) => n.labels[ZONE])).size).toBe(1);
    expect(r.newNodes.length).toBeGreaterThan(1);
  });

  it('affinity to pods placed later in the same solve is satisfied on retry', () => {
    const follower = pod('4', '1Gi', { name: 'follower', spec: affinity({ app: 'leader' }, ZONE) });
    const leader = pod('100m', '128Mi', { name: 'leader', labels: { app: 'leader' }, spec: { nodeSelector: { [ZONE]: 'zone-c' } } });
    const r = run({ pods: [follower, leader], nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable).toEqual([]);
    const zoneOf = new Map(r.newNodes.flatMap((n) => n.pods.map((p) => [p.metadata.name!, n.labels[ZONE]])));
    expect(zoneOf.get('follower')).toBe('zone-c');
  });
});

describe('solve: topology spread', () => {
  it('spreads over the zones the pool offers, maxSkew 1', () => {
    const pods = Array.from({ length: 7 }, (_, i) => pod('1', '1Gi', { name: `s${i}`, labels: { app: 's' }, spec: zoneSpread({ app: 's' }) }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    const counts = new Map<string, number>();
    for (const n of r.newNodes) counts.set(n.labels[ZONE]!, (counts.get(n.labels[ZONE]!) ?? 0) + n.pods.length);
    expect([...counts.values()].sort()).toEqual([2, 2, 3]);
  });

  it('counts pods already running', () => {
    const running = Array.from({ length: 3 }, () => pod('100m', '128Mi', { labels: { app: 's' } }));
    const pods = Array.from({ length: 3 }, (_, i) => pod('1', '1Gi', { name: `s${i}`, labels: { app: 's' }, spec: zoneSpread({ app: 's' }) }));
    const r = run({ pods, nodes: [node('a1', 16, 64, { [ZONE]: 'zone-a' }, { pods: running })], nodePools: [pool('default', standardTypes())] });
    // zone-a already has 3: the new pods go to b and c (2 + 1) — never to a.
    expect(r.bindings).toEqual([]);
    expect(r.newNodes.every((n) => n.labels[ZONE] !== 'zone-a')).toBe(true);
  });

  it('honours the pod\'s node affinity when choosing domains (nodeAffinityPolicy Honor)', () => {
    const spec = {
      ...zoneSpread({ app: 's' }),
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a', 'zone-b'] }] }] } } },
    };
    const pods = Array.from({ length: 4 }, (_, i) => pod('1', '1Gi', { name: `s${i}`, labels: { app: 's' }, spec }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable).toEqual([]);
    expect(new Set(r.newNodes.map((n) => n.labels[ZONE]))).toEqual(new Set(['zone-a', 'zone-b']));
  });

  it('minDomains above the number of domains keeps one pod per domain', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod('1', '1Gi', { name: `s${i}`, labels: { app: 's' }, spec: zoneSpread({ app: 's' }, 1, { minDomains: 4 }) }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes.reduce((s, n) => s + n.pods.length, 0)).toBe(3);
    expect(r.unschedulable).toHaveLength(2);
  });

  it('relaxes ScheduleAnyway when the spread cannot be met', () => {
    const spec = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 's' } } }] };
    const oneZone = pool('default', standardTypes({ zones: ['zone-a'] }));
    const pods = Array.from({ length: 3 }, (_, i) => pod('1', '1Gi', { name: `s${i}`, labels: { app: 's' }, spec }));
    const r = run({ pods, nodes: [node('b1', 0.1, 1, { [ZONE]: 'zone-b' })], nodePools: [oneZone] });
    expect(r.unschedulable).toEqual([]);
  });

  it('hostname spread with maxSkew 1: one matching pod per node', () => {
    const spec = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'h' } } }] };
    const pods = Array.from({ length: 5 }, (_, i) => pod('100m', '128Mi', { name: `h${i}`, labels: { app: 'h' }, spec }));
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toHaveLength(5);
  });
});

describe('solve: determinism', () => {
  it('gives the same answer for the same input', () => {
    const mk = () =>
      Array.from({ length: 40 }, (_, i) =>
        pod(`${(i % 4) + 1}00m`, `${(i % 3) + 1}Gi`, { name: `d${i}`, labels: { app: `a${i % 3}` }, spec: i % 2 ? zoneSpread({ app: `a${i % 3}` }) : antiAffinity({ app: 'a0' }) }),
      );
    const shape = (r: SolveResult) => r.newNodes.map((n) => [n.name, n.price, n.labels[ZONE], n.pods.map((p) => p.metadata.name)]);
    const a = run({ pods: mk(), nodePools: [pool('default', standardTypes())] });
    const b = run({ pods: mk(), nodePools: [pool('default', standardTypes())] });
    expect(shape(a)).toEqual(shape(b));
    expect(a.newNodes[0]!.requests.memory).toBeGreaterThan(0);
    expect(GiB).toBe(2 ** 30);
  });
});

describe('solve: topology spread domains as kube-scheduler counts them', () => {
  // kube-scheduler's PodTopologySpread counts every node that carries the topology key and
  // passes the constraint's inclusion policies; with nodeTaintsPolicy Ignore (the default)
  // a node the pod cannot tolerate still makes its zone a domain with 0 pods (Karpenter
  // counts a tainted NodePool's zones likewise). Here a GPU pod opens a tainted node in
  // zone-a; once it is up, kube-scheduler binds one web pod in zone-c and leaves the second
  // Pending (skew 2): the solver must not plan both web pods onto zone-c.
  it('a tainted node in another zone counts as an empty spread domain (nodeTaintsPolicy Ignore)', () => {
    const web = (name: string) => pod('100m', '128Mi', { name, labels: { app: 'web' }, spec: zoneSpread({ app: 'web' }) });
    const gpu = pod('100m', '128Mi', { labels: { app: 'train' }, gpu: 1, tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
    const input: SolveInput = {
      pods: [gpu, web('web-1'), web('web-2')],
      nodes: [],
      nodePools: [
        pool('gpu-a', [instanceType('g.4x', 4, 16, 0.9, { family: 'g', gpu: 1, zones: ['zone-a'] })], { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
        pool('c-only', standardTypes({ zones: ['zone-c'] })),
      ],
      daemonSets: [],
    };
    const r = solve(input);
    expect(verifySolution(input, r)).toEqual([]);
    const webPlaced = r.newNodes.flatMap((n) => n.pods).filter((p) => p.metadata.labels?.app === 'web');
    expect(webPlaced).toHaveLength(1);
    expect(r.unschedulable.map((u) => u.pod.metadata.name)).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toContain('topology spread');
  });

  it('with nodeTaintsPolicy Honor the tainted zone is not a domain: both web pods go to zone-c', () => {
    const web = () => pod('100m', '128Mi', { labels: { app: 'web' }, spec: zoneSpread({ app: 'web' }, 1, { nodeTaintsPolicy: 'Honor' }) });
    const gpu = pod('100m', '128Mi', { labels: { app: 'train' }, gpu: 1, tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
    const r = run({
      pods: [gpu, web(), web()],
      nodePools: [
        pool('gpu-a', [instanceType('g.4x', 4, 16, 0.9, { family: 'g', gpu: 1, zones: ['zone-a'] })], { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
        pool('c-only', standardTypes({ zones: ['zone-c'] })),
      ],
    });
    expect(r.unschedulable).toEqual([]);
  });
});

describe('solve: host ports (NodePorts)', () => {
  const withPort = (name: string, hostPort: number, extra: { protocol?: string; hostIP?: string } = {}) => {
    const p = pod('100m', '128Mi', { name });
    p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort, ...extra }];
    return p;
  };
  const agent = (hostPort: number, extra: Partial<DaemonSet['spec']['template']['spec']> = {}): DaemonSet => ({
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: hostPort, hostPort }], resources: { requests: { cpu: '100m' } } }], ...extra } } },
  });

  it('never plans two pods with the same host port onto one new node', () => {
    const r = run({ pods: [withPort('a', 8080), withPort('b', 8080), withPort('c', 8080)], nodePools: [pool('default', standardTypes())] });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodes).toHaveLength(3);
    for (const n of r.newNodes) expect(n.pods).toHaveLength(1);
  });

  it('shares a node between different ports, protocols and distinct host IPs', () => {
    const pods = [
      withPort('tcp', 8080),
      withPort('udp', 8080, { protocol: 'UDP' }),
      withPort('other', 9090),
      withPort('ip1', 7070, { hostIP: '10.0.0.1' }),
      withPort('ip2', 7070, { hostIP: '10.0.0.2' }),
    ];
    const r = run({ pods, nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toHaveLength(1);
    expect(r.newNodes[0]!.pods).toHaveLength(5);
  });

  it('a port on 0.0.0.0 conflicts with the same port on any host IP', () => {
    const r = run({ pods: [withPort('any', 7070), withPort('ip1', 7070, { hostIP: '10.0.0.1' })], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toHaveLength(2);
  });

  it('keeps off an existing node whose bound pod holds the port, and uses one that is free', () => {
    const busy = node('busy', 8, 32, {}, { pods: [withPort('running', 8080)] });
    const free = node('free', 8, 32);
    const r = run({ pods: [withPort('new', 8080)], nodes: [busy, free], nodePools: [] });
    expect(r.bindings.map((b) => b.node)).toEqual(['free']);
  });

  it("counts a DaemonSet's host port on every node, existing and new: a conflicting pod is unschedulable, with a reason", () => {
    const r = run({
      pods: [withPort('clash', 9100)],
      nodes: [node('n1', 8, 32)],
      nodePools: [pool('default', standardTypes())],
      daemonSets: [agent(9100)],
    });
    expect(r.newNodes).toEqual([]);
    expect(r.bindings).toEqual([]);
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toContain('1 host port TCP/9100 in use');
    expect(r.unschedulable[0]!.reason).toContain('NodePool default: host port TCP/9100 is taken on its nodes by DaemonSet kube-system/agent');
  });

  it("a DaemonSet that does not run on a pool's nodes leaves the port free there", () => {
    const r = run({
      pods: [withPort('ok', 9100)],
      nodePools: [pool('default', standardTypes())],
      daemonSets: [agent(9100, { nodeSelector: { 'kubernetes.io/arch': 'arm64' } })],
    });
    expect(r.unschedulable).toEqual([]);
    expect(r.newNodes).toHaveLength(1);
  });
});

describe('solve: hostname-pinned pods', () => {
  it('a pod whose nodeSelector names an existing node goes there and never to a new node', () => {
    const pinned = pod('1', '1Gi', { name: 'pinned', spec: { nodeSelector: { 'kubernetes.io/hostname': 'n1' } } });
    const r = run({ pods: [pinned], nodes: [node('n1', 4, 16), node('n2', 4, 16)], nodePools: [pool('default', standardTypes())] });
    expect(r.bindings.map((b) => b.node)).toEqual(['n1']);
    expect(r.newNodes).toEqual([]);
  });

  it('a pod pinned to a node that is full (or gone) is unschedulable, not given a new node', () => {
    const bySelector = pod('6', '1Gi', { name: 'by-selector', spec: { nodeSelector: { 'kubernetes.io/hostname': 'n1' } } });
    const byAffinity = pod('1', '1Gi', {
      name: 'by-affinity',
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['gone'] }] }] } } } },
    });
    const r = run({ pods: [bySelector, byAffinity], nodes: [node('n1', 4, 16)], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toEqual([]);
    expect(r.unschedulable.map((u) => u.pod.metadata.name).sort()).toEqual(['by-affinity', 'by-selector']);
    expect(r.unschedulable[0]!.reason).toContain("a new node's hostname is not known in advance");
  });

  it('a hostname NotIn does not pin: a new node may host the pod', () => {
    const p = pod('1', '1Gi', {
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['n1'] }] }] } } } },
    });
    const r = run({ pods: [p], nodes: [node('n1', 4, 16)], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toHaveLength(1);
  });
});

describe('solve: requests as kube-scheduler counts them', () => {
  it('adds pod overhead and sidecar init containers: max(init, sidecars + containers) + overhead', () => {
    // Steady state: container 1 cpu + sidecar 500m = 1.5. The plain init container starts
    // after the sidecar, so its peak is 1.2 + 0.5 = 1.7 cpu, above the steady state.
    // Plus the 250m overhead: 1.95 cpu.
    const p = pod('1', '1Gi', {
      name: 'meshed',
      spec: {
        initContainers: [
          { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '500m', memory: '256Mi' } } },
          { name: 'migrate', resources: { requests: { cpu: '1200m', memory: '128Mi' } } },
        ],
        overhead: { cpu: '250m', memory: '64Mi' },
      },
    });
    const r = run({ pods: [p], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes[0]!.requests.cpu).toBe(1950);
    expect(r.newNodes[0]!.requests.memory).toBe((1024 + 256 + 64) * 2 ** 20);
    // 1.95 cpu does not fit next to a 300m pod on a 2-core node.
    const r2 = run({ pods: [p], nodes: [node('n1', 2, 8, {}, { pods: [pod('300m', '128Mi')] })], nodePools: [] });
    expect(r2.bindings).toEqual([]);
    expect(r2.unschedulable[0]!.reason).toContain('not enough cpu');
  });

  it('a plain init container larger than the steady state sets the request', () => {
    const p = pod('500m', '1Gi', { spec: { initContainers: [{ name: 'warm', resources: { requests: { cpu: '3' } } }] } });
    const r = run({ pods: [p], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes[0]!.requests.cpu).toBe(3000);
  });
});

describe('solve: preempting pods', () => {
  it('a pod with status.nominatedNodeName gets no new node (Karpenter IsProvisionable), but may use an existing one', () => {
    const preempting = (name: string) => ({ ...pod('2', '1Gi', { name }), status: { nominatedNodeName: 'n1' } });
    const r = run({ pods: [preempting('waits')], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toEqual([]);
    expect(r.unschedulable[0]!.reason).toContain('preempting pods on its nominated node');
    const r2 = run({ pods: [preempting('fits')], nodes: [node('n2', 4, 16)], nodePools: [pool('default', standardTypes())] });
    expect(r2.bindings.map((b) => b.node)).toEqual(['n2']);
  });
});

describe('solve: namespaceSelector in pod affinity terms', () => {
  const antiTo = (selector: Record<string, string>, namespaceSelector: object) => ({
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector }, namespaceSelector }] } },
  });
  const namespaces = { 'team-a': { team: 'a' }, 'team-b': { team: 'b' } };

  it('anti-affinity counts only pods of the namespaces the selector matches', () => {
    const guard = pod('100m', '128Mi', { name: 'guard', namespace: 'team-a', labels: { app: 'db' }, spec: antiTo({ app: 'db' }, { matchLabels: { team: 'a' } }) });
    const other = pod('100m', '128Mi', { name: 'other', namespace: 'team-b', labels: { app: 'db' } });
    const same = pod('100m', '128Mi', { name: 'same', namespace: 'team-a', labels: { app: 'db' } });
    const busy = node('n1', 4, 16, {}, { pods: [other] });
    // A pod of team-b matching the labels does not repel: guard may join it on n1.
    const r = run({ pods: [guard], nodes: [busy], nodePools: [], namespaces });
    expect(r.bindings.map((b) => b.node)).toEqual(['n1']);
    // A pod of team-a does.
    const r2 = run({ pods: [guard], nodes: [node('n1', 4, 16, {}, { pods: [same] })], nodePools: [], namespaces });
    expect(r2.bindings).toEqual([]);
    expect(r2.unschedulable).toHaveLength(1);
  });

  it('without namespace labels a namespaceSelector counts every namespace (conservative)', () => {
    const guard = pod('100m', '128Mi', { name: 'guard', namespace: 'team-a', labels: { app: 'db' }, spec: antiTo({ app: 'db' }, { matchLabels: { team: 'a' } }) });
    const other = pod('100m', '128Mi', { name: 'other', namespace: 'team-b', labels: { app: 'db' } });
    const r = run({ pods: [guard], nodes: [node('n1', 4, 16, {}, { pods: [other] })], nodePools: [] });
    expect(r.bindings).toEqual([]);
  });

  it('affinity is met only by a pod of a selected namespace; kubernetes.io/metadata.name selects by name', () => {
    const follower = (name: string, namespaceSelector: object) =>
      pod('100m', '128Mi', {
        name,
        namespace: 'team-b',
        spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'cache' } }, namespaceSelector }] } } },
      });
    const cacheB = pod('100m', '128Mi', { name: 'cache-b', namespace: 'team-b', labels: { app: 'cache' } });
    const cacheA = pod('100m', '128Mi', { name: 'cache-a', namespace: 'team-a', labels: { app: 'cache' } });
    const nodes = () => [node('nb', 4, 16, {}, { pods: [cacheB] }), node('na', 4, 16, {}, { pods: [cacheA] })];
    const r = run({ pods: [follower('f1', { matchLabels: { team: 'a' } })], nodes: nodes(), nodePools: [], namespaces });
    expect(r.bindings.map((b) => b.node)).toEqual(['na']);
    const r2 = run({ pods: [follower('f2', { matchLabels: { 'kubernetes.io/metadata.name': 'team-b' } })], nodes: nodes(), nodePools: [], namespaces });
    expect(r2.bindings.map((b) => b.node)).toEqual(['nb']);
  });
});

describe('solve: volume topology (VolumeBinding, VolumeZone)', () => {
  const pv = (name: string, zone: string) => ({
    metadata: { name },
    spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] }] } } },
  });
  const claim = (name: string, spec: { volumeName?: string; storageClassName?: string }) => ({ metadata: { name, namespace: 'default' }, spec });
  const withClaim = (name: string, claimName: string, spec: Partial<Pod['spec']> = {}) =>
    pod('1', '1Gi', { name, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...spec } });
  const volumes = {
    claims: [claim('in-b', { volumeName: 'pv-b' }), claim('in-c', { volumeName: 'pv-c' }), claim('late', { storageClassName: 'gp3-c' }), claim('now', { storageClassName: 'gp2' })],
    volumes: [pv('pv-b', 'zone-b'), pv('pv-c', 'zone-c')],
    storageClasses: [
      { metadata: { name: 'gp3-c' }, volumeBindingMode: 'WaitForFirstConsumer', allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: ['zone-c'] }] }] },
      { metadata: { name: 'gp2' }, volumeBindingMode: 'Immediate' },
    ],
  };
  const zonesOf = (r: SolveResult) => r.newNodes.map((n) => [...new Set(n.instanceTypeOptions.flatMap((o) => o.offerings.map((x) => x.zone)))]);

  it('a pod whose claim is bound to a volume in zone-b gets a node in zone-b, never the free node in zone-a', () => {
    const r = run({ pods: [withClaim('db', 'in-b')], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' })], nodePools: [pool('default', standardTypes())], volumes });
    expect(r.bindings).toEqual([]);
    expect(zonesOf(r)).toEqual([['zone-b']]);
    // An existing node in zone-b takes it.
    const r2 = run({ pods: [withClaim('db', 'in-b')], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' }), node('b1', 8, 32, { [ZONE]: 'zone-b' })], nodePools: [], volumes });
    expect(r2.bindings.map((b) => b.node)).toEqual(['b1']);
  });

  it('an unbound WaitForFirstConsumer claim goes where its StorageClass allows', () => {
    const r = run({ pods: [withClaim('w', 'late')], nodePools: [pool('default', standardTypes())], volumes });
    expect(zonesOf(r)).toEqual([['zone-c']]);
  });

  it('two pods with volumes in different zones never share a node; pods without volumes still pack', () => {
    const r = run({ pods: [withClaim('b', 'in-b'), withClaim('c', 'in-c'), pod('1', '1Gi', { name: 'free' })], nodePools: [pool('default', standardTypes())], volumes });
    expect(r.newNodes).toHaveLength(2);
    expect(zonesOf(r).sort()).toEqual([['zone-b'], ['zone-c']]);
  });

  it('no relaxation drops the volume: a preferred zone-a affinity yields to the volume in zone-b', () => {
    const prefersA = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a'] }] } }] } } };
    const r = run({ pods: [withClaim('db', 'in-b', prefersA)], nodePools: [pool('default', standardTypes())], volumes });
    expect(zonesOf(r)).toEqual([['zone-b']]);
  });

  it('an unbound claim that binds immediately: the pod waits, nothing is launched, and the reason names the claim', () => {
    const r = run({ pods: [withClaim('early', 'now')], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' })], nodePools: [pool('default', standardTypes())], volumes });
    expect(r.newNodes).toEqual([]);
    expect(r.bindings).toEqual([]);
    expect(r.unschedulable.map((u) => u.reason)).toEqual([
      'volume data (claim default/now, StorageClass gp2): unbound, and the StorageClass binds immediately (volumeBindingMode Immediate); kube-scheduler does not schedule the pod until the claim is bound',
    ]);
  });

  it('a volume in a zone no pool allows: nothing is launched, and the reason names the volume and the zone', () => {
    const ab = pool('ab', standardTypes(), { requirements: [{ key: ZONE, operator: 'In', values: ['zone-a', 'zone-b'] }] });
    const onlyB = pool('only-b', standardTypes({ zones: ['zone-b'] }));
    const r = run({ pods: [withClaim('db', 'in-c')], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' })], nodePools: [ab, onlyB], volumes });
    expect(r.newNodes).toEqual([]);
    const reason = r.unschedulable[0]!.reason;
    expect(reason).toContain(`no existing node fits (1: 1 volume data needs ${ZONE} In [zone-c])`);
    expect(reason).toContain(`NodePool ab: volume data (claim default/in-c, bound to PersistentVolume pv-c) needs ${ZONE} In [zone-c], which the pool does not allow`);
    expect(reason).toContain(`NodePool only-b: volume data (claim default/in-c, bound to PersistentVolume pv-c) needs ${ZONE} In [zone-c], where none of the pool's instance types has an available offering`);
  });

  it('without the storage objects in the input, volumes are not looked at', () => {
    const r = run({ pods: [withClaim('db', 'in-c')], nodePools: [pool('default', standardTypes())] });
    expect(r.newNodes).toHaveLength(1);
  });
});

describe('solve: small batches (up to 50 pods) packed near the optimum', () => {
  const agent: DaemonSet = {
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { template: { spec: { containers: [{ name: 'a', resources: { requests: { cpu: '500m', memory: '512Mi' } } }] } } },
  };
  const cost = (r: SolveResult) => r.newNodes.reduce((s, n) => s + n.price, 0);

  it('puts three 4-CPU pods on one 16-core node rather than three 8-core ones', () => {
    // Next to a 500m agent a 4-CPU pod needs the 8-core type, which then holds one pod:
    // sized by the fraction of a node each type needs, the greedy bought m.8x three times ($1.20).
    const pods = Array.from({ length: 3 }, () => pod('4', '4Gi'));
    const r = run({ pods, nodePools: [pool('default', standardTypes())], daemonSets: [agent] });
    expect(r.newNodes.map((n) => n.instanceTypeOptions[0]!.name)).toEqual(['m.16x']);
    expect(cost(r)).toBeCloseTo(0.8, 6);
  });

  it('sizes the node a GPU pod opens for the GPU pod when the other pods are cheaper on plain nodes', () => {
    const types = [
      ...standardTypes(),
      instanceType('g.small', 4, 16, 0.9, { gpu: 1, family: 'g' }),
      instanceType('g.large', 16, 64, 2.0, { gpu: 1, family: 'g' }),
    ];
    const pods = [pod('1', '4Gi', { gpu: 1 }), ...Array.from({ length: 6 }, () => pod('2', '4Gi'))];
    const r = run({ pods, nodePools: [pool('default', types)] });
    expect(r.unschedulable).toEqual([]);
    // Before: one g.large for everything, $2.00/h. Now the GPU pod's node is a g.small and
    // the rest go to plain nodes.
    const names = r.newNodes.map((n) => n.instanceTypeOptions[0]!.name);
    expect(names).toContain('g.small');
    expect(names).not.toContain('g.large');
    expect(cost(r)).toBeLessThan(2.0 - 0.1);
  });

  it('keeps every constraint while trying other node sizes: zone spread of the same batch', () => {
    const types = [
      ...standardTypes({ zones: ZONES }),
      instanceType('g.small', 4, 16, 0.9, { gpu: 1, family: 'g', zones: ZONES }),
      instanceType('g.large', 16, 64, 2.0, { gpu: 1, family: 'g', zones: ZONES }),
    ];
    const labels = { app: 'web' };
    const pods = [pod('1', '4Gi', { gpu: 1 }), ...Array.from({ length: 6 }, () => pod('2', '4Gi', { labels, spec: zoneSpread(labels) }))];
    const r = run({ pods, nodePools: [pool('default', types)] });
    expect(r.unschedulable).toEqual([]);
    const perZone = new Map<string, number>();
    for (const n of r.newNodes) for (const p of n.pods) if (p.metadata.labels?.app === 'web') perZone.set(n.labels[ZONE]!, (perZone.get(n.labels[ZONE]!) ?? 0) + 1);
    expect([...perZone.values()].sort()).toEqual([2, 2, 2]);
    // The plan kept is the one the GPU-sized node gives (not the single-pass greedy's).
    expect(r.newNodes.map((n) => n.instanceTypeOptions[0]!.name)).toContain('g.small');
  });
});

describe('solve: CSI attach limits (NodeVolumeLimits)', () => {
  const EBS = 'ebs.csi.aws.com';
  const claims = ['d1', 'd2', 'd3'].map((n) => ({ metadata: { name: n, namespace: 'default' }, spec: { volumeName: `pv-${n}` } }));
  const volumes = { claims, volumes: claims.map((c) => ({ metadata: { name: c.spec.volumeName }, spec: { csi: { driver: EBS, volumeHandle: c.spec.volumeName } } })), storageClasses: [] };
  const withClaim = (name: string, claimName: string) => pod('1', '1Gi', { name, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } });

  it("a node whose CSINode allows one EBS volume takes one pod with an EBS claim; the second gets a new node", () => {
    const r = run({ pods: [withClaim('a', 'd1'), withClaim('b', 'd2')], nodes: [node('n1', 8, 32, {}, { volumeLimits: { [EBS]: 1 } })], nodePools: [pool('default', standardTypes())], volumes });
    expect(r.bindings.map((b) => [b.pod.metadata.name, b.node])).toEqual([['a', 'n1']]);
    expect(r.newNodes.map((n) => n.pods.map((p) => p.metadata.name))).toEqual([['b']]);
  });

  it("volumes of the pods already on the node count, a claim they share counts once, and other drivers' volumes are not limited", () => {
    const bound = { ...withClaim('old', 'd1'), spec: { ...withClaim('old', 'd1').spec, nodeName: 'n1' } };
    const nodes = () => [node('n1', 8, 32, {}, { volumeLimits: { [EBS]: 1 }, pods: [bound] })];
    const full = run({ pods: [withClaim('b', 'd2')], nodes: nodes(), nodePools: [pool('default', standardTypes())], volumes });
    expect(full.bindings).toEqual([]);
    expect(full.newNodes).toHaveLength(1);
    const shared = run({ pods: [withClaim('same', 'd1')], nodes: nodes(), nodePools: [], volumes });
    expect(shared.bindings.map((b) => b.node)).toEqual(['n1']);
    const efs = run({ pods: [withClaim('b', 'd2')], nodes: [node('n1', 8, 32, {}, { volumeLimits: { 'efs.csi.aws.com': 1 }, pods: [bound] })], nodePools: [], volumes });
    expect(efs.bindings.map((b) => b.node)).toEqual(['n1']);
  });

  it('with no pool to open a node, the pod over the limit is unschedulable and the reason names the limit', () => {
    const r = run({ pods: [withClaim('a', 'd1'), withClaim('b', 'd2'), withClaim('c', 'd3')], nodes: [node('n1', 8, 32, {}, { volumeLimits: { [EBS]: 2 } })], nodePools: [], volumes });
    expect(r.bindings).toHaveLength(2);
    expect(r.unschedulable).toHaveLength(1);
    expect(r.unschedulable[0]!.reason).toContain(`CSI attach limit: ${EBS} volumes would number 3, over the node's attach limit of 2`);
  });

  it('a node without a CSINode (no limits known, as every new node) takes them all', () => {
    const r = run({ pods: [withClaim('a', 'd1'), withClaim('b', 'd2'), withClaim('c', 'd3')], nodes: [node('n1', 8, 32)], nodePools: [], volumes });
    expect(r.bindings).toHaveLength(3);
  });
});
