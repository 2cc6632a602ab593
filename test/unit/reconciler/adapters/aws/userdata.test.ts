// User data per AMI family: what the kubelet will register with. The AL2023 and AL2
// outputs are read back with the test environment's kubelet-flag parser (the one its
// node-join simulator uses), so the labels and taints provably reach the node.
import { parse } from 'yaml';
import { bootstrapUserData, mimeParts, registrationLabels, UserDataError } from '../../../../../reconciler/adapters/aws/userdata.ts';
import { registrationLabelsOf, registrationTaints } from '../../../../../reconciler/adapters/aws/provider.ts';
import { nodeKubeletConfig } from '../../../../../reconciler/adapters/aws/kubelet-config.ts';
import { kubeletConfigFromUserData } from '../../../../env/kubelet-allocatable.ts';
import { kubeletFlagsFromUserData } from '../../../../env/node-join.ts';

const cluster = { name: 'prod', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', certificateAuthority: 'Q0EK', serviceCidr: '10.100.0.0/16', dnsClusterIP: '10.100.0.10' };
const labels = { 'karpenter.sh/nodepool': 'web', 'example.com/team': 'payments', 'node-restriction.kubernetes.io/x': 'no', 'kubernetes.io/arch': 'amd64' };
const taints = registrationTaints([{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }], [{ key: 'cilium.io/agent-not-ready', effect: 'NoExecute' }]);

describe('registrationTaints', () => {
  test('the claim\'s taints, its startup taints, and karpenter.sh/unregistered, once each', () => {
    expect(taints.map((t) => `${t.key}:${t.effect}`)).toEqual(['dedicated:NoSchedule', 'cilium.io/agent-not-ready:NoExecute', 'karpenter.sh/unregistered:NoExecute']);
    expect(registrationTaints([{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }], undefined)).toHaveLength(1);
  });
});

describe('registrationLabelsOf', () => {
  test('the policy commit is left out (a launch template per commit otherwise); the rest stays', () => {
    expect(registrationLabelsOf({ 'joinery.dev/policy-commit': 'abc', 'karpenter.sh/nodepool': 'web' })).toEqual({ 'karpenter.sh/nodepool': 'web' });
  });
});

describe('registrationLabels', () => {
  test('labels in kubernetes.io domains the kubelet may not set are left to the lifecycle controller', () => {
    expect(Object.fromEntries(registrationLabels(labels))).toEqual({ 'karpenter.sh/nodepool': 'web', 'example.com/team': 'payments', 'kubernetes.io/arch': 'amd64' });
  });
});

/** A 4-vCPU node with 58 pods (m5.xlarge) under a class that sets maxPods only. */
const m5xlarge = nodeKubeletConfig({ maxPods: 58 }, { capacity: { cpu: 4000, pods: 58 } });

/** Every kubelet field of an EC2NodeClass, as a policy sets them. */
const everySetting = {
  maxPods: 40,
  podsPerCore: 8,
  systemReserved: { cpu: '100m', memory: '200Mi' },
  kubeReserved: { memory: '600Mi' },
  evictionHard: { 'memory.available': '5%' },
  evictionSoft: { 'memory.available': '500Mi', 'nodefs.available': '15%' },
  evictionSoftGracePeriod: { 'memory.available': '1m30s', 'nodefs.available': '2m' },
  evictionMaxPodGracePeriod: 60,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 70,
  cpuCFSQuota: false,
  clusterDNS: ['10.100.0.53', '10.100.0.54'],
};
/** What the node of a 4-vCPU type with 32 predicted pods (min(40, 8 x 4)) must run with. */
const expectedOnNode = {
  maxPods: 32,
  systemReserved: { cpu: '100m', memory: '200Mi' },
  // The EKS defaults for the keys the class leaves out, written out.
  kubeReserved: { cpu: '80m', memory: '600Mi', 'ephemeral-storage': '1Gi' },
  // The kubelet's defaults for the signals the class leaves out, written out.
  evictionHard: { 'memory.available': '5%', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%' },
  evictionSoft: { 'memory.available': '500Mi', 'nodefs.available': '15%' },
  evictionSoftGracePeriod: { 'memory.available': '1m30s', 'nodefs.available': '2m0s' },
  evictionMaxPodGracePeriod: 60,
  imageGCHighThresholdPercent: 85,
  imageGCLowThresholdPercent: 70,
  cpuCFSQuota: false,
  clusterDNS: ['10.100.0.53', '10.100.0.54'],
};

describe('every kubelet setting of the EC2NodeClass reaches the node', () => {
  const kubelet = nodeKubeletConfig(everySetting, { capacity: { cpu: 4000, pods: 32 } });
  test('AL2023, AL2 and Bottlerocket: the kubelet reads back each setting (Bottlerocket, which has no pods-per-core, gets its effect in max-pods)', () => {
    for (const family of ['AL2023', 'AL2'] as const) {
      const ud = bootstrapUserData({ family, cluster, labels, taints, kubelet, nodeClassName: 'default' });
      expect(kubeletConfigFromUserData(ud)).toEqual({ family, ...expectedOnNode, podsPerCore: 8, ...(family === 'AL2' ? { kubeReservedReplaces: true } : {}) });
    }
    const ud = bootstrapUserData({ family: 'Bottlerocket', cluster, labels, taints, kubelet, nodeClassName: 'default' });
    expect(kubeletConfigFromUserData(ud)).toEqual({ family: 'Bottlerocket', ...expectedOnNode });
    expect(ud).toContain('image-gc-high-threshold-percent = "85"');
    expect(ud).toContain('[settings.kubernetes.eviction-hard]\n"imagefs.available" = "15%"');
  });
  test('the class\'s clusterDNS wins over the cluster\'s kube-dns address', () => {
    const ud = bootstrapUserData({ family: 'AL2', cluster, labels, taints, kubelet: nodeKubeletConfig({ clusterDNS: ['169.254.20.10'] }, { capacity: { cpu: 2000, pods: 29 } }), nodeClassName: 'd' });
    expect(ud).toContain("--dns-cluster-ip '169.254.20.10'");
    expect(ud).not.toContain('10.100.0.10');
  });
});

describe('AL2023 (nodeadm)', () => {
  const ud = bootstrapUserData({ family: 'AL2023', cluster, labels, taints, kubelet: m5xlarge, nodeClassName: 'default' });
  const nodeConfig = () => parse(mimeParts(ud, 'default').find((p) => p.contentType === 'application/node.eks.aws')!.body) as {
    spec: { cluster: Record<string, string>; kubelet: { config: Record<string, unknown>; flags: string[] } };
  };

  test('a NodeConfig with the cluster, the kubelet config and flags', () => {
    const c = nodeConfig();
    expect(c.spec.cluster).toEqual({ apiServerEndpoint: cluster.endpoint, certificateAuthority: 'Q0EK', cidr: '10.100.0.0/16', name: 'prod' });
    expect(c.spec.kubelet.config).toEqual({ maxPods: 58, kubeReserved: { cpu: '80m', memory: '893Mi', 'ephemeral-storage': '1Gi' }, clusterDNS: ['10.100.0.10'] });
    expect(c.spec.kubelet.flags).toHaveLength(2);
  });

  test('the kubelet registers with the labels and taints', () => {
    const flags = kubeletFlagsFromUserData(ud);
    expect(flags.labels).toEqual({ 'example.com/team': 'payments', 'karpenter.sh/nodepool': 'web', 'kubernetes.io/arch': 'amd64' });
    expect(flags.taints).toEqual([
      { key: 'dedicated', value: 'web', effect: 'NoSchedule' },
      { key: 'cilium.io/agent-not-ready', effect: 'NoExecute' },
      { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
    ]);
  });

  test('the class\'s own user data comes first, as MIME parts', () => {
    const custom = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n--BOUNDARY\nContent-Type: text/x-shellscript\n\n#!/bin/bash\necho hi\n--BOUNDARY--\n';
    const merged = bootstrapUserData({ family: 'AL2023', cluster, labels, taints, customUserData: custom, nodeClassName: 'default' });
    expect(mimeParts(merged, 'default').map((p) => p.contentType)).toEqual(['text/x-shellscript', 'application/node.eks.aws']);
    expect(mimeParts(merged, 'default')[0]?.body).toBe('#!/bin/bash\necho hi');
  });
});

describe('AL2 (bootstrap.sh)', () => {
  test('bootstrap.sh with the cluster, and kubelet flags the kubelet reads back', () => {
    const ud = bootstrapUserData({ family: 'AL2', cluster, labels, taints, kubelet: nodeKubeletConfig({}, { capacity: { cpu: 2000, pods: 29 } }), nodeClassName: 'default' });
    expect(ud).toContain("/etc/eks/bootstrap.sh 'prod' --apiserver-endpoint 'https://ABC.gr7.us-east-1.eks.amazonaws.com' --b64-cluster-ca 'Q0EK'");
    expect(ud).toContain('--use-max-pods false');
    const flags = kubeletFlagsFromUserData(ud);
    expect(flags.labels['karpenter.sh/nodepool']).toBe('web');
    expect(flags.taints.map((t) => t.key)).toContain('karpenter.sh/unregistered');
    expect(ud).toContain('--max-pods=29');
  });
});

describe('Bottlerocket and Custom', () => {
  test('Bottlerocket settings carry labels and taints as TOML tables', () => {
    const ud = bootstrapUserData({ family: 'Bottlerocket', cluster, labels, taints, nodeClassName: 'default' });
    expect(ud).toContain('[settings.kubernetes.node-labels]\n"example.com/team" = "payments"');
    expect(ud).toContain('"karpenter.sh/unregistered" = [":NoExecute"]');
    expect(ud).toContain('"dedicated" = ["web:NoSchedule"]');
  });

  test('Bottlerocket user data that defines the same tables is refused, naming the class and field', () => {
    expect(() =>
      bootstrapUserData({ family: 'Bottlerocket', cluster, labels, taints, customUserData: '[settings.kubernetes.node-labels]\nfoo = "bar"\n', nodeClassName: 'gpu' }),
    ).toThrow(new UserDataError('gpu', 'defines [settings.kubernetes.node-labels], which joinery writes for Bottlerocket', 'move those settings into the EC2NodeClass (kubelet, NodePool labels and taints) or use amiFamily Custom'));
  });

  test('Custom is the class\'s user data, verbatim', () => {
    expect(bootstrapUserData({ family: 'Custom', cluster, labels, taints, customUserData: '#!/bin/sh\nexit 0\n', nodeClassName: 'c' })).toBe('#!/bin/sh\nexit 0\n');
  });
});
