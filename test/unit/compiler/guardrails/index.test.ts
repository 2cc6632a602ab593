// Each guardrail fires on the policy it is about and stays quiet on a sound one; an
// acknowledgement turns an error into an accepted finding and is written into the manifest.
import type { Construct } from 'constructs';
import { Ami, EC2NodeClass, GeneralPurposeNodePool, GpuNodePool, NodePool, SpotBatchNodePool, type NodePoolProps } from '../../../../compiler/api/index.ts';
import { compileIntent } from '../../../../compiler/compile.ts';
import type { IntentModel } from '../../../../compiler/intent.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

function nodeClass(scope: Construct, name = 'default'): EC2NodeClass {
  return new EC2NodeClass(scope, name, {
    ami: Ami.alias('al2023', 'v20250715'),
    role: 'KarpenterNodeRole-test',
    subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
    securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  });
}

/** A pool that passes every guardrail; each test changes one thing. */
const SOUND: Omit<NodePoolProps, 'nodeClass'> = {
  instances: { categories: ['c', 'm'], generation: { min: 6 } },
  limits: { cpu: 100 },
  expireAfter: '720h',
};

function compilePool(props: Omit<NodePoolProps, 'nodeClass'>) {
  return compileInMemory({ 'policies/test.ts': (p) => new NodePool(p, 'pool', { nodeClass: nodeClass(p), ...props }) });
}

describe('a sound policy', () => {
  test('compiles without findings', () => {
    const result = compilePool(SOUND);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('the presets pass every guardrail', () => {
    const result = compileInMemory({
      'policies/presets.ts': (p) => {
        const nodes = nodeClass(p);
        new GeneralPurposeNodePool(p, 'general', { nodeClass: nodes, limits: { cpu: 1000 } });
        new GpuNodePool(p, 'gpu', { nodeClass: nodes, limits: { gpus: 16 } });
        new SpotBatchNodePool(p, 'batch', { nodeClass: nodes, limits: { cpu: 2000 } });
      },
    });
    expect(result.diagnostics).toEqual([]);
  });
});

describe('no-limits', () => {
  test('fires on a pool without limits, at the line that declares it', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nodes = nodeClass(p);
        line = nextLine();
        new NodePool(p, 'pool', { nodeClass: nodes, ...SOUND, limits: undefined });
      },
    });
    const [finding] = findings(result.diagnostics, 'no-limits');
    expect(finding).toMatchObject({ severity: 'error', field: 'spec.limits', object: { kind: 'NodePool', name: 'pool' }, file: 'test/unit/compiler/guardrails/index.test.ts', line });
    expect(finding!.fix).toMatch(/limits/);
    expect(result.ok).toBe(false);
  });

  test('an acknowledgement keeps the finding, accepts it and writes the reason into the manifest', () => {
    const reason = 'bounded by the account quota; reviewed by capacity team';
    const result = compilePool({ ...SOUND, limits: undefined, acknowledge: { 'no-limits': reason } });
    expect(findings(result.diagnostics, 'no-limits')).toEqual([expect.objectContaining({ acknowledged: reason })]);
    expect(result.ok).toBe(true);
    const file = result.files.find((f) => f.path === 'nodepools/pool.yaml')!;
    expect(file.content).toContain(`guardrails.joinery.dev/no-limits: "${reason}"`);
  });
});

describe('unrestricted-instance-selection', () => {
  test('fires on a pool with no category, family, size or type constraint, naming the most expensive type it admits', () => {
    const result = compilePool({ ...SOUND, instances: undefined });
    const [finding] = findings(result.diagnostics, 'unrestricted-instance-selection');
    expect(finding?.severity).toBe('error');
    expect(finding?.message).toMatch(/admits \d+ instance types, up to u7in-32tb\.224xlarge at \$\d+\/h/);
  });

  test('a family list, or a vCPU ceiling, is a restriction', () => {
    expect(findings(compilePool({ ...SOUND, instances: { families: ['m7i'] } }).diagnostics, 'unrestricted-instance-selection')).toEqual([]);
    expect(findings(compilePool({ ...SOUND, instances: { cpu: { max: 16 } } }).diagnostics, 'unrestricted-instance-selection')).toEqual([]);
  });
});

