// Seeds moto with the network of an EKS cluster as Karpenter users tag it: a VPC, one
// subnet per zone and a security group, each tagged `karpenter.sh/discovery=<cluster>`,
// so EC2NodeClass selector terms resolve against the test EC2 the way they do in AWS.
import {
  CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, type EC2Client, type Tag,
} from '@aws-sdk/client-ec2';
import type { Ec2Network } from './state.ts';

export const DISCOVERY_TAG_KEY = 'karpenter.sh/discovery';

export async function seedNetwork(ec2: EC2Client, clusterName: string, zones: string[]): Promise<Ec2Network> {
  const discovery: Tag = { Key: DISCOVERY_TAG_KEY, Value: clusterName };
  const owned: Tag = { Key: `kubernetes.io/cluster/${clusterName}`, Value: 'shared' };
  const existing = await ec2.send(new DescribeSubnetsCommand({
    Filters: [{ Name: `tag:${DISCOVERY_TAG_KEY}`, Values: [clusterName] }],
  }));
  if ((existing.Subnets ?? []).length > 0) {
    throw new Error(`EC2 endpoint already has subnets tagged ${DISCOVERY_TAG_KEY}=${clusterName}; choose another cluster name (JOINERY_TEST_CLUSTER_NAME)`);
  }
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
