// The allocatable the solver predicts is the allocatable the kubelet reports: for
// instance types of the shipped catalog, AMI families and kubelet settings drawn at
// random, the user data a node gets is read back by the test environment's kubelet model
// (test/env/kubelet-allocatable.ts: the kubelet's and the AMIs' rules, not the solver's)
// and its capacity and allocatable are compared with the instance type the solver uses.
import fc from 'fast-check';
import { buildInstanceTypes, type InstanceType } from '../../../../../core/catalog/instance-types.ts';
import type { RawInstanceType } from '../../../../../core/catalog/raw-catalog.ts';
import { loadShippedCatalog } from '../../../../../data/catalog.ts';
import { kubeletSettings } from '../../../../../reconciler/adapters/aws/catalog.ts';
import { goDuration, KubeletConfigError, nodeKubeletConfig } from '../../../../../reconciler/adapters/aws/kubelet-config.ts';
import { bootstrapUserData } from '../../../../../reconciler/adapters/aws/userdata.ts';
import { kubeletConfigFromUserData, kubeletNodeResources } from '../../../../env/kubelet-allocatable.ts';

const cluster = { name: 'prod', endpoint: 'https://k8s.example', certificateAuthority: 'Q0EK', serviceCidr: '10.100.0.0/16', dnsClusterIP: '10.100.0.10' };
const GiB = 2 ** 30;
const priced = loadShippedCatalog().instanceTypes.filter((t) => t.onDemandPricePerHour != null);
const FAMILIES = ['AL2023', 'AL2', 'Bottlerocket'] as const;
type Family = (typeof FAMILIES)[number];

function predicted(raw: RawInstanceType, spec: Record<string, unknown>, rootBytes: number): InstanceType {
  const [type] = buildInstanceTypes({ meta: { region: 'us-east-1' }, instanceTypes: [raw] }, { kubelet: kubeletSettings(spec, rootBytes) });
  return type!;
}

/** What the kubelet reports on a node of `raw` booted with the user data joinery writes for it. */
function reported(family: Family, raw: RawInstanceType, spec: Record<string, unknown>, type: InstanceType, rootBytes: number) {
  const userData = bootstrapUserData({ family, cluster, labels: { 'karpenter.sh/nodepool': 'p' }, taints: [], kubelet: nodeKubeletConfig(spec, type), nodeClassName: 'c' });
  return kubeletNodeResources(raw, kubeletConfigFromUserData(userData), rootBytes);
}

