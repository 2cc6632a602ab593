// Bad kubelet settings fail the compile at the policy line, naming the field and a fix:
// what the kubelet or Karpenter would reject on the node, found before the node exists.
import { Ami, EC2NodeClass, NodePool, type EC2NodeClassProps, type KubeletSettings } from '../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const FILE = 'test/unit/compiler/api/ec2nodeclass.test.ts';

function kubeletIssues(kubelet: KubeletSettings, ami = Ami.alias('al2023', 'v20250715')) {
  let line = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      line = nextLine();
      const nodeClass = new EC2NodeClass(p, 'nodes', {
        ami,
        role: 'KarpenterNodeRole-test',
        subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
        securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
        kubelet,
      } as EC2NodeClassProps);
      new NodePool(p, 'pool', { nodeClass, instances: { categories: ['m'] }, limits: { cpu: 100 }, expireAfter: '720h' });
    },
  });
  const issues = findings(result.diagnostics, 'invalid-value');
  for (const issue of issues) {
    expect(issue).toMatchObject({ severity: 'error', file: FILE, object: { kind: 'EC2NodeClass', name: 'nodes' } });
    expect(issue.line).toBeGreaterThanOrEqual(line);
  }
  // Diagnostics come sorted by field.
  return { ok: result.ok, errors: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), issues: issues.map((i) => ({ field: i.field, message: i.message, fix: i.fix })) };
}

describe('kubelet settings refused at compile time', () => {
  test('every field set well compiles', () => {
    const { errors, issues } = kubeletIssues({
      maxPods: 58,
      podsPerCore: 10,
      systemReserved: { cpu: '100m', memory: '100Mi' },
      kubeReserved: { cpu: '200m', 'ephemeral-storage': '2Gi', pid: '1000' },
      evictionHard: { 'memory.available': '5%', 'nodefs.available': '10%' },
      evictionSoft: { 'memory.available': '500Mi' },
      evictionSoftGracePeriod: { 'memory.available': '1m30s' },
      evictionMaxPodGracePeriod: 60,
      imageGCHighThresholdPercent: 85,
      imageGCLowThresholdPercent: 80,
      cpuCFSQuota: true,
      clusterDNS: ['10.100.0.10'],
    });
    expect(issues).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('imageGCLowThresholdPercent not below imageGCHighThresholdPercent', () => {
    expect(kubeletIssues({ imageGCHighThresholdPercent: 80, imageGCLowThresholdPercent: 80 }).issues).toEqual([
      { field: 'kubelet.imageGCLowThresholdPercent', message: 'must be lower than imageGCHighThresholdPercent', fix: 'e.g. high 85, low 80' },
    ]);
  });

  test('an unknown eviction signal, a threshold that is no quantity, a percentage over 100', () => {
    const { ok, issues } = kubeletIssues({ evictionHard: { 'memory.free': '1Gi', 'nodefs.available': 'lots', 'imagefs.available': '150%' } });
    expect(ok).toBe(false);
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      ['kubelet.evictionHard.imagefs.available', '"150%" is more than 100%'],
      ['kubelet.evictionHard.memory.free', expect.stringMatching(/^is not an eviction signal \(use one of memory\.available, nodefs\.available/)],
      ['kubelet.evictionHard.nodefs.available', '"lots" is neither a quantity ("100Mi") nor a percentage ("10%")'],
    ]);
  });

  test('a soft threshold without a grace period, and a grace period without a soft threshold', () => {
    expect(kubeletIssues({ evictionSoft: { 'memory.available': '1Gi' }, evictionSoftGracePeriod: { 'nodefs.available': '1m' } }).issues.map((i) => i.field)).toEqual([
      'kubelet.evictionSoft.memory.available',
      'kubelet.evictionSoftGracePeriod.nodefs.available',
    ]);
  });

  test('a reserved resource the kubelet does not know, and a clusterDNS that is no IP', () => {
    const { issues } = kubeletIssues({ kubeReserved: { gpu: '1' } as never, clusterDNS: ['kube-dns'] });
    expect(issues).toEqual([
      { field: 'kubelet.clusterDNS[0]', message: '"kube-dns" is not an IP address', fix: "give the DNS service's cluster IP, e.g. '10.100.0.10'" },
      { field: 'kubelet.kubeReserved.gpu', message: '"gpu" is not a resource the kubelet reserves', fix: 'use cpu, memory, ephemeral-storage, pid' },
    ]);
  });

  test('kubelet settings on a Custom AMI, whose user data joinery does not write', () => {
    expect(kubeletIssues({ maxPods: 20 }, Ami.select('Custom', { id: 'ami-0123456789abcdef0' })).issues).toEqual([
      expect.objectContaining({ field: 'kubelet', message: 'kubelet settings cannot reach a node of amiFamily Custom (its user data is used as given)' }),
    ]);
  });
});

describe('instanceStorePolicy', () => {
  function compileRaid0(ami: ReturnType<typeof Ami.alias> | ReturnType<typeof Ami.select>) {
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nodeClass = new EC2NodeClass(p, 'nodes', {
          ami,
          role: 'KarpenterNodeRole-test',
          subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
          securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
          instanceStorePolicy: 'RAID0',
        });
        new NodePool(p, 'pool', { nodeClass, instances: { categories: ['m'] }, limits: { cpu: 100 }, expireAfter: '720h' });
      },
    });
    return { ok: result.ok, issues: findings(result.diagnostics, 'invalid-value').map((i) => ({ field: i.field, file: i.file, message: i.message })) };
  }

  test('RAID0 compiles on AL2023 and Bottlerocket; on Custom it is refused, naming the file, field and why', () => {
    expect(compileRaid0(Ami.alias('al2023', 'v20250715'))).toEqual({ ok: true, issues: [] });
    expect(compileRaid0(Ami.select('Bottlerocket', { id: 'ami-0123456789abcdef0' }))).toEqual({ ok: true, issues: [] });
    expect(compileRaid0(Ami.select('Custom', { id: 'ami-0123456789abcdef0' }))).toEqual({
      ok: false,
      issues: [{ field: 'instanceStorePolicy', file: FILE, message: expect.stringContaining('RAID0 cannot reach a node of amiFamily Custom') }],
    });
  });
});