describe('accelerator-without-taint', () => {
  test('fires when GPU types are admitted and the pool has no NoSchedule taint', () => {
    const result = compilePool({ ...SOUND, instances: { categories: ['g'] } });
    const [finding] = findings(result.diagnostics, 'accelerator-without-taint');
    expect(finding).toMatchObject({ severity: 'error', field: 'spec.template.spec.taints' });
    expect(finding!.message).toMatch(/GPU or accelerator instance types \(g\d/);
  });

  test('does not fire with a NoSchedule taint, nor for a pool without accelerators', () => {
    const tainted = compilePool({ ...SOUND, instances: { categories: ['g'] }, taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] });
    expect(findings(tainted.diagnostics, 'accelerator-without-taint')).toEqual([]);
    expect(findings(compilePool(SOUND).diagnostics, 'accelerator-without-taint')).toEqual([]);
  });

  test('a PreferNoSchedule taint does not fence accelerators off', () => {
    const result = compilePool({ ...SOUND, instances: { categories: ['inf'] }, taints: [{ key: 'aws.amazon.com/neuron', effect: 'PreferNoSchedule' }] });
    expect(findings(result.diagnostics, 'accelerator-without-taint')).toHaveLength(1);
  });
});

describe('no-instance-types', () => {
  test('fires when the requirements exclude every type of the catalog', () => {
    const result = compilePool({ ...SOUND, instances: { families: ['m5'], cpu: { min: 200 } } });
    const [finding] = findings(result.diagnostics, 'no-instance-types');
    expect(finding).toMatchObject({ severity: 'error', field: 'spec.template.spec.requirements' });
    expect(finding!.message).toMatch(/admits no instance type of the us-east-1 catalog/);
  });

  test('says so when the zones are not in the catalog region', () => {
    const result = compilePool({ ...SOUND, zones: ['eu-west-1a'] });
    expect(findings(result.diagnostics, 'no-instance-types')[0]?.message).toMatch(/zones eu-west-1a are not in the us-east-1 catalog/);
  });

  test('does not fire when some type fits', () => {
    expect(findings(compilePool({ ...SOUND, instances: { families: ['m5'], cpu: { min: 4, max: 16 } } }).diagnostics, 'no-instance-types')).toEqual([]);
  });
});

describe('zone-without-instance-types', () => {
  test('warns about an allowed zone where none of the admitted types is offered', () => {
    const result = compilePool({ ...SOUND, instances: { families: ['m7i'] }, zones: ['us-east-1a', 'us-east-1e'] });
    const found = findings(result.diagnostics, 'zone-without-instance-types');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'warning' });
    expect(found[0]!.message).toMatch(/allows zone us-east-1e, where none of its \d+ instance types is offered/);
    expect(result.ok).toBe(true);
  });

  test('does not fire when every allowed zone offers some type', () => {
    expect(findings(compilePool({ ...SOUND, instances: { families: ['m7i'] }, zones: ['us-east-1a', 'us-east-1b'] }).diagnostics, 'zone-without-instance-types')).toEqual([]);
  });
});

describe('expireAfter', () => {
  test('missing: a warning', () => {
    const result = compilePool({ ...SOUND, expireAfter: undefined });
    expect(findings(result.diagnostics, 'expire-after-missing')).toEqual([expect.objectContaining({ severity: 'warning', field: 'spec.template.spec.expireAfter' })]);
    expect(result.ok).toBe(true);
  });

  test('shorter than one hour: an error; one hour is fine', () => {
    expect(findings(compilePool({ ...SOUND, expireAfter: '59m' }).diagnostics, 'expire-after-too-short')).toEqual([expect.objectContaining({ severity: 'error' })]);
    expect(findings(compilePool({ ...SOUND, expireAfter: '1h' }).diagnostics, 'expire-after-too-short')).toEqual([]);
  });

  test('Never: a warning', () => {
    expect(findings(compilePool({ ...SOUND, expireAfter: 'Never' }).diagnostics, 'expire-after-never')).toEqual([expect.objectContaining({ severity: 'warning' })]);
  });
});

describe('consolidation-disabled', () => {
  test('fires when consolidateAfter is Never and no reason is given', () => {
    const result = compilePool({ ...SOUND, disruption: { consolidateAfter: 'Never' } });
    expect(findings(result.diagnostics, 'consolidation-disabled')).toEqual([expect.objectContaining({ severity: 'error', field: 'spec.disruption.consolidateAfter' })]);
    expect(result.ok).toBe(false);
  });

  test('the reason is the acknowledgement; enabled consolidation does not fire', () => {
    const acknowledged = compilePool({ ...SOUND, disruption: { consolidateAfter: 'Never' }, acknowledge: { 'consolidation-disabled': 'stateful caches warm for hours' } });
    expect(acknowledged.ok).toBe(true);
    expect(findings(compilePool({ ...SOUND, disruption: { consolidateAfter: '5m' } }).diagnostics, 'consolidation-disabled')).toEqual([]);
  });
});

