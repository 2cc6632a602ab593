// Scenario files are user input: errors name the file and the field and say how to fix
// it; a workload can also come from a cluster snapshot (kubectl get ... -o json).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { parseScenario, ScenarioError } from '../../../../reconciler/scenario/scenario.ts';
import { runSimulation } from '../../../../reconciler/scenario/runner.ts';
import { loadSnapshot } from '../../../../reconciler/scenario/snapshot.ts';
import { nodeClass, nodePool } from '../../behaviour/fixtures.ts';

describe('scenario files', () => {
  test.each([
    ['workloads:\n  - kind: Deployment\n    name: web\n    requests: { cpu: 2x }\n    replicas: [{ at: "00:00", replicas: 1 }]', 'my.yaml: workloads[0].requests.cpu: "2x" is not a Kubernetes quantity'],
    ['workloads:\n  - kind: StatefulSet\n    name: db', 'my.yaml: workloads[0].kind: "StatefulSet" is not a workload kind; use Deployment, Job or Snapshot'],
    ['events:\n  - at: "25:99"\n    deleteNodeClaims: { nodePool: gpu }', 'my.yaml: events[0].at: "25:99" has minutes above 59'],
    ['duration: forever', 'my.yaml: duration: "forever" is not a duration'],
    ['workloads:\n  - kind: Job\n    name: etl\n    at: "01:00"\n    completions: 3\n    requests: { cpu: "1" }', 'my.yaml: workloads[0].duration: is required'],
    ['colour: blue', 'my.yaml:1: colour: unknown field "colour"; expected one of name, description, start'],
    ['name: x\nec2:\n  shortage:\n    - { from: "01:00", until: "02:00" }', 'my.yaml:3: ec2.shortage: unknown field "shortage"; did you mean "shortages"?'],
    ['ec2:\n  spotInterruptions: { ratePerHour: -1 }', 'my.yaml: ec2.spotInterruptions.ratePerHour: expected a number >= 0, got -1'],
    ['ec2:\n  spotInterruptions: { rate: 0.1 }', 'my.yaml:2: ec2.spotInterruptions.rate: unknown field "rate"; expected one of ratePerHour, notice, offerings'],
    ['ec2:\n  spotInterruptions:\n    offerings: [{ instanceTypes: [c7g.] }]', 'my.yaml: ec2.spotInterruptions.offerings[0].ratePerHour: is required'],
    ['events:\n  - at: "01:00"\n    nodeNotReady: { nodePool: general, status: Broken }', 'my.yaml: events[0].nodeNotReady.status: "Broken" must be Unknown (the kubelet stopped reporting) or False (it reports a fault)'],
    ['events:\n  - at: "01:00"\n    nodeNotReady: { status: Unknown }', 'my.yaml: events[0].nodeNotReady.nodePool: is required'],
    ['events:\n  - at: "01:00"\n    nodeNotReady: { nodePool: a }\n    deleteNodeClaims: { nodePool: a }', 'my.yaml: events[0]: set exactly one of policyCommit, deleteNodeClaims or nodeNotReady'],
  ])('%#: a mistake is reported with file and field', (yaml, expected) => {
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(expected);
  });

  test('spot interruptions, the NotReady event and the reconciler switches parse with their defaults', () => {
    const plain = parseScenario('name: x', 'x.yaml');
    expect(plain.ec2.spotInterruptions).toEqual({ ratePerHour: 0, noticeMs: 120_000, offerings: [] });
    expect(plain.reconciler).toMatchObject({ interruptionQueue: true, nodeRepair: false, podDeletionCost: false });
    expect(parseScenario('reconciler: { podDeletionCost: true }', 'x.yaml').reconciler.podDeletionCost).toBe(true);
    expect(() => parseScenario('reconciler: { podDeletionCost: yes please }', 'x.yaml')).toThrow(/reconciler\.podDeletionCost/);
    const s = parseScenario(
      'ec2:\n  spotInterruptions:\n    ratePerHour: 0.02\n    notice: 90s\n    offerings: [{ instanceTypes: [c7g.], zones: [us-east-1a], ratePerHour: 0.5 }]\nreconciler: { nodeRepair: true, interruptionQueue: false }\nevents:\n  - at: "14:00"\n    nodeNotReady: { nodePool: general-purpose }',
      'x.yaml',
    );
    expect(s.ec2.spotInterruptions).toEqual({ ratePerHour: 0.02, noticeMs: 90_000, offerings: [{ instanceTypes: ['c7g.'], zones: ['us-east-1a'], ratePerHour: 0.5 }] });
    expect(s.reconciler).toMatchObject({ interruptionQueue: false, nodeRepair: true });
    expect(s.events).toEqual([{ atMs: 14 * 3_600_000, nodeNotReady: { nodePool: 'general-purpose', status: 'Unknown', reason: 'NodeStatusUnknown' } }]);
  });

  test('a ramp, steps and times parse to offsets from the start', () => {
    const s = parseScenario('start: 2026-03-03T00:00:00Z\nworkloads:\n  - kind: Deployment\n    name: web\n    requests: { cpu: 500m }\n    replicas:\n      - { at: "06:00", to: "09:00", replicas: 100 }\n      - { at: "00:00", replicas: 10 }', 'x.yaml');
    const w = s.workloads[0]!;
    expect(w.kind).toBe('Deployment');
    if (w.kind !== 'Deployment') return;
    expect(w.replicas.map((r) => [r.atMs / 3_600_000, r.toMs === undefined ? undefined : r.toMs / 3_600_000, r.replicas])).toEqual([
      [0, undefined, 10],
      [6, 9, 100],
    ]);
  });
});

function snapshotFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-snapshot-'));
  const owner = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, uid: `${name}-uid`, controller: true }];
  const pod = (name: string, ownerKind: string | undefined, ownerName: string, cpu: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: ownerName }, ...(ownerKind ? { ownerReferences: owner(ownerKind, ownerName) } : {}) },
    spec: { nodeName: 'ip-10-1-1-1.ec2.internal', containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' } } }] },
    status: { phase: 'Running' },
  });
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      ...Array.from({ length: 12 }, (_, i) => pod(`web-abc-${i}`, 'ReplicaSet', 'web-abc', '500m')),
      pod('debug', undefined, 'debug', '100m'),
      pod('agent-x', 'DaemonSet', 'agent', '100m'),
      { ...pod('done', 'Job', 'etl', '1'), status: { phase: 'Succeeded' } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-1-1-1.ec2.internal' } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'kube-system', uid: 'x' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web-abc' } }, maxUnavailable: 1 } },
    ],
  };
  const file = join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify(list));
  return file;
}

describe('a workload from a cluster snapshot', () => {
  test('groups pods by owner, keeps bare pods, skips DaemonSet and finished pods, applies DaemonSets and PDBs', async () => {
    const s = await loadSnapshot(snapshotFile());
    expect(s.deployments.map((d) => [d.namespace, d.name, d.replicas])).toEqual([['shop', 'web-abc', 12]]);
    expect(s.barePods.map((p) => p.metadata.name)).toEqual(['debug']);
    expect(s.barePods[0]!.spec.nodeName).toBeUndefined();
    expect(s.daemonSets.map((d) => d.metadata.name)).toEqual(['agent']);
    expect(s.pdbs.map((p) => p.metadata.name)).toEqual(['web']);
    expect(s.nodes).toBe(1);
  });

  test('is provisioned for by the reconciler on the simulator', async () => {
    const file = snapshotFile();
    const scenario = parseScenario(`duration: 30m\nworkloads:\n  - { kind: Snapshot, file: ${JSON.stringify(file)} }`, join(tmpdir(), 'snap.yaml'));
    const r = await runSimulation({
      scenario,
      intent: { commit: 'c1', message: 'test', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => t.name.startsWith('m6i.') || t.name.startsWith('c7i.'),
    });
    const pods = r.world.api.cache.list('Pod').filter((p) => p.metadata.namespace === 'shop');
    expect(pods).toHaveLength(13);
    expect(pods.every((p) => p.spec.nodeName)).toBe(true);
    expect(r.world.api.cache.list('Node').length).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
  }, 60_000);

  test('a file that is not kubectl JSON says how to produce one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'joinery-snapshot-'));
    writeFileSync(join(dir, 'bad.json'), 'pods:\n  - web');
    await expect(loadSnapshot(join(dir, 'bad.json'))).rejects.toThrow(/kubectl get pods,nodes,daemonsets,pdb -A -o json/);
  });
});

