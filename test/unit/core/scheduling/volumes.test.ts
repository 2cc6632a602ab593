import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../../../core/api/k8s.ts';
import { describeVolumeTerms, VolumeIndex, volumeAlternatives, type VolumeObjects } from '../../../../core/scheduling/volumes.ts';
import { pod } from '../fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';

const claim = (name: string, spec: PersistentVolumeClaim['spec'], extra: Partial<PersistentVolumeClaim['metadata']> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', ...extra },
  spec,
});
const zonalPv = (name: string, key: string, zones: string[]): PersistentVolume => ({
  metadata: { name },
  spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values: zones }] }] } } },
});
const sc = (name: string, mode: string | undefined, zones?: string[]): StorageClass => ({
  metadata: { name },
  provisioner: 'ebs.csi.aws.com',
  ...(mode ? { volumeBindingMode: mode } : {}),
  ...(zones ? { allowedTopologies: [{ matchLabelExpressions: [{ key: ZONE, values: zones }] }] } : {}),
});
const withClaims = (name: string, ...claims: string[]): Pod =>
  pod('1', '1Gi', { name, spec: { volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } });

const objects = (o: Partial<VolumeObjects>): VolumeObjects => ({ claims: [], volumes: [], storageClasses: [], ...o });
const zonesOf = (index: VolumeIndex, p: Pod) => volumeAlternatives(index.of(p).constraints).map((r) => r.get(ZONE).finiteValues());

describe('volume topology of a pod', () => {
  it('a claim bound to a PersistentVolume with zone node affinity restricts the pod to that zone', () => {
    const index = new VolumeIndex(objects({ claims: [claim('data', { volumeName: 'pv-1' })], volumes: [zonalPv('pv-1', ZONE, ['us-east-1b'])] }));
    const v = index.of(withClaims('db', 'data'));
    expect(v.blocked).toBeUndefined();
    expect(v.constraints).toHaveLength(1);
    expect(v.constraints[0]!.source).toBe('volume v0 (claim default/data, bound to PersistentVolume pv-1)');
    expect(describeVolumeTerms(v.constraints[0]!)).toBe(`${ZONE} In [us-east-1b]`);
  });

  it('reads the EBS CSI and beta zone keys, and the zone labels of the volume (VolumeZone, "__" joins zones), as topology.kubernetes.io/zone', () => {
    const labelled: PersistentVolume = { metadata: { name: 'pv-l', labels: { 'failure-domain.beta.kubernetes.io/zone': 'us-east-1a__us-east-1c' } } };
    const index = new VolumeIndex(
      objects({
        claims: [claim('csi', { volumeName: 'pv-csi' }), claim('old', { volumeName: 'pv-l' })],
        volumes: [zonalPv('pv-csi', 'topology.ebs.csi.aws.com/zone', ['us-east-1c']), labelled],
      }),
    );
    expect(zonesOf(index, withClaims('a', 'csi'))).toEqual([['us-east-1c']]);
    expect(zonesOf(index, withClaims('b', 'old'))).toEqual([['us-east-1a', 'us-east-1c']]);
    // Both at once: only the zone they share.
    expect(zonesOf(index, withClaims('c', 'csi', 'old'))).toEqual([['us-east-1c']]);
  });

  it('an unbound WaitForFirstConsumer claim is restricted to the allowedTopologies of its class; without them, not at all', () => {
    const index = new VolumeIndex(
      objects({
        claims: [claim('scratch', { storageClassName: 'gp3-1a' }), claim('free', { storageClassName: 'gp3' })],
        storageClasses: [sc('gp3-1a', 'WaitForFirstConsumer', ['us-east-1a']), sc('gp3', 'WaitForFirstConsumer')],
      }),
    );
    expect(zonesOf(index, withClaims('a', 'scratch'))).toEqual([['us-east-1a']]);
    expect(index.of(withClaims('a', 'scratch')).constraints[0]!.source).toBe('volume v0 (claim default/scratch, StorageClass gp3-1a) allowedTopologies');
    expect(index.of(withClaims('b', 'free'))).toEqual({ constraints: [], blocked: undefined });
  });

  it('an unbound claim that binds immediately, or a missing claim, class or volume, blocks the pod with a reason naming it', () => {
    const index = new VolumeIndex(
      objects({
        claims: [
          claim('now', { storageClassName: 'gp2' }),
          claim('classless', {}),
          claim('lost', { volumeName: 'pv-gone' }),
          claim('nosc', { storageClassName: 'missing' }),
          claim('dying', { volumeName: 'pv-1' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
        ],
        volumes: [zonalPv('pv-1', ZONE, ['us-east-1a'])],
        storageClasses: [sc('gp2', undefined)],
      }),
    );
    expect(index.of(withClaims('a', 'now')).blocked).toBe(
      'volume v0 (claim default/now, StorageClass gp2): unbound, and the StorageClass binds immediately (volumeBindingMode Immediate); kube-scheduler does not schedule the pod until the claim is bound',
    );
    expect(index.of(withClaims('b', 'classless')).blocked).toMatch(/claim default\/classless\): unbound and without a StorageClass/);
    expect(index.of(withClaims('c', 'lost')).blocked).toMatch(/bound to PersistentVolume pv-gone\): the PersistentVolume does not exist/);
    expect(index.of(withClaims('d', 'nosc')).blocked).toMatch(/StorageClass missing\): the StorageClass does not exist/);
    expect(index.of(withClaims('e', 'dying')).blocked).toMatch(/claim default\/dying\): the PersistentVolumeClaim is being deleted/);
    expect(index.of(withClaims('f', 'absent')).blocked).toMatch(/claim default\/absent\): the PersistentVolumeClaim does not exist/);
  });

  it('a generic ephemeral volume reads claim <pod>-<volume>, or before it exists its template\'s class', () => {
    const eph = pod('1', '1Gi', {
      name: 'worker',
      spec: { volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { storageClassName: 'gp3-1a' } } } }] },
    });
    const before = new VolumeIndex(objects({ storageClasses: [sc('gp3-1a', 'WaitForFirstConsumer', ['us-east-1a'])] }));
    expect(zonesOf(before, eph)).toEqual([['us-east-1a']]);
    const after = new VolumeIndex(objects({ claims: [claim('worker-scratch', { volumeName: 'pv-9' })], volumes: [zonalPv('pv-9', ZONE, ['us-east-1c'])] }));
    expect(zonesOf(after, eph)).toEqual([['us-east-1c']]);
  });

  it('a malformed node affinity on the volume blocks the pod, naming the field', () => {
    const bad: PersistentVolume = {
      metadata: { name: 'pv-bad' },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'Near', values: ['x'] }] }] } } },
    };
    const index = new VolumeIndex(objects({ claims: [claim('data', { volumeName: 'pv-bad' })], volumes: [bad] }));
    expect(index.of(withClaims('a', 'data')).blocked).toMatch(/PersistentVolume pv-bad spec\.nodeAffinity\.required\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]/);
  });

  it('a pod without claims has no volume topology', () => {
    const index = new VolumeIndex(objects({}));
    expect(index.of(pod('1', '1Gi', { spec: { volumes: [{ name: 'cfg' }] } }))).toEqual({ constraints: [], blocked: undefined });
  });
});
