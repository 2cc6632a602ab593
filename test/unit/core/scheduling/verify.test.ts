// The verifier must catch what is wrong, or the property tests prove nothing.

import { solve, verifySolution, type SolveInput, type SolveResult } from '../../../../core/index.ts';
import { replaySpread } from '../../../../core/scheduling/verify.ts';
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

  describe('topology spread, replayed in placement order as kube-scheduler binds', () => {
    const zones = ['zone-a', 'zone-b', 'zone-c'];
    const existing = () => zones.map((z, i) => node(`n${i}`, 16, 64, { [ZONE]: z }));
    const web = (spread: boolean, extra: Record<string, string> = {}, constraint: Record<string, unknown> = {}) =>
      pod('100m', '128Mi', { labels: { app: 'web', ...extra }, spec: spread ? zoneSpread({ app: 'web' }, 1, constraint) : {} });

    it('checks a group whose selector also matches pods without the constraint (it was skipped)', () => {
      const plain = [web(false), web(false), web(false)];
      const spread = web(true);
      const input: SolveInput = { pods: [...plain, spread], nodes: existing(), nodePools: [], daemonSets: [] };
      const all = [...plain, spread].map((p) => ({ pod: p, node: 'n0' }));
      const errors = verifySolution(input, { bindings: all, newNodes: [], unschedulable: [], order: [...plain, spread] });
      expect(errors.join('\n')).toMatch(/pod default\/pod-\d+ on n0: kube-scheduler would not bind it: spread on topology.kubernetes.io\/zone skew 4 > maxSkew 1 \(zone-a=3, zone-b=0, zone-c=0, at its bind\)/);
    });

    it('the order decides: the constrained pod bound first was legal, the others have no constraint', () => {
      const plain = [web(false), web(false), web(false)];
      const spread = web(true);
      const input: SolveInput = { pods: [...plain, spread], nodes: existing(), nodePools: [], daemonSets: [] };
      const all = [...plain, spread].map((p) => ({ pod: p, node: 'n0' }));
      expect(verifySolution(input, { bindings: all, newNodes: [], unschedulable: [], order: [spread, ...plain] })).toEqual([]);
      expect(replaySpread(input, { bindings: all, newNodes: [], unschedulable: [], order: [spread, ...plain] }).checked).toBe(1);
    });

    it('pods already running count; terminating ones and other namespaces do not', () => {
      const nodes = existing();
      const leaving = web(false);
      leaving.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      nodes[0]!.pods = [web(false), leaving, pod('100m', '128Mi', { labels: { app: 'web' }, namespace: 'other' })];
      const p = web(true);
      const input: SolveInput = { pods: [p], nodes, nodePools: [], daemonSets: [] };
      expect(verifySolution(input, { bindings: [{ pod: p, node: 'n0' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(/skew 2 > maxSkew 1 \(zone-a=1, zone-b=0, zone-c=0/);
      expect(verifySolution(input, { bindings: [{ pod: p, node: 'n1' }], newNodes: [], unschedulable: [] })).toEqual([]);
    });

    it('matchLabelKeys: pods of another revision are not counted', () => {
      const nodes = existing();
      nodes[0]!.pods = [web(false, { 'pod-template-hash': 'v1' }), web(false, { 'pod-template-hash': 'v1' })];
      const p = web(true, { 'pod-template-hash': 'v2' }, { matchLabelKeys: ['pod-template-hash'] });
      const input: SolveInput = { pods: [p], nodes, nodePools: [], daemonSets: [] };
      expect(verifySolution(input, { bindings: [{ pod: p, node: 'n0' }], newNodes: [], unschedulable: [] })).toEqual([]);
      const q = web(true, { 'pod-template-hash': 'v2' });
      expect(verifySolution({ ...input, pods: [q] }, { bindings: [{ pod: q, node: 'n0' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(/skew 3 > maxSkew 1/);
    });

    it('minDomains above the number of domains holds the minimum at 0', () => {
      const nodes = existing().slice(0, 2);
      nodes[0]!.pods = [web(false)];
      nodes[1]!.pods = [web(false)];
      const p = web(true, {}, { minDomains: 3 });
      const input: SolveInput = { pods: [p], nodes, nodePools: [], daemonSets: [] };
      expect(verifySolution(input, { bindings: [{ pod: p, node: 'n0' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(/skew 2 > maxSkew 1/);
      const q = web(true);
      expect(verifySolution({ ...input, pods: [q] }, { bindings: [{ pod: q, node: 'n0' }], newNodes: [], unschedulable: [] })).toEqual([]);
    });

    it("nodeAffinityPolicy Honor: zones the pod's node selection excludes are not counted", () => {
      const nodes = existing();
      nodes[0]!.pods = [web(false)];
      nodes[1]!.pods = [web(false)];
      const p = web(true);
      p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a', 'zone-b'] }] }] } } };
      const input: SolveInput = { pods: [p], nodes, nodePools: [], daemonSets: [] };
      expect(verifySolution(input, { bindings: [{ pod: p, node: 'n0' }], newNodes: [], unschedulable: [] })).toEqual([]);
      const ignore = { ...p, spec: { ...p.spec, topologySpreadConstraints: [{ ...p.spec.topologySpreadConstraints![0]!, nodeAffinityPolicy: 'Ignore' }] } };
      expect(verifySolution({ ...input, pods: [ignore] }, { bindings: [{ pod: ignore, node: 'n0' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(/skew 2 > maxSkew 1/);
    });

    it("reports a skew only Karpenter's count of the zones a pool can still open makes too large", () => {
      const nodes = existing().slice(0, 2);
      nodes[0]!.pods = [web(false)];
      nodes[1]!.pods = [web(false)];
      const p = web(true);
      const input: SolveInput = { pods: [p], nodes, nodePools: [pool('p', standardTypes())], daemonSets: [] };
      const errors = verifySolution(input, { bindings: [{ pod: p, node: 'n0' }], newNodes: [], unschedulable: [] }).join('\n');
      expect(errors).toMatch(/skew 2 > maxSkew 1 counting the empty domains a NodePool can still open/);
      expect(errors).not.toMatch(/kube-scheduler would not bind/);
    });

    it('reports a spread pod on a new node whose zone is left open, instead of skipping it', () => {
      const p = web(true);
      const { input, result } = solved({ pods: [p], nodePools: [pool('p', standardTypes())] });
      const n = result.newNodes[0]!;
      const open = { ...n, instanceTypeOptions: n.instanceTypeOptions.map((o) => ({ ...o, offerings: ['zone-a', 'zone-b'].map((zone) => ({ ...o.offerings[0]!, zone })) })) };
      expect(verifySolution(input, { ...result, newNodes: [open] }).join('\n')).toMatch(/on new-p-0: spread on topology.kubernetes.io\/zone, but the node's topology.kubernetes.io\/zone is undetermined/);
    });

    it('the solver\'s own result of a mixed group passes the replay, in the order it records', () => {
      const pods = [...Array.from({ length: 6 }, () => web(false)), ...Array.from({ length: 6 }, () => web(true))];
      const { input, result } = solved({ pods, nodes: existing(), nodePools: [pool('p', standardTypes())] });
      expect(result.order).toHaveLength(12);
      expect(replaySpread(input, result).checked).toBe(6);
      expect(verifySolution(input, result)).toEqual([]);
    });
  });

  it('catches two pods with one host port on a node, and a DaemonSet holding the port', () => {
    const withPort = (name: string) => {
      const p = pod('100m', '128Mi', { name });
      p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
      return p;
    };
    const { input, result } = solved({ pods: [withPort('a'), withPort('b')], nodePools: [pool('p', standardTypes())] });
    expect(result.newNodes).toHaveLength(2);
    const merged = { ...result, newNodes: [{ ...result.newNodes[0]!, pods: [...result.newNodes[0]!.pods, ...result.newNodes[1]!.pods] }] };
    expect(verifySolution(input, merged).join('\n')).toMatch(/host port TCP\/8080 already taken by pod default\/a/);
    const agent = {
      metadata: { name: 'agent', namespace: 'kube-system' },
      spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 8080, hostPort: 8080 }] }] } } },
    };
    const withDs = { ...input, pods: [input.pods[0]!], daemonSets: [agent] };
    const one = { ...result, newNodes: [result.newNodes[0]!] };
    expect(verifySolution(withDs, one).join('\n')).toMatch(/host port TCP\/8080 already taken by DaemonSet kube-system\/agent/);
    const bound: SolveResult = { bindings: [{ pod: input.pods[0]!, node: 'n' }], newNodes: [], unschedulable: [{ pod: input.pods[1]!, reason: 'x' }] };
    const onNode = { ...input, nodes: [node('n', 8, 32, {}, { pods: [withPort('running')] })] };
    expect(verifySolution(onNode, bound).join('\n')).toMatch(/existing node n: host port TCP\/8080 already taken by pod default\/running/);
  });

  it('catches a hostname-pinned or preempting pod on a new node', () => {
    const { input, result } = solved({ pods: [pod('1', '1Gi', { name: 'free' })], nodePools: [pool('p', standardTypes())] });
    const p = result.newNodes[0]!.pods[0]!;
    const pinned = { ...p, spec: { ...p.spec, nodeSelector: { 'kubernetes.io/hostname': 'n1' } } };
    const asPinned = { ...result, newNodes: [{ ...result.newNodes[0]!, pods: [pinned] }] };
    expect(verifySolution({ ...input, pods: [pinned] }, asPinned).join('\n')).toMatch(/node selector or required node affinity not satisfied/);
    const preempting = { ...p, status: { nominatedNodeName: 'n1' } };
    const asPreempting = { ...result, newNodes: [{ ...result.newNodes[0]!, pods: [preempting] }] };
    expect(verifySolution({ ...input, pods: [preempting] }, asPreempting).join('\n')).toMatch(/preempting on n1/);
  });

  it('catches a pod placed where its volume is not, and a pod placed whose claim binds immediately and is unbound', () => {
    const volumes = {
      claims: [
        { metadata: { name: 'data', namespace: 'default' }, spec: { volumeName: 'pv-b' } },
        { metadata: { name: 'now', namespace: 'default' }, spec: { storageClassName: 'gp2' } },
      ],
      volumes: [{ metadata: { name: 'pv-b' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-b'] }] }] } } } }],
      storageClasses: [{ metadata: { name: 'gp2' } }],
    };
    const withClaim = (name: string, claimName: string) => pod('1', '1Gi', { name, spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] } });
    const db = withClaim('db', 'data');
    const onA: SolveInput = { pods: [db], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' })], nodePools: [], daemonSets: [], volumes };
    expect(verifySolution(onA, { bindings: [{ pod: db, node: 'a1' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(
      /pod default\/db on a1: volume v \(claim default\/data, bound to PersistentVolume pv-b\) needs topology.kubernetes.io\/zone In \[zone-b\]/,
    );
    // A new node that may launch in any zone does not satisfy it either.
    const { result } = solved({ pods: [pod('1', '1Gi', { name: 'free' })], nodePools: [pool('p', standardTypes())] });
    const anyZone = { ...result, newNodes: [{ ...result.newNodes[0]!, pods: [db] }] };
    expect(verifySolution({ ...onA, nodes: [], nodePools: [pool('p', standardTypes())] }, anyZone).join('\n')).toMatch(/pod default\/db on new node .*needs topology.kubernetes.io\/zone In \[zone-b\], not met by every value/);
    const early = withClaim('early', 'now');
    const onNode: SolveInput = { pods: [early], nodes: [node('a1', 8, 32, { [ZONE]: 'zone-a' })], nodePools: [], daemonSets: [], volumes };
    expect(verifySolution(onNode, { bindings: [{ pod: early, node: 'a1' }], newNodes: [], unschedulable: [] }).join('\n')).toMatch(/kube-scheduler does not schedule it: volume v \(claim default\/now, StorageClass gp2\): unbound/);
  });

  it("catches pods whose CSI volumes exceed an existing node's attach limit, counting the volumes of the pods already there", () => {
    const EBS = 'ebs.csi.aws.com';
    const claims = ['d1', 'd2', 'd3'].map((n) => ({ metadata: { name: n, namespace: 'default' }, spec: { volumeName: `pv-${n}` } }));
    const volumes = { claims, volumes: claims.map((c) => ({ metadata: { name: c.spec.volumeName }, spec: { csi: { driver: EBS } } })), storageClasses: [] };
    const withClaim = (name: string, claimName: string) => pod('1', '1Gi', { name, spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] } });
    const [a, b] = [withClaim('a', 'd2'), withClaim('b', 'd3')];
    const input: SolveInput = { pods: [a, b], nodes: [node('n1', 8, 32, {}, { volumeLimits: { [EBS]: 2 }, pods: [withClaim('old', 'd1')] })], nodePools: [], daemonSets: [], volumes };
    const errors = verifySolution(input, { bindings: [{ pod: a, node: 'n1' }, { pod: b, node: 'n1' }], newNodes: [], unschedulable: [] });
    expect(errors).toEqual([`pod default/b on existing node n1: ${EBS} volumes attached would number 3, over the node's CSI attach limit of 2`]);
    // A pod sharing a claim already attached adds nothing.
    const same = withClaim('same', 'd1');
    expect(verifySolution({ ...input, pods: [a, same] }, { bindings: [{ pod: a, node: 'n1' }, { pod: same, node: 'n1' }], newNodes: [], unschedulable: [] })).toEqual([]);
  });

  it('counts pod overhead and sidecars in requests', () => {
    const p = pod('1500m', '1Gi', { name: 'heavy', spec: { overhead: { cpu: '300m' }, initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '300m' } } }] } });
    const input: SolveInput = { pods: [p], nodes: [node('n', 2, 8)], nodePools: [], daemonSets: [] };
    const wrong: SolveResult = { bindings: [{ pod: p, node: 'n' }], newNodes: [], unschedulable: [] };
    expect(verifySolution(input, wrong).join('\n')).toMatch(/existing node n over-committed on cpu: 2100 > 2000/);
  });

  it('judges a namespaceSelector by the namespace labels', () => {
    const guard = pod('100m', '128Mi', {
      name: 'guard',
      namespace: 'team-a',
      labels: { app: 'db' },
      spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } }, namespaceSelector: { matchLabels: { team: 'a' } } }] } } },
    });
    const running = (namespace: string) => pod('100m', '128Mi', { name: 'running', namespace, labels: { app: 'db' } });
    const namespaces = { 'team-a': { team: 'a' }, 'team-b': { team: 'b' } };
    const result: SolveResult = { bindings: [{ pod: guard, node: 'n' }], newNodes: [], unschedulable: [] };
    const input = (ns: string): SolveInput => ({ pods: [guard], nodes: [node('n', 8, 32, {}, { pods: [running(ns)] })], nodePools: [], daemonSets: [], namespaces });
    expect(verifySolution(input('team-b'), result)).toEqual([]);
    expect(verifySolution(input('team-a'), result).join('\n')).toMatch(/share kubernetes.io\/hostname domain against team-a\/guard's required anti-affinity/);
  });
});