describe('capacity reservations in a scenario', () => {
  const RESERVED = `
name: reserved
start: 2026-03-03T00:00:00Z
duration: 1h
cluster: { name: test, zones: [us-east-1a], bootSeconds: 40, readySeconds: 10 }
ec2:
  reservations:
    - { id: cr-0123456789abcdef0, instanceType: m6i.xlarge, zone: us-east-1a, count: 2 }
    - { id: cr-0fedcba987654321f, instanceType: m6i.xlarge, zone: us-east-1a, count: 1, type: capacity-block, end: "06:00", tags: { team: ml } }
workloads:
  - kind: Deployment
    name: web
    requests: { cpu: "3", memory: 2Gi }
    replicas: [{ at: "00:01", replicas: 3 }]
`;

  test('parse with their defaults; a capacity block ends at a time from the start', () => {
    const sc = parseScenario(RESERVED, 'r.yaml');
    expect(sc.ec2.reservations).toEqual([
      { id: 'cr-0123456789abcdef0', instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 2, type: 'default' },
      { id: 'cr-0fedcba987654321f', instanceType: 'm6i.xlarge', zone: 'us-east-1a', count: 1, type: 'capacity-block', endMs: 6 * 3_600_000, tags: { team: 'ml' } },
    ]);
  });

  test.each([
    ['ec2:\n  reservations:\n    - { id: r1, instanceType: m6i.xlarge, count: 1 }', 'my.yaml: ec2.reservations[0].id: "r1" is not a capacity reservation id'],
    ['ec2:\n  reservations:\n    - { id: cr-1, instanceType: m6i.xlarge, count: 0 }', 'my.yaml: ec2.reservations[0].count: expected a number >= 1, got 0'],
    ['ec2:\n  reservations:\n    - { id: cr-1, instanceType: m6i.xlarge, count: 1, type: capacity-block }', 'my.yaml: ec2.reservations[0].end: a capacity block has an end'],
    ['ec2:\n  reservations:\n    - { id: cr-1, instanceType: m6i.xlarge, count: 1, type: block }', 'my.yaml: ec2.reservations[0].type: "block" must be default'],
    ['ec2:\n  reservations:\n    - { id: cr-1, instanceType: m6i.xlarge, count: 1, ends: "01:00" }', 'my.yaml:3: ec2.reservations[0].ends: unknown field "ends"; did you mean "end"?'],
  ])('%#: a mistake in a reservation is reported with file and field', (yaml, expected) => {
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(expected);
  });

  const classSelecting = () => {
    const c = nodeClass();
    return { ...c, spec: { ...c.spec!, capacityReservationSelectorTerms: [{ id: 'cr-0123456789abcdef0' }] } } as typeof c;
  };
  const pool = nodePool('general', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['reserved', 'on-demand'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6i.xlarge'] },
    ],
  });

  test('the simulator launches into the reservation the class selects, and no more than it holds', async () => {
    const r = await runSimulation({
      scenario: parseScenario(RESERVED, 'r.yaml'),
      intent: { commit: 'c0ffee00', message: 'initial', nodePools: [pool], nodeClasses: [classSelecting()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => t.name.startsWith('m6i.'),
    });
    const running = r.world.ec2.allInstances().filter((i) => i.terminatedAt === undefined).map((i) => i.instance);
    // 3 pods of 3 cpu: one per m6i.xlarge; 2 in the selected reservation, 1 on-demand; the block (not selected) unused.
    expect(running.filter((i) => i.capacityReservationId === 'cr-0123456789abcdef0')).toHaveLength(2);
    expect(running.filter((i) => i.capacityType === 'on-demand')).toHaveLength(1);
    expect(running.filter((i) => i.capacityReservationId === 'cr-0fedcba987654321f')).toHaveLength(0);
    expect(r.stillPending).toBe(0);
  });

  test('a reservation of a type the simulated catalog does not offer is refused naming the field', async () => {
    const yaml = RESERVED.replace('instanceType: m6i.xlarge, zone: us-east-1a, count: 2', 'instanceType: m9x.huge, zone: us-east-1a, count: 2');
    await expect(
      runSimulation({ scenario: parseScenario(yaml, 'r.yaml'), intent: { commit: 'c0ffee00', message: 'initial', nodePools: [pool], nodeClasses: [classSelecting()] }, catalog: loadShippedCatalog(), root: process.cwd() }),
    ).rejects.toThrow('r.yaml: ec2.reservations[0].instanceType: "m9x.huge" is not an instance type of the simulated catalog');
  });
});

describe('volumes in a scenario', () => {
  const ZONE = 'topology.kubernetes.io/zone';
  const VOLUMES = `
name: volumes
start: 2026-03-03T00:00:00Z
duration: 30m
cluster: { name: test, zones: [us-east-1a, us-east-1b], bootSeconds: 40, readySeconds: 10 }
volumes:
  - { claim: pg-data, zone: us-east-1b }
  - { claim: scratch }
workloads:
  - kind: Deployment
    name: db
    requests: { cpu: "1", memory: 2Gi }
    claims: [pg-data]
    replicas: [{ at: "00:01", replicas: 2 }]
  - kind: Deployment
    name: cache
    requests: { cpu: "1", memory: 2Gi }
    claims: [scratch]
    replicas: [{ at: "00:01", replicas: 3 }]
`;

  test('parse: a bound claim has its zone, an unbound one the default WaitForFirstConsumer class', () => {
    const sc = parseScenario(VOLUMES, 'v.yaml');
    expect(sc.volumes).toEqual([
      { claim: 'pg-data', namespace: 'default', zone: 'us-east-1b', storageClass: 'gp3' },
      { claim: 'scratch', namespace: 'default', storageClass: 'gp3' },
    ]);
    expect(sc.workloads.map((w) => (w.kind === 'Snapshot' ? [] : w.claims))).toEqual([['pg-data'], ['scratch']]);
  });

  test.each([
    ['volumes:\n  - { claim: data, zone: us-east-1b, size: 1Gi }', 'my.yaml:2: volumes[0].size: unknown field "size"'],
    ['volumes:\n  - { claim: Data }', 'my.yaml: volumes[0].claim: "Data" is not a valid claim name'],
    ['volumes:\n  - { claim: data }\n  - { claim: data }', 'my.yaml: volumes[1].claim: "data" is listed twice in namespace default'],
    [
      'volumes:\n  - { claim: data }\nworkloads:\n  - kind: Deployment\n    name: db\n    requests: { cpu: "1" }\n    claims: [dta]\n    replicas: [{ at: "00:00", replicas: 1 }]',
      'my.yaml: workloads[0].claims[0]: "dta" is not a claim of volumes in namespace default (data); declare it under volumes',
    ],
    ['workloads:\n  - kind: Job\n    name: etl\n    at: "00:00"\n    completions: 1\n    duration: 1m\n    requests: { cpu: "1" }\n    claim: [x]', 'my.yaml:8: workloads[0].claim: unknown field "claim"; did you mean "claims"?'],
  ])('%#: a mistake in volumes is reported with file and field', (yaml, expected) => {
    expect(() => parseScenario(yaml, 'my.yaml')).toThrow(expected);
  });

  test("the simulated kube-scheduler binds each pod where its volume is: the bound claim's pods in us-east-1b, the unbound claim's pods all in the zone its volume was provisioned in", async () => {
    const r = await runSimulation({
      scenario: parseScenario(VOLUMES, 'v.yaml'),
      intent: { commit: 'c0ffee00', message: 'initial', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => t.name.startsWith('m6i.'),
    });
    expect(r.errors).toEqual([]);
    expect(r.stillPending).toBe(0);
    const zoneOf = (app: string) =>
      r.world.api.cache
        .list('Pod')
        .filter((p) => p.metadata.labels?.app === app)
        .map((p) => r.world.api.cache.get('Node', p.spec.nodeName!)?.metadata.labels?.[ZONE]);
    expect(zoneOf('db')).toEqual(['us-east-1b', 'us-east-1b']);
    const provisioned = r.world.api.cache.get('PersistentVolumeClaim', 'scratch', 'default')!.spec!.volumeName!;
    const pvZone = r.world.api.cache.get('PersistentVolume', provisioned)!.metadata.labels![ZONE];
    expect(zoneOf('cache')).toEqual([pvZone, pvZone, pvZone]);
  }, 60_000);

  test('a volume in a zone the cluster does not have is refused naming the field', async () => {
    const yaml = VOLUMES.replace('zone: us-east-1b', 'zone: us-east-1f');
    await expect(
      runSimulation({ scenario: parseScenario(yaml, 'v.yaml'), intent: { commit: 'c0ffee00', message: 'initial', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] }, catalog: loadShippedCatalog(), root: process.cwd() }),
    ).rejects.toThrow('v.yaml: volumes[0].zone: "us-east-1f" is not a zone of the cluster (us-east-1a, us-east-1b)');
  });

  const statefulSnapshot = (withStorage: boolean): string => {
    const dir = mkdtempSync(join(tmpdir(), 'joinery-snapshot-'));
    const pod = (i: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pg-${i}`, namespace: 'db', labels: { app: 'pg' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'pg', uid: 'pg-uid', controller: true }] },
      spec: { nodeName: 'old-node', containers: [{ name: 'pg', resources: { requests: { cpu: '1', memory: '2Gi' } } }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-pg-${i}` } }] },
      status: { phase: 'Running' },
    });
    const storage = [0, 1].flatMap((i) => [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `data-pg-${i}`, namespace: 'db' }, spec: { volumeName: `pv-${i}`, storageClassName: 'gp3' }, status: { phase: 'Bound' } },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `pv-${i}` },
        spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${i}` }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [i === 0 ? 'us-east-1a' : 'us-east-1b'] }] }] } } },
      },
    ]);
    const items = [pod(0), pod(1), ...(withStorage ? [...storage, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' }] : [])];
    const file = join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    return file;
  };

  test("a snapshot carries claims, volumes and classes: each StatefulSet pod keeps its own claim and runs in its volume's zone", async () => {
    const file = statefulSnapshot(true);
    const s = await loadSnapshot(file);
    expect(s.barePods.map((p) => p.spec.volumes?.[0]?.persistentVolumeClaim?.claimName)).toEqual(['data-pg-0', 'data-pg-1']);
    expect([s.claims.length, s.volumes.length, s.storageClasses.length]).toEqual([2, 2, 1]);
    const scenario = parseScenario(`duration: 30m\ncluster: { zones: [us-east-1a, us-east-1b] }\nworkloads:\n  - { kind: Snapshot, file: ${JSON.stringify(file)} }`, join(tmpdir(), 'snap.yaml'));
    const r = await runSimulation({
      scenario,
      intent: { commit: 'c1', message: 'test', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] },
      catalog: loadShippedCatalog(),
      root: process.cwd(),
      instanceTypeFilter: (t) => t.name.startsWith('m6i.'),
    });
    expect(r.errors).toEqual([]);
    const zones = ['pg-0', 'pg-1'].map((n) => r.world.api.cache.get('Node', r.world.api.cache.get('Pod', n, 'db')!.spec.nodeName!)?.metadata.labels?.[ZONE]);
    expect(zones).toEqual(['us-east-1a', 'us-east-1b']);
  }, 60_000);

  test('a snapshot pod whose claim the snapshot lacks is refused naming the pod, the claim and the command that lists them', async () => {
    const file = statefulSnapshot(false);
    await expect(loadSnapshot(file)).rejects.toThrow(
      `${file}: items[0].spec.volumes: pod db/pg-0 uses PersistentVolumeClaim db/data-pg-0, which the snapshot does not hold; list the storage objects too: kubectl get pods,nodes,daemonsets,pdb,persistentvolumeclaims,persistentvolumes,storageclasses -A -o json`,
    );
  });
});
