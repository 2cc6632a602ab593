import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../../../core/api/k8s.ts';
import { AttachedVolumes, attachableVolumes } from '../../../../core/scheduling/volume-limits.ts';
import { VolumeIndex, type VolumeObjects } from '../../../../core/scheduling/volumes.ts';
import { pod } from '../fixtures.ts';

const claim = (name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec });
const csiPv = (name: string, driver: string): PersistentVolume => ({ metadata: { name }, spec: { csi: { driver, volumeHandle: `h-${name}` } } });
const sc = (name: string, provisioner: string, isDefault = false, created = '2026-01-01T00:00:00Z'): StorageClass => ({
  metadata: { name, creationTimestamp: created, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner,
  volumeBindingMode: 'WaitForFirstConsumer',
});
const withClaims = (name: string, ...claims: string[]): Pod =>
  pod('1', '1Gi', { name, spec: { volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } });
const objects = (o: Partial<VolumeObjects>): VolumeObjects => ({ claims: [], volumes: [], storageClasses: [], ...o });

describe('attachable volumes of a pod (which volumes count against CSI attach limits)', () => {
  it("a bound claim counts for its volume's CSI driver; the in-tree EBS source counts as ebs.csi.aws.com", () => {
    const index = new VolumeIndex(
      objects({
        claims: [claim('a', { volumeName: 'pv-a' }), claim('b', { volumeName: 'pv-b' })],
        volumes: [csiPv('pv-a', 'ebs.csi.aws.com'), { metadata: { name: 'pv-b' }, spec: { awsElasticBlockStore: { volumeID: 'vol-1' } } }],
      }),
    );
    expect(attachableVolumes(index, withClaims('p', 'a', 'b'))).toEqual([
      { driver: 'ebs.csi.aws.com', id: 'default/a' },
      { driver: 'ebs.csi.aws.com', id: 'default/b' },
    ]);
  });

  it("an unbound claim counts for its StorageClass's provisioner (in-tree names translated), a claim without a class for the default class's", () => {
    const index = new VolumeIndex(
      objects({
        claims: [claim('x', { storageClassName: 'old' }), claim('y', {}), claim('z', { storageClassName: 'efs' })],
        storageClasses: [sc('old', 'kubernetes.io/aws-ebs'), sc('gp3', 'ebs.csi.aws.com', true, '2026-01-02T00:00:00Z'), sc('gp2', 'kubernetes.io/aws-ebs', true), sc('efs', 'efs.csi.aws.com')],
      }),
    );
    expect(attachableVolumes(index, withClaims('p', 'x', 'y', 'z'))).toEqual([
      { driver: 'ebs.csi.aws.com', id: 'default/x' },
      { driver: 'ebs.csi.aws.com', id: 'default/y' },
      { driver: 'efs.csi.aws.com', id: 'default/z' },
    ]);
  });

  it("a generic ephemeral volume is the claim <pod>-<volume>, of its template's class before the claim exists; a volume with no driver to tell does not count", () => {
    const index = new VolumeIndex(objects({ claims: [claim('nothing', { volumeName: 'pv-host' })], volumes: [{ metadata: { name: 'pv-host' }, spec: {} }], storageClasses: [sc('gp3', 'ebs.csi.aws.com')] }));
    const p = pod('1', '1Gi', {
      name: 'web-0',
      spec: {
        volumes: [
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { storageClassName: 'gp3' } } } },
          { name: 'other', persistentVolumeClaim: { claimName: 'nothing' } },
          { name: 'config', configMap: { name: 'c' } } as never,
        ],
      },
    });
    expect(attachableVolumes(index, p)).toEqual([{ driver: 'ebs.csi.aws.com', id: 'default/web-0-scratch' }]);
  });
});

describe('attached volumes of a node', () => {
  it('refuses volumes that would exceed a driver limit, counting a volume already attached (or named twice) once', () => {
    const n = new AttachedVolumes({ 'ebs.csi.aws.com': 2 });
    n.add([{ driver: 'ebs.csi.aws.com', id: 'ns/a' }]);
    expect(n.exceeded([{ driver: 'ebs.csi.aws.com', id: 'ns/a' }, { driver: 'ebs.csi.aws.com', id: 'ns/b' }])).toBeUndefined();
    expect(n.exceeded([{ driver: 'ebs.csi.aws.com', id: 'ns/b' }, { driver: 'ebs.csi.aws.com', id: 'ns/b' }])).toBeUndefined();
    expect(n.exceeded([{ driver: 'ebs.csi.aws.com', id: 'ns/b' }, { driver: 'ebs.csi.aws.com', id: 'ns/c' }])).toEqual({ driver: 'ebs.csi.aws.com', count: 3, limit: 2 });
    // Another driver has no limit on the node.
    expect(n.exceeded([{ driver: 'efs.csi.aws.com', id: 'ns/x' }, { driver: 'efs.csi.aws.com', id: 'ns/y' }, { driver: 'efs.csi.aws.com', id: 'ns/z' }])).toBeUndefined();
    n.add([{ driver: 'ebs.csi.aws.com', id: 'ns/b' }]);
    expect(n.exceeded([{ driver: 'ebs.csi.aws.com', id: 'ns/c' }])).toEqual({ driver: 'ebs.csi.aws.com', count: 3, limit: 2 });
  });
});
