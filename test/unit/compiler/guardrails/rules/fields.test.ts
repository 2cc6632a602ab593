// field-not-honoured: a set field the reconciler does not act on fails the compile at the
// policy line, naming the field and the fix, and cannot be acknowledged; honoured fields
// compile quietly; every consolidationPolicy value (Balanced included) compiles.
import type { Construct } from 'constructs';
import { Ami, EC2NodeClass, NodePool, type EC2NodeClassProps, type NodePoolProps } from '../../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../../helpers.ts';

const FILE = 'test/unit/compiler/guardrails/rules/fields.test.ts';
const CLASS: EC2NodeClassProps = {
  ami: Ami.alias('al2023', 'v20250715'),
  role: 'KarpenterNodeRole-test',
  subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
};
const POOL: Omit<NodePoolProps, 'nodeClass'> = { instances: { categories: ['c', 'm'], generation: { min: 6 } }, limits: { cpu: 100 }, expireAfter: '720h' };

function compileWith(classProps: Partial<EC2NodeClassProps>, poolProps: Partial<NodePoolProps> = {}) {
  let classLine = 0;
  let poolLine = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      classLine = nextLine();
      const nodeClass: Construct & EC2NodeClass = new EC2NodeClass(p, 'default', { ...CLASS, ...classProps } as EC2NodeClassProps);
      poolLine = nextLine();
      new NodePool(p, 'pool', { nodeClass, ...POOL, ...poolProps } as NodePoolProps);
    },
  });
  return { result, classLine, poolLine, refused: findings(result.diagnostics, 'field-not-honoured') };
}

describe('refused fields', () => {
  const CLASS_CASES: [string, Partial<EC2NodeClassProps>][] = [
    ['spec.placementGroupSelector', { spec: { placementGroupSelector: { name: 'pg' } } }],
    ['spec.kubelet.containerLogMaxSize', { kubelet: { extra: { containerLogMaxSize: '50Mi' } } }],
  ];
  test.each(CLASS_CASES)('%s fails the compile at the EC2NodeClass line, naming the field and the fix', (field, props) => {
    const { result, classLine, refused } = compileWith(props);
    expect(result.ok).toBe(false);
    expect(refused).toEqual([
      expect.objectContaining({ severity: 'error', field, file: FILE, line: classLine, object: { kind: 'EC2NodeClass', name: 'default' }, fix: 'remove it, or run upstream Karpenter on this pool' }),
    ]);
    expect(refused[0]!.message).toContain(`${field} is not honoured by the joinery reconciler yet`);
  });


  test('spec.replicas (a static pool) compiles: the reconciler keeps the count', () => {
    const { result, refused } = compileWith({}, { replicas: 3, limits: { nodes: 4 } });
    expect(refused).toEqual([]);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('every consolidationPolicy compiles, Balanced included (the reconciler scores its moves)', () => {
    for (const policy of ['WhenEmpty', 'WhenEmptyOrUnderutilized', 'Balanced'] as const) {
      const { result, refused } = compileWith({}, { disruption: { consolidationPolicy: policy } });
      expect({ policy, refused }).toEqual({ policy, refused: [] });
      expect({ policy, ok: result.ok }).toEqual({ policy, ok: true });
    }
  });

  test('cannot be acknowledged: the acknowledgement is itself an error and the finding stays', () => {
    const { result, refused } = compileWith({ spec: { placementGroupSelector: { name: 'pg' } }, acknowledge: { 'field-not-honoured': 'we know' } } as unknown as Partial<EC2NodeClassProps>);
    expect(result.ok).toBe(false);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.acknowledged).toBeUndefined();
    expect(findings(result.diagnostics, 'invalid-acknowledgement')).toEqual([expect.objectContaining({ message: 'field-not-honoured cannot be acknowledged' })]);
  });
});

describe('honoured fields', () => {
  test('compile with no finding: every kubelet setting joinery writes to the node, block devices, metadata options, tags, user data, taints, weight, budgets', () => {
    const { result, refused } = compileWith(
      {
        kubelet: {
          maxPods: 58,
          podsPerCore: 10,
          systemReserved: { cpu: '100m' },
          kubeReserved: { memory: '1Gi' },
          evictionHard: { 'memory.available': '200Mi' },
          evictionSoft: { 'memory.available': '500Mi' },
          evictionSoftGracePeriod: { 'memory.available': '1m' },
          evictionMaxPodGracePeriod: 30,
          imageGCHighThresholdPercent: 85,
          imageGCLowThresholdPercent: 80,
          cpuCFSQuota: false,
          clusterDNS: ['10.100.0.10'],
        },
        blockDeviceMappings: [{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '100Gi', volumeType: 'gp3', encrypted: true } }],
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
        tags: { team: 'data' },
        userData: '#!/bin/bash\necho hi',
      },
      {
        taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
        weight: 10,
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [{ nodes: '10%' }, { nodes: 0, schedule: '0 13 * * mon-fri', duration: '8h', reasons: ['Underutilized'] }] },
      },
    );
    expect(refused).toEqual([]);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