const pick = <T extends object>(arb: fc.Arbitrary<T>) => arb;
const settingsArb = pick(
  fc.record(
    {
      maxPods: fc.integer({ min: 1, max: 250 }),
      podsPerCore: fc.integer({ min: 0, max: 20 }),
      kubeReserved: fc.record(
        { cpu: fc.integer({ min: 0, max: 2000 }).map((m) => `${m}m`), memory: fc.integer({ min: 0, max: 4096 }).map((m) => `${m}Mi`), 'ephemeral-storage': fc.integer({ min: 0, max: 5 }).map((g) => `${g}Gi`) },
        { requiredKeys: [] },
      ),
      systemReserved: fc.record(
        { cpu: fc.integer({ min: 0, max: 1000 }).map((m) => `${m}m`), memory: fc.oneof(fc.integer({ min: 0, max: 2048 }).map((m) => `${m}Mi`), fc.integer({ min: 0, max: 2 }).map((g) => `${g}G`)) },
        { requiredKeys: [] },
      ),
      evictionHard: fc.record(
        {
          'memory.available': fc.oneof(fc.integer({ min: 0, max: 1024 }).map((m) => `${m}Mi`), fc.integer({ min: 0, max: 20 }).map((p) => `${p}%`), fc.constantFrom('7.5%', '0.5%')),
          'nodefs.available': fc.oneof(fc.integer({ min: 0, max: 30 }).map((p) => `${p}%`), fc.integer({ min: 0, max: 4 }).map((g) => `${g}Gi`)),
          'nodefs.inodesFree': fc.constantFrom('5%', '10%'),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('the allocatable the solver predicts is the allocatable the kubelet reports', () => {
  test('across instance types, AMI families and kubelet settings (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FAMILIES),
        fc.integer({ min: 0, max: priced.length - 1 }),
        settingsArb,
        fc.integer({ min: 8, max: 500 }),
        (family, index, spec, rootGiB) => {
          const raw = priced[index]!;
          const rootBytes = rootGiB * GiB;
          const type = predicted(raw, spec, rootBytes);
          const node = reported(family, raw, spec, type, rootBytes);
          const pick4 = (r: Record<string, number | undefined>) => ({ cpu: r.cpu, memory: r.memory, 'ephemeral-storage': r['ephemeral-storage'], pods: r.pods });
          expect({ type: raw.name, family, capacity: pick4(node.capacity), allocatable: pick4(node.allocatable) }).toEqual({
            type: raw.name,
            family,
            capacity: pick4(type.capacity),
            allocatable: pick4(type.allocatable),
          });
        },
      ),
      { numRuns: 400, seed: 20261206 },
    );
  });

  test('every type of the shipped catalog, with no kubelet settings, on each family', () => {
    for (const family of FAMILIES) {
      const mismatches = priced.filter((raw) => {
        const type = predicted(raw, {}, 20 * GiB);
        const node = reported(family, raw, {}, type, 20 * GiB);
        return ['cpu', 'memory', 'ephemeral-storage', 'pods'].some((r) => node.allocatable[r as 'cpu'] !== type.allocatable[r]);
      });
      expect({ family, mismatches: mismatches.map((t) => t.name) }).toEqual({ family, mismatches: [] });
    }
  });

  test('without max-pods and kube-reserved written out, a large node would report less memory than predicted', () => {
    // m5.24xlarge: 737 pods by its ENIs, 250 predicted (the EKS cap); the AMI reserves 11Mi per ENI pod.
    const raw = priced.find((t) => t.name === 'm5.24xlarge')!;
    const type = predicted(raw, {}, 20 * GiB);
    const amiDefaults = kubeletNodeResources(raw, kubeletConfigFromUserData(bootstrapUserData({ family: 'AL2023', cluster, labels: {}, taints: [], nodeClassName: 'c' })));
    expect(type.allocatable.pods).toBe(250);
    expect(amiDefaults.allocatable.pods).toBe(737);
    expect(amiDefaults.allocatable.memory).toBeLessThan(type.allocatable.memory!);
    expect(reported('AL2023', raw, {}, type, 20 * GiB).allocatable.memory).toBe(type.allocatable.memory);
  });
});

describe('nodeKubeletConfig', () => {
  test('one config per distinct max pods and vCPU: types that share both share a launch template', () => {
    const a = nodeKubeletConfig({ kubeReserved: { cpu: '300m' } }, { capacity: { cpu: 4000, pods: 58 } });
    const b = nodeKubeletConfig({ kubeReserved: { cpu: '300m' } }, { capacity: { cpu: 4000, pods: 58 } });
    const c = nodeKubeletConfig({ kubeReserved: { cpu: '300m' } }, { capacity: { cpu: 4000, pods: 110 } });
    expect(a).toEqual(b);
    expect(a).toEqual({ maxPods: 58, kubeReserved: { cpu: '300m', memory: '893Mi', 'ephemeral-storage': '1Gi' } });
    expect(c.kubeReserved.memory).toBe('1465Mi');
  });
  test('grace periods as Go durations; a bad one names the class and the field', () => {
    expect([goDuration(90), goDuration(3600), goDuration(5)]).toEqual(['1m30s', '1h0m0s', '5s']);
    expect(() => nodeKubeletConfig({ evictionSoftGracePeriod: { 'memory.available': 'soon' } }, { capacity: { cpu: 2000, pods: 29 } }, 'batch')).toThrow(
      new KubeletConfigError('batch', 'spec.kubelet.evictionSoftGracePeriod.memory.available "soon" is not a duration'),
    );
  });
});
