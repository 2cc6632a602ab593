// The policy API renders the Karpenter v1 objects a platform engineer would write by hand.
import type { Construct } from 'constructs';
import { Ami, DiscoveryEC2NodeClass, EC2NodeClass, GpuNodePool, NodePool, SpotBatchNodePool } from '../../../../compiler/api/index.ts';
import type { NodePool as NodePoolManifest } from '../../../../core/api/karpenter.ts';
import { compileInMemory } from '../helpers.ts';

function nodeClass(scope: Construct): EC2NodeClass {
  return new EC2NodeClass(scope, 'default', {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-test',
    subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  });
}

function onlyPool(build: (scope: Construct) => void): NodePoolManifest {
  const result = compileInMemory({ 'policies/test.ts': build });
  expect(result.model.nodePools).toHaveLength(1);
  return result.model.nodePools[0]!.manifest;
}

describe('NodePool', () => {
  test('ranges become Gt/Lt requirements (memory in MiB), sorted by key, values sorted', () => {
    const pool = onlyPool((p) =>
      new NodePool(p, 'pool', {
        nodeClass: nodeClass(p),
        instances: { families: ['m7i', 'c7i'], cpu: { min: 4, max: 32 }, memory: { min: '16Gi' }, generation: { min: 6 } },
        zones: ['us-east-1b', 'us-east-1a'],
        capacityTypes: ['spot', 'on-demand'],
      }),
    );
    expect(pool.spec.template.spec.requirements).toEqual([
      { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gt', values: ['3'] },
      { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lt', values: ['33'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c7i', 'm7i'] },
      { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['5'] },
      { key: 'karpenter.k8s.aws/instance-memory', operator: 'Gt', values: ['16383'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] },
      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a', 'us-east-1b'] },
    ]);
  });

  test('minValues applies to the listed values, or becomes Exists with minValues', () => {
    const pool = onlyPool((p) =>
      new NodePool(p, 'pool', { nodeClass: nodeClass(p), instances: { categories: ['c', 'm', 'r'], minValues: { categories: 2, families: 5 } } }),
    );
    expect(pool.spec.template.spec.requirements).toEqual([
      { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'], minValues: 2 },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 5 },
    ]);
  });

  test('limits with typed units, disruption budgets, durations, taints and the node class by construct', () => {
    const pool = onlyPool((p) =>
      new NodePool(p, 'pool', {
        nodeClass: nodeClass(p),
        instances: { categories: ['m'] },
        limits: { cpu: 1000, memory: '4000Gi', nodes: 50, gpus: 8, resources: { 'aws.amazon.com/neuron': 4 } },
        weight: 20,
        expireAfter: '720h',
        terminationGracePeriod: '48h',
        startupTaints: [{ key: 'node.cilium.io/agent-not-ready', effect: 'NoExecute' }],
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', budgets: [{ nodes: '10%' }, { nodes: 0, schedule: '0 9 * * mon-fri', duration: '8h', reasons: ['Drifted'] }] },
      }),
    );
    expect(pool.spec).toMatchObject({
      limits: { cpu: 1000, memory: '4000Gi', nodes: 50, 'nvidia.com/gpu': 8, 'aws.amazon.com/neuron': 4 },
      weight: 20,
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', budgets: [{ nodes: '10%' }, { nodes: '0', schedule: '0 9 * * mon-fri', duration: '8h', reasons: ['Drifted'] }] },
      template: { spec: { expireAfter: '720h', terminationGracePeriod: '48h', nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, startupTaints: [{ key: 'node.cilium.io/agent-not-ready', effect: 'NoExecute' }] } },
    });
  });

  test('presets: the GPU pool carries its taint; the spot batch pool is spot-only, tainted, with family flexibility', () => {
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nodes = nodeClass(p);
        new GpuNodePool(p, 'gpu', { nodeClass: nodes, limits: { gpus: 8 } });
        new SpotBatchNodePool(p, 'batch', { nodeClass: nodes, limits: { cpu: 100 } });
      },
    });
    const pools = Object.fromEntries(result.model.nodePools.map((pool) => [pool.name, pool.manifest]));
    expect(pools.gpu!.spec.template.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    expect(pools.batch!.spec.template.spec.requirements).toEqual(
      expect.arrayContaining([
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
        { key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 5 },
      ]),
    );
    expect(pools.batch!.spec.template.spec.taints).toEqual([{ key: 'joinery.dev/workload', value: 'batch', effect: 'NoSchedule' }]);
  });

  test('a preset default is overridden by the same prop, instance selection per field', () => {
    const pool = onlyPool((p) => new SpotBatchNodePool(p, 'batch', { nodeClass: nodeClass(p), limits: { cpu: 100 }, capacityTypes: ['spot', 'on-demand'], instances: { categories: ['c'] } }));
    const requirements = pool.spec.template.spec.requirements;
    expect(requirements).toContainEqual({ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] });
    expect(requirements).toContainEqual({ key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c'] });
    expect(requirements).toContainEqual({ key: 'karpenter.k8s.aws/instance-family', operator: 'Exists', minValues: 5 });
  });
});

describe('EC2NodeClass', () => {
  test('DiscoveryEC2NodeClass: discovery tags, IMDSv2 with hop limit 1, encrypted gp3 root volume', () => {
    const result = compileInMemory({
      'policies/test.ts': (p) => new DiscoveryEC2NodeClass(p, 'nodes', { clusterName: 'prod', role: 'KarpenterNodeRole-prod', ami: Ami.alias('bottlerocket', 'v1.30.0'), kubelet: { maxPods: 110, systemReserved: { cpu: '100m' } } }),
    });
    // A class alone: no pool is expected here; systemReserved is refused (field-not-honoured) but still passed through.
    expect(result.diagnostics.filter((d) => d.code !== 'no-node-pools' && d.code !== 'field-not-honoured')).toEqual([]);
    expect(result.model.ec2NodeClasses[0]!.manifest.spec).toEqual({
      amiSelectorTerms: [{ alias: 'bottlerocket@v1.30.0' }],
      role: 'KarpenterNodeRole-prod',
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'prod' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'prod' } }],
      metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
      blockDeviceMappings: [{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '100Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } }],
      kubelet: { maxPods: 110, systemReserved: { cpu: '100m' } },
      tags: { 'joinery.dev/cluster': 'prod' },
    });
  });

  test('AMIs by selector terms carry the family; any other spec field passes through', () => {
    const result = compileInMemory({
      'policies/test.ts': (p) =>
        new EC2NodeClass(p, 'custom', {
          ami: Ami.select('AL2023', { tags: { team: 'platform' } }, { name: 'golden-*' }),
          instanceProfile: 'NodeProfile',
          subnets: [{ id: 'subnet-0123456789abcdef0' }],
          securityGroups: [{ name: 'nodes' }],
          spec: { placementGroupSelector: { name: 'spread' } },
        }),
    });
    // The construct passes these through; the compile refuses those the reconciler does not act on yet.
    expect(result.diagnostics.filter((d) => d.code !== 'no-node-pools' && d.code !== 'field-not-honoured')).toEqual([]);
    expect(result.model.ec2NodeClasses[0]!.manifest.spec).toMatchObject({
      amiFamily: 'AL2023',
      amiSelectorTerms: [{ tags: { team: 'platform' } }, { name: 'golden-*' }],
      instanceProfile: 'NodeProfile',
      placementGroupSelector: { name: 'spread' },
    });
  });
});
