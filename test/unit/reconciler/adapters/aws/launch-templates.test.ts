// The launch template data an EC2NodeClass becomes: block devices, instance metadata
// options, a public IP, detailed monitoring and the instance profile, each from its field,
// with Karpenter's defaults when unset.
import type { EC2NodeClass } from '../../../../../core/api/karpenter.ts';
import { launchTemplateData, rootVolumeBytes, blockDevices } from '../../../../../reconciler/adapters/aws/launch-templates.ts';

function cls(spec: Partial<NonNullable<EC2NodeClass['spec']>>): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name: 'c' },
    spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }], subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }], role: 'r', ...spec },
  } as EC2NodeClass;
}
const base = { family: 'AL2023' as const, imageId: 'ami-1', securityGroupIds: ['sg-1'], userData: 'x' };

test('block device mappings: every ebs field is passed to EC2; the root volume sizes ephemeral storage', () => {
  const nodeClass = cls({
    blockDeviceMappings: [
      { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '100Gi', volumeType: 'gp3', iops: 4000, throughput: 250, encrypted: true, kmsKeyID: 'arn:kms', snapshotID: 'snap-1', deleteOnTermination: false } },
      { deviceName: '/dev/xvdb', ebs: { volumeSize: '10Gi' } },
    ],
  });
  const data = launchTemplateData({ ...base, nodeClass });
  expect(data.BlockDeviceMappings).toEqual([
    { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 100, VolumeType: 'gp3', Iops: 4000, Throughput: 250, Encrypted: true, KmsKeyId: 'arn:kms', SnapshotId: 'snap-1', DeleteOnTermination: false } },
    { DeviceName: '/dev/xvdb', Ebs: { VolumeSize: 10, DeleteOnTermination: true } },
  ]);
  expect(rootVolumeBytes(blockDevices(nodeClass, 'AL2023'))).toBe(100 * 2 ** 30);
});

test('metadata options from the class, Karpenter defaults otherwise', () => {
  expect(launchTemplateData({ ...base, nodeClass: cls({}) }).MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', HttpPutResponseHopLimit: 1, HttpTokens: 'required' });
  const set = cls({ metadataOptions: { httpEndpoint: 'disabled', httpProtocolIPv6: 'enabled', httpPutResponseHopLimit: 2, httpTokens: 'optional' } });
  expect(launchTemplateData({ ...base, nodeClass: set }).MetadataOptions).toEqual({ HttpEndpoint: 'disabled', HttpProtocolIpv6: 'enabled', HttpPutResponseHopLimit: 2, HttpTokens: 'optional' });
});

test('associatePublicIPAddress, detailedMonitoring and instanceProfile reach the template', () => {
  const data = launchTemplateData({ ...base, nodeClass: cls({ associatePublicIPAddress: false, detailedMonitoring: true, instanceProfile: 'prof', role: undefined }) });
  expect(data.NetworkInterfaces).toEqual([{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-1'] }]);
  expect(data.SecurityGroupIds).toBeUndefined();
  expect(data.Monitoring).toEqual({ Enabled: true });
  expect(data.IamInstanceProfile).toEqual({ Name: 'prof' });
  const plain = launchTemplateData({ ...base, nodeClass: cls({}) });
  expect(plain.SecurityGroupIds).toEqual(['sg-1']);
  expect(plain.Monitoring).toEqual({ Enabled: false });
});

test('networkInterfaces, ipPrefixCount and connectionTracking reach the template: EFA-only interfaces get the groups, no IPs and no tracking', () => {
  const nodeClass = cls({
    networkInterfaces: [
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
    ],
    ipPrefixCount: 2,
    connectionTracking: { tcpEstablishedTimeout: 3600, udpTimeout: 40 },
    associatePublicIPAddress: false,
  });
  const data = launchTemplateData({ ...base, nodeClass });
  expect(data.SecurityGroupIds).toBeUndefined();
  expect(data.NetworkInterfaces).toEqual([
    { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: 'interface', AssociatePublicIpAddress: false, Ipv4PrefixCount: 2, Groups: ['sg-1'], ConnectionTrackingSpecification: { TcpEstablishedTimeout: 3600, UdpTimeout: 40 } },
    { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: 'efa-only', Groups: ['sg-1'] },
    { NetworkCardIndex: 1, DeviceIndex: 0, InterfaceType: 'efa-only', Groups: ['sg-1'] },
  ]);
  // Without networkInterfaces, ipPrefixCount and connectionTracking go on the one primary interface.
  expect(launchTemplateData({ ...base, nodeClass: cls({ ipPrefixCount: 1, connectionTracking: { udpStreamTimeout: 90 } }) }).NetworkInterfaces).toEqual([
    { DeviceIndex: 0, Ipv4PrefixCount: 1, Groups: ['sg-1'], ConnectionTrackingSpecification: { UdpStreamTimeout: 90 } },
  ]);
});

test('capacity reservations: a reserved launch targets its reservation only (a capacity block also as its market), other launches of such a class use none', () => {
  const nodeClass = cls({ capacityReservationSelectorTerms: [{ id: 'cr-1' }] });
  expect(launchTemplateData({ ...base, nodeClass, capacityReservation: { id: 'cr-1', type: 'default' } })).toMatchObject({
    CapacityReservationSpecification: { CapacityReservationPreference: 'capacity-reservations-only', CapacityReservationTarget: { CapacityReservationId: 'cr-1' } },
  });
  expect(launchTemplateData({ ...base, nodeClass, capacityReservation: { id: 'cr-1', type: 'default' } }).InstanceMarketOptions).toBeUndefined();
  expect(launchTemplateData({ ...base, nodeClass, capacityReservation: { id: 'cr-2', type: 'capacity-block' } }).InstanceMarketOptions).toEqual({ MarketType: 'capacity-block' });
  expect(launchTemplateData({ ...base, nodeClass, capacityReservation: 'none' }).CapacityReservationSpecification).toEqual({ CapacityReservationPreference: 'none' });
  expect(launchTemplateData({ ...base, nodeClass: cls({}) }).CapacityReservationSpecification).toBeUndefined();
});
