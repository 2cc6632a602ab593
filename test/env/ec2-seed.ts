// Seeds moto with the network of an EKS cluster as Karpenter users tag it: a VPC, one
// subnet per zone and a security group, each tagged `karpenter.sh/discovery=<cluster>`,
// so EC2NodeClass selector terms resolve against the test EC2 the way they do in AWS.
import {
  CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { Ec2Network } from './state.ts';

const DISCOVERY_TAG_KEY = 'karpenter.sh/discovery';

/**
 * The network tagged for `clusterName`: found when the endpoint has it already (an
 * external EC2 endpoint, a reused moto), created otherwise.
 */
export async function ensureNetwork(ec2: EC2Client, clusterName: string, zones: string[]): Promise<Ec2Network> {
  const byTag = [{ Name: `tag:${DISCOVERY_TAG_KEY}`, Values: [clusterName] }];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: byTag }))).Subnets ?? [];
  if (subnets.length === 0) return seedNetwork(ec2, clusterName, zones);
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byTag }))).SecurityGroups ?? [];
  const group = groups[0]?.GroupId;
  if (!group) throw new Error(`EC2 has subnets tagged ${DISCOVERY_TAG_KEY}=${clusterName} but no security group with that tag; tag one or remove the subnets' tag`);
  return {
    vpcId: subnets[0]?.VpcId ?? '',
    subnets: subnets.map((s) => ({ subnetId: s.SubnetId ?? '', zone: s.AvailabilityZone ?? '' })).sort((a, b) => a.zone.localeCompare(b.zone)),
    securityGroupId: group,
    discoveryTag: { key: DISCOVERY_TAG_KEY, value: clusterName },
  };
}

async function seedNetwork(ec2: EC2Client, clusterName: string, zones: string[]): Promise<Ec2Network> {
  const discovery: Tag = { Key: DISCOVERY_TAG_KEY, Value: clusterName };
  const owned: Tag = { Key: `kubernetes.io/cluster/${clusterName}`, Value: 'shared' };
  const vpc = await ec2.send(new CreateVpcCommand({
    CidrBlock: '10.0.0.0/16',
    TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: clusterName }, discovery] }],
  }));
  const vpcId = vpc.Vpc?.VpcId;
  if (!vpcId) throw new Error('CreateVpc returned no VpcId');
  const subnets: Ec2Network['subnets'] = [];
  for (const [i, zone] of zones.entries()) {
    const out = await ec2.send(new CreateSubnetCommand({
      VpcId: vpcId,
      AvailabilityZone: zone,
      CidrBlock: `10.0.${i * 32}.0/19`,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `${clusterName}-${zone}` }, discovery, owned] }],
    }));
    const subnetId = out.Subnet?.SubnetId;
    if (!subnetId) throw new Error(`CreateSubnet in ${zone} returned no SubnetId`);
    subnets.push({ subnetId, zone });
  }
  const sg = await ec2.send(new CreateSecurityGroupCommand({
    GroupName: `${clusterName}-nodes`,
    Description: `nodes of test cluster ${clusterName}`,
    VpcId: vpcId,
    TagSpecifications: [{ ResourceType: 'security-group', Tags: [discovery, owned] }],
  }));
  if (!sg.GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
  return { vpcId, subnets, securityGroupId: sg.GroupId, discoveryTag: { key: DISCOVERY_TAG_KEY, value: clusterName } };
}