describe('budget-allows-full-disruption', () => {
  test('fires on 100% of nodes, and on a count at the pool node limit', () => {
    expect(findings(compilePool({ ...SOUND, disruption: { budgets: [{ nodes: '100%' }] } }).diagnostics, 'budget-allows-full-disruption')).toEqual([
      expect.objectContaining({ field: 'spec.disruption.budgets[0].nodes' }),
    ]);
    expect(findings(compilePool({ ...SOUND, limits: { cpu: 100, nodes: 10 }, disruption: { budgets: [{ nodes: '10%' }, { nodes: 10 }] } }).diagnostics, 'budget-allows-full-disruption')).toEqual([
      expect.objectContaining({ field: 'spec.disruption.budgets[1].nodes' }),
    ]);
  });

  test('does not fire for a fraction, nor for 100% of empty nodes only', () => {
    expect(findings(compilePool({ ...SOUND, disruption: { budgets: [{ nodes: '50%' }] } }).diagnostics, 'budget-allows-full-disruption')).toEqual([]);
    expect(findings(compilePool({ ...SOUND, disruption: { budgets: [{ nodes: '100%', reasons: ['Empty'] }] } }).diagnostics, 'budget-allows-full-disruption')).toEqual([]);
  });
});

describe('unknown-node-class', () => {
  const pool = {
    apiVersion: 'karpenter.sh/v1' as const,
    kind: 'NodePool' as const,
    metadata: { name: 'orphan' },
    spec: { limits: { cpu: 10 }, template: { spec: { expireAfter: '720h', nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'missing' }, requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m7i'] }] } } },
  };

  test('fires on a reference to an EC2NodeClass nobody defines', () => {
    const model: IntentModel = { nodePools: [{ kind: 'NodePool', name: 'orphan', manifest: pool, source: { file: 'generated/nodepools/orphan.yaml' }, policyFile: 'policies/x.ts' }], ec2NodeClasses: [] };
    const result = compileIntent(model);
    expect(findings(result.diagnostics, 'unknown-node-class')).toEqual([expect.objectContaining({ severity: 'error', field: 'spec.template.spec.nodeClassRef.name', file: 'generated/nodepools/orphan.yaml' })]);
  });

  test('EC2NodeClass.fromName records why the class is defined elsewhere, which acknowledges it', () => {
    const result = compileInMemory({ 'policies/test.ts': (p) => new NodePool(p, 'pool', { nodeClass: EC2NodeClass.fromName('legacy', 'owned by the platform team (cluster-bootstrap repo)'), ...SOUND }) });
    expect(findings(result.diagnostics, 'unknown-node-class')).toEqual([expect.objectContaining({ acknowledged: 'owned by the platform team (cluster-bootstrap repo)' })]);
    expect(result.ok).toBe(true);
  });
});

describe('duplicate-name', () => {
  test('fires when two policies declare NodePools of the same name', () => {
    const result = compileInMemory({
      'policies/a.ts': (p) => new NodePool(p, 'web', { nodeClass: nodeClass(p, 'a'), ...SOUND }),
      'policies/b.ts': (p) => new NodePool(p, 'web', { nodeClass: nodeClass(p, 'b'), ...SOUND }),
    });
    const [finding] = findings(result.diagnostics, 'duplicate-name');
    expect(finding).toMatchObject({ severity: 'error', object: { kind: 'NodePool', name: 'web' } });
    expect(finding!.message).toMatch(/also defined at test\/unit\/compiler\/guardrails\/index\.test\.ts:\d+/);
  });

  test('a NodePool and an EC2NodeClass may share a name', () => {
    const result = compileInMemory({ 'policies/a.ts': (p) => new NodePool(p, 'web', { nodeClass: nodeClass(p, 'web'), ...SOUND }) });
    expect(findings(result.diagnostics, 'duplicate-name')).toEqual([]);
  });
});

describe('contradictory-requirements', () => {
  test('fires when no node can satisfy the requirements on a key', () => {
    const result = compilePool({ ...SOUND, architectures: ['arm64'], requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] });
    const [finding] = findings(result.diagnostics, 'contradictory-requirements');
    expect(finding?.message).toMatch(/no node can satisfy the requirements on kubernetes\.io\/arch/);
    expect(result.ok).toBe(false);
  });

  test('fires on an inverted range; overlapping requirements are fine', () => {
    const inverted = compilePool({ ...SOUND, requirements: [{ key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gt', values: ['32'] }, { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lt', values: ['8'] }] });
    expect(findings(inverted.diagnostics, 'contradictory-requirements')).toHaveLength(1);
    const overlapping = compilePool({ ...SOUND, architectures: ['arm64', 'amd64'], requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] });
    expect(findings(overlapping.diagnostics, 'contradictory-requirements')).toEqual([]);
  });
});

