// The Node the node-join simulator registers for an instance, as a kubelet would: a node
// launched with karpenter.sh/unregistered is NotReady, and not kwok's, until that taint is
// lifted (kubernetes/kubernetes#119862); any other node is kwok's, Ready at once.
import { AWAITING_REGISTRATION_ANNOTATION, KWOK_MANAGED_ANNOTATION, nodeForInstance, readyToHandOver, type BootedInstance, type InstanceTypeFacts } from '../../../env/node-join.ts';

const type: InstanceTypeFacts = { name: 'm5.large', vcpu: 2, memoryMiB: 8192, arch: 'amd64', maxNetworkInterfaces: 3, ipv4PerInterface: 10 };
const instance = (userData?: string): BootedInstance => ({
  instanceId: 'i-0123',
  instanceType: 'm5.large',
  zone: 'us-east-1a',
  region: 'us-east-1',
  privateDnsName: 'ip-10-0-0-1.ec2.internal',
  capacityType: 'on-demand',
  tags: {},
  userData,
});
const withUnregistered = "      - --register-with-taints=karpenter.sh/unregistered:NoExecute\n";

describe('nodeForInstance', () => {
  test('registered with karpenter.sh/unregistered: NotReady, not-ready:NoSchedule, awaiting the taint\'s removal (not kwok\'s yet)', () => {
    const node = nodeForInstance(instance(withUnregistered), type, 'v1.33.13');
    expect(node.metadata.annotations?.[KWOK_MANAGED_ANNOTATION.key]).toBeUndefined();
    expect(node.metadata.annotations?.[AWAITING_REGISTRATION_ANNOTATION]).toBe('true');
    expect(node.spec?.taints).toEqual([
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    expect(node.status?.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'False', reason: 'KubeletNotReady' })]);
    expect(readyToHandOver(node)).toBe(false);
    // The reconciler lifts the taint: now kwok takes it (and makes it Ready).
    expect(readyToHandOver({ ...node, spec: { ...node.spec, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] } })).toBe(true);
  });

  test('without it (a node group\'s instance): kwok\'s at once, no Ready condition of its own, never handed over', () => {
    const node = nodeForInstance(instance(), type, 'v1.33.13');
    expect(node.metadata.annotations?.[KWOK_MANAGED_ANNOTATION.key]).toBe(KWOK_MANAGED_ANNOTATION.value);
    expect(node.metadata.annotations?.[AWAITING_REGISTRATION_ANNOTATION]).toBeUndefined();
    expect(node.spec?.taints).toBeUndefined();
    expect(node.status?.conditions).toBeUndefined();
    expect(readyToHandOver(node)).toBe(false);
  });
});
