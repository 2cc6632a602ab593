// Drift detection against the intent in force: our own hashes of the NodePool template
// and the EC2NodeClass, and the node's labels against the pool's requirements. Hashes of
// another version (e.g. written by upstream Karpenter) are never compared with ours.
import type { NodeClaim } from '../../../../core/api/karpenter.ts';
import { nodeClassHash, nodePoolHash, NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION } from '../../../../core/disruption/drift.ts';
import { InMemoryApiServer } from '../../../../reconciler/adapters/in-memory/apiserver.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { buildClusterState } from '../../../../reconciler/views/cluster-state.ts';
import { findDrift, indexIntent } from '../../../../reconciler/views/drift.ts';
import type { CloudDrift } from '../../../../reconciler/ports/cloud.ts';
import { nodeClass, nodePool, START } from '../../behaviour/fixtures.ts';

const pool = nodePool('general');
const cls = nodeClass('default', 'v20260101');

function claim(name: string, annotations: Record<string, string>, family = 'm6i'): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'general', 'karpenter.k8s.aws/instance-family': family, 'karpenter.sh/capacity-type': 'on-demand' }, annotations },
    spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] },
  };
}

function driftOf(c: NodeClaim, intent = { commit: 'x', nodePools: [pool], nodeClasses: [cls], acceptedAt: START }, cloudDrift?: ReadonlyMap<string, CloudDrift>) {
  const api = new InMemoryApiServer(new VirtualClock(START));
  api.create('NodeClaim', c);
  const state = buildClusterState(api.cache);
  return findDrift(state.nodes[0]!, indexIntent(intent), cloudDrift);
}

const ours = {
  'karpenter.sh/nodepool-hash': nodePoolHash(pool),
  'karpenter.sh/nodepool-hash-version': NODEPOOL_HASH_VERSION,
  'karpenter.k8s.aws/ec2nodeclass-hash': nodeClassHash(cls),
  'karpenter.k8s.aws/ec2nodeclass-hash-version': NODECLASS_HASH_VERSION,
};

describe('drift', () => {
  test('a node launched from the intent in force is not drifted', () => {
    expect(driftOf(claim('a', ours))).toBeUndefined();
  });

  test('an AMI change in the EC2NodeClass drifts nodes launched before it', () => {
    const newer = nodeClass('default', 'v20260201');
    expect(driftOf(claim('a', ours), { commit: 'y', nodePools: [pool], nodeClasses: [newer], acceptedAt: START })?.kind).toBe('NodeClassDrifted');
  });

  test('resolved values (AMI, subnet, security groups) that drifted count, after spec drift, for that claim only', () => {
    const ami: CloudDrift = { reason: 'AMIDrift', detail: 'AMI ami-1 is no longer one EC2NodeClass default resolves to (now ami-2 (amd64/standard))' };
    expect(driftOf(claim('a', ours), undefined, new Map([['a', ami]]))).toEqual({ kind: 'AMIDrift', detail: ami.detail });
    expect(driftOf(claim('a', ours), undefined, new Map([['b', ami]]))).toBeUndefined();
    const subnet: CloudDrift = { reason: 'SubnetDrift', detail: 'subnet subnet-1 no longer matches' };
    expect(driftOf(claim('a', ours), undefined, new Map([['a', subnet]]))?.kind).toBe('SubnetDrift');
    // A changed class is reported as such first (Karpenter asks its cloud provider last).
    const newer = nodeClass('default', 'v20260201');
    expect(driftOf(claim('a', ours), { commit: 'y', nodePools: [pool], nodeClasses: [newer], acceptedAt: START }, new Map([['a', ami]]))?.kind).toBe('NodeClassDrifted');
  });

  test('a requirement the node no longer satisfies drifts it; one it still satisfies does not', () => {
    const narrowed = nodePool('general', { requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m7i'] }] });
    const kept = nodePool('general', { requirements: [{ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i', 'm7i'] }] });
    const d = driftOf(claim('a', ours), { commit: 'y', nodePools: [narrowed], nodeClasses: [cls], acceptedAt: START });
    expect(d?.kind).toBe('RequirementsDrifted');
    expect(d?.detail).toContain('karpenter.k8s.aws/instance-family=m6i');
    expect(driftOf(claim('a', ours), { commit: 'y', nodePools: [kept], nodeClasses: [cls], acceptedAt: START })).toBeUndefined();
  });

  test('hashes written by upstream Karpenter (another version) are not compared with ours', () => {
    const upstream = {
      'karpenter.sh/nodepool-hash': '6821555240594823858',
      'karpenter.sh/nodepool-hash-version': 'v3',
      'karpenter.k8s.aws/ec2nodeclass-hash': '9734215087326781234',
      'karpenter.k8s.aws/ec2nodeclass-hash-version': 'v4',
    };
    expect(driftOf(claim('a', upstream))).toBeUndefined();
  });
});