describe('unknown-label-key', () => {
  test('fires on a misspelled well-known key, with the key it probably meant', () => {
    const result = compilePool({ ...SOUND, requirements: [{ key: 'karpenter.k8s.aws/instance-famly', operator: 'In', values: ['m7i'] }] });
    const [finding] = findings(result.diagnostics, 'unknown-label-key');
    // Requirements are written sorted by key: category, the misspelled family, generation.
    expect(finding).toMatchObject({ severity: 'error', field: 'spec.template.spec.requirements[1].key' });
    expect(finding!.fix).toMatch(/did you mean "karpenter\.k8s\.aws\/instance-family"/);
  });

  test('fires on a well-known key without its domain', () => {
    const result = compilePool({ ...SOUND, requirements: [{ key: 'capacity-type', operator: 'In', values: ['spot'] }] });
    expect(findings(result.diagnostics, 'unknown-label-key')[0]?.fix).toMatch(/karpenter\.sh\/capacity-type/);
  });

  test('custom labels in your own domain are fine', () => {
    const result = compilePool({ ...SOUND, requirements: [{ key: 'example.com/team', operator: 'In', values: ['payments'] }] });
    expect(findings(result.diagnostics, 'unknown-label-key')).toEqual([]);
  });
});

describe('locations', () => {
  test('a finding points at the line of the prop it is about when the policy writes it in the call', () => {
    let constructLine = 0;
    let propLine = 0;
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nodes = nodeClass(p);
        constructLine = nextLine();
        new NodePool(p, 'pool', {
          nodeClass: nodes,
          instances: { categories: ['m'] },
          limits: { cpu: 100 },
          expireAfter: ((propLine = nextLine() - 1), '30m'),
        });
      },
    });
    expect(findings(result.diagnostics, 'expire-after-too-short')).toEqual([expect.objectContaining({ file: 'test/unit/compiler/guardrails/index.test.ts', line: propLine })]);
    expect(propLine).toBe(constructLine + 4);
  });
});

describe('acknowledgements', () => {
  test('an acknowledgement with an empty reason is an error', () => {
    const result = compilePool({ ...SOUND, limits: undefined, acknowledge: { 'no-limits': ' ' } });
    expect(findings(result.diagnostics, 'invalid-acknowledgement')).toHaveLength(1);
    expect(findings(result.diagnostics, 'no-limits')[0]?.acknowledged).toBeUndefined();
    expect(result.ok).toBe(false);
  });
});

describe('network-interfaces-without-instance-types', () => {
  const EFA = [
    { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' as const },
    { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' as const },
  ];
  function efaClass(scope: Construct): EC2NodeClass {
    return new EC2NodeClass(scope, 'efa', {
      ami: Ami.alias('al2023', 'v20250715'),
      role: 'KarpenterNodeRole-test',
      subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
      spec: { networkInterfaces: EFA },
    });
  }

  test('EFA asked on a pool that admits no EFA type: an error at the pool, naming the class, a type and the fix', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nodes = efaClass(p);
        line = nextLine();
        new NodePool(p, 'pool', { nodeClass: nodes, ...SOUND, instances: { families: ['m5', 'c5'] } });
      },
    });
    const [finding] = findings(result.diagnostics, 'network-interfaces-without-instance-types');
    expect(finding).toMatchObject({ severity: 'error', field: 'spec.template.spec.requirements', object: { kind: 'NodePool', name: 'pool' }, file: 'test/unit/compiler/guardrails/index.test.ts', line });
    expect(finding!.message).toMatch(/none of which can take the network interfaces of EC2NodeClass "efa" \(1 EFA interface\(s\)\): c5\.\w+ does not support EFA/);
    expect(finding!.fix).toMatch(/admit EFA instance types/);
    expect(result.ok).toBe(false);
  });

  test('quiet when some admitted type takes the EFA interface (c5n.18xlarge), and for a class without networkInterfaces', () => {
    const efa = compileInMemory({ 'policies/test.ts': (p) => new NodePool(p, 'pool', { nodeClass: efaClass(p), ...SOUND, instances: { families: ['c5n', 'm5'] } }) });
    expect(findings(efa.diagnostics, 'network-interfaces-without-instance-types')).toEqual([]);
    expect(efa.ok).toBe(true);
    expect(findings(compilePool({ ...SOUND, instances: { families: ['m5'] } }).diagnostics, 'network-interfaces-without-instance-types')).toEqual([]);
  });
});