describe('capacity reservation terms', () => {
  function reservationIssues(capacityReservations: EC2NodeClassProps['capacityReservations']) {
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        nextLine();
        const nodeClass = new EC2NodeClass(p, 'nodes', {
          ami: Ami.alias('al2023', 'v20250715'),
          role: 'KarpenterNodeRole-test',
          subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
          securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
          capacityReservations,
        });
        new NodePool(p, 'pool', { nodeClass, instances: { categories: ['m'] }, capacityTypes: ['reserved', 'on-demand'], limits: { cpu: 100 }, expireAfter: '720h' });
      },
    });
    return { ok: result.ok, errors: result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.field}: ${d.message}`), issues: findings(result.diagnostics, 'invalid-value').map((i) => ({ field: i.field, message: i.message })) };
  }

  test('terms by id, by tags and owner, by match criteria compile (the reconciler honours them), with a pool allowing reserved capacity', () => {
    const { ok, errors } = reservationIssues([{ id: 'cr-0123456789abcdef0' }, { tags: { team: 'ml' }, ownerID: '123456789012' }, { instanceMatchCriteria: 'targeted' }]);
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
  });

  test('a term selecting nothing, an id with other fields, a malformed id or owner: refused at the policy line, naming the term', () => {
    const { ok, issues } = reservationIssues([{ ownerID: '123456789012' }, { id: 'cr-0123456789abcdef0', tags: { team: 'ml' } }, { id: 'r-12' }, { tags: { team: 'ml' }, ownerID: 'me' }]);
    expect(ok).toBe(false);
    expect(issues).toEqual([
      { field: 'capacityReservations[0]', message: 'a capacity reservation term selects nothing (no id, tags or instanceMatchCriteria)' },
      { field: 'capacityReservations[1]', message: 'id cannot be combined with tags, ownerID or instanceMatchCriteria in one term' },
      { field: 'capacityReservations[2].id', message: '"r-12" is not a capacity reservation id' },
      { field: 'capacityReservations[3].ownerID', message: '"me" is not a 12-digit AWS account id' },
    ]);
  });
});
