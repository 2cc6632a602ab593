// instanceStorePolicy: RAID0. The user data asks each AMI family to assemble the
// instance-store NVMe volumes into one RAID0 array under the kubelet and containerd, in the
// shape Karpenter writes (nodeadm `spec.instance.localStorage.strategy: RAID0`, bootstrap.sh
// `--local-disks raid0`, Bottlerocket's `000-mount-instance-storage` bootstrap command), and
// the ephemeral-storage the solver predicts for each type is the one the node reports: the
// test environment's node-join simulator (test/env/node-join.ts, the kubelet's rules, not the
// solver's) registers the Node from the instance type and that user data.
import { buildInstanceTypes, type InstanceType } from '../../../../../core/catalog/instance-types.ts';
import type { RawInstanceType } from '../../../../../core/catalog/raw-catalog.ts';
import { loadShippedCatalog } from '../../../../../data/catalog.ts';
import { kubeletSettings } from '../../../../../reconciler/adapters/aws/catalog.ts';
import { nodeKubeletConfig } from '../../../../../reconciler/adapters/aws/kubelet-config.ts';
import { blockDevices, rootVolumeBytes } from '../../../../../reconciler/adapters/aws/launch-templates.ts';
import { bootstrapUserData, UserDataError } from '../../../../../reconciler/adapters/aws/userdata.ts';
import type { EC2NodeClass } from '../../../../../core/api/karpenter.ts';
import { instanceStoreRaid0FromUserData } from '../../../../env/kubelet-allocatable.ts';
import { nodeForInstance } from '../../../../env/node-join.ts';

const cluster = { name: 'prod', endpoint: 'https://k8s.example', certificateAuthority: 'Q0EK', serviceCidr: '10.100.0.0/16', dnsClusterIP: '10.100.0.10' };
const FAMILIES = ['AL2023', 'AL2', 'Bottlerocket'] as const;
type Family = (typeof FAMILIES)[number];
const priced = loadShippedCatalog().instanceTypes.filter((t) => t.onDemandPricePerHour != null);
const noClass = { spec: {} } as EC2NodeClass;

function userData(family: Family, type: Pick<InstanceType, 'capacity'>, raid0: boolean, customUserData?: string): string {
  return bootstrapUserData({
    family,
    cluster,
    labels: { 'karpenter.sh/nodepool': 'p' },
    taints: [],
    kubelet: nodeKubeletConfig(undefined, type),
    nodeClassName: 'nvme',
    ...(raid0 ? { instanceStorePolicy: 'RAID0' as const } : {}),
    ...(customUserData ? { customUserData } : {}),
  });
}

function solverType(raw: RawInstanceType, family: Family, raid0: boolean): InstanceType {
  const settings = kubeletSettings(undefined, rootVolumeBytes(blockDevices(noClass, family)), raid0 ? 'RAID0' : undefined);
  return buildInstanceTypes({ meta: { region: 'us-east-1' }, instanceTypes: [raw] }, { kubelet: settings })[0]!;
}

function nodeEphemeral(raw: RawInstanceType, ud: string): { capacity: number; allocatable: number } {
  const node = nodeForInstance(
    { instanceId: 'i-1', instanceType: raw.name, zone: 'us-east-1a', region: 'us-east-1', capacityType: 'on-demand', tags: {}, userData: ud },
    { ...raw, arch: raw.arch as 'amd64' | 'arm64' },
    'v1.33.0',
  );
  const status = node.status as { capacity: Record<string, string>; allocatable: Record<string, string> };
  return { capacity: Number(status.capacity['ephemeral-storage']), allocatable: Number(status.allocatable['ephemeral-storage']) };
}

describe('instanceStorePolicy RAID0 in the user data, as Karpenter writes it per AMI family', () => {
  const m5d = solverType(priced.find((t) => t.name === 'm5d.large')!, 'AL2023', true);

  test('AL2023: the NodeConfig asks nodeadm for a RAID0 local storage strategy', () => {
    const ud = userData('AL2023', m5d, true);
    expect(ud).toContain('  instance:\n    localStorage:\n      strategy: RAID0\n');
    expect(instanceStoreRaid0FromUserData(ud)).toBe(true);
    expect(instanceStoreRaid0FromUserData(userData('AL2023', m5d, false))).toBe(false);
  });

  test('AL2: bootstrap.sh gets --local-disks raid0 after the kubelet flags, which still reach the kubelet', () => {
    const ud = userData('AL2', m5d, true);
    expect(ud).toMatch(/--kubelet-extra-args '[^']*--max-pods=\d+[^']*' \\\n--local-disks raid0\n/);
    expect(instanceStoreRaid0FromUserData(ud)).toBe(true);
    expect(instanceStoreRaid0FromUserData(userData('AL2', m5d, false))).toBe(false);
  });

  test("Bottlerocket: the 000-mount-instance-storage bootstrap command inits ephemeral storage and binds the kubelet's directories", () => {
    const ud = userData('Bottlerocket', m5d, true);
    expect(ud).toContain(
      '[settings.bootstrap-commands.000-mount-instance-storage]\ncommands = [["apiclient", "ephemeral-storage", "init"], ["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]]\nessential = true\nmode = "always"\n',
    );
    expect(instanceStoreRaid0FromUserData(ud)).toBe(true);
    expect(instanceStoreRaid0FromUserData(userData('Bottlerocket', m5d, false))).toBe(false);
    expect(() => userData('Bottlerocket', m5d, true, '[settings.bootstrap-commands.000-mount-instance-storage]\nmode = "once"')).toThrow(UserDataError);
  });
});

describe("the ephemeral storage the solver predicts is the node's", () => {
  test('every priced type of the shipped catalog, AL2023, AL2 and Bottlerocket, with and without RAID0', () => {
    let withStore = 0;
    for (const raw of priced) {
      for (const family of FAMILIES) {
        for (const raid0 of [true, false]) {
          const type = solverType(raw, family, raid0);
          const node = nodeEphemeral(raw, userData(family, type, raid0));
          expect({ type: raw.name, family, raid0, ...node }).toEqual({
            type: raw.name,
            family,
            raid0,
            capacity: type.capacity['ephemeral-storage'],
            allocatable: type.allocatable['ephemeral-storage'],
          });
        }
      }
      if (raw.instanceStorageGB) withStore++;
    }
    expect(withStore).toBeGreaterThan(100);
  });

  test('m5d.large with RAID0: 75 GB of instance store, not the 20Gi root volume; m5.large (no instance store) keeps the root volume', () => {
    const m5d = solverType(priced.find((t) => t.name === 'm5d.large')!, 'AL2023', true);
    expect(m5d.capacity['ephemeral-storage']).toBe(75e9);
    const m5 = solverType(priced.find((t) => t.name === 'm5.large')!, 'AL2023', true);
    expect(m5.capacity['ephemeral-storage']).toBe(20 * 2 ** 30);
    expect(solverType(priced.find((t) => t.name === 'm5d.large')!, 'AL2023', false).capacity['ephemeral-storage']).toBe(20 * 2 ** 30);
  });
});
