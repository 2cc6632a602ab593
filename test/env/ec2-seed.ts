// Seeds moto with the network of an EKS cluster as Karpenter users tag it: a VPC, one
// subnet per zone and a security group, each tagged `karpenter.sh/discovery=<cluster>`,
// so EC2NodeClass selector terms resolve against the test EC2 the way they do in AWS; and
// the EKS-optimized AMIs with the public SSM parameters AWS publishes for them (seedEksAmis).
import {
  CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand,
  CopyImageCommand, type EC2Client, type Tag,
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

/** The release the seeded EKS-optimized AMIs carry (pinned aliases: al2023@v20261101, bottlerocket@v1.50.0). */
export const SEEDED_AL2_RELEASE = 'v20261101';
export const SEEDED_BOTTLEROCKET_RELEASE = '1.50.0';

/** One seeded public image: the AMI and the AWS public SSM parameters that point at it. */
export interface SeededEksAmi {
  readonly imageId: string;
  readonly name: string;
  /** x86_64 or arm64, as EC2 spells it. */
  readonly architecture: 'x86_64' | 'arm64';
  readonly parameters: readonly string[];
}

interface EksAmiSpec {
  readonly name: string;
  readonly architecture: 'x86_64' | 'arm64';
  readonly parameters: readonly string[];
}

/** The EKS-optimized AMIs AWS publishes for Kubernetes `k`, by the SSM paths Karpenter reads (per arch and variant). */
export function eksAmiSpecs(k: string): EksAmiSpec[] {
  const out: EksAmiSpec[] = [];
  const al2023 = '/aws/service/eks/optimized-ami';
  for (const [architecture, variants] of [['x86_64', ['standard', 'nvidia', 'neuron']], ['arm64', ['standard', 'nvidia']]] as const) {
    for (const variant of variants) {
      const name = `amazon-eks-node-al2023-${architecture}-${variant}-${k}-${SEEDED_AL2_RELEASE}`;
      out.push({
        name,
        architecture,
        parameters: [`${al2023}/${k}/amazon-linux-2023/${architecture}/${variant}/recommended/image_id`, `${al2023}/${k}/amazon-linux-2023/${architecture}/${variant}/${name}/image_id`],
      });
    }
  }
  for (const [dir, release, architecture] of [
    ['amazon-linux-2', 'amazon-eks-node', 'x86_64'],
    ['amazon-linux-2-arm64', 'amazon-eks-arm64-node', 'arm64'],
    ['amazon-linux-2-gpu', 'amazon-eks-gpu-node', 'x86_64'],
  ] as const) {
    const name = `${release}-${k}-${SEEDED_AL2_RELEASE}`;
    out.push({ name, architecture, parameters: [`${al2023}/${k}/${dir}/recommended/image_id`, `${al2023}/${k}/${dir}/${name}/image_id`] });
  }
  for (const flavour of ['', '-nvidia']) {
    for (const architecture of ['x86_64', 'arm64'] as const) {
      const base = `/aws/service/bottlerocket/aws-k8s-${k}${flavour}/${architecture}`;
      out.push({
        name: `bottlerocket-aws-k8s-${k}${flavour}-${architecture === 'arm64' ? 'aarch64' : 'x86_64'}-v${SEEDED_BOTTLEROCKET_RELEASE}-seeded`,
        architecture,
        parameters: [`${base}/latest/image_id`, `${base}/${SEEDED_BOTTLEROCKET_RELEASE}/image_id`],
      });
    }
  }
  return out;
}

/**
 * A new image of `architecture` named `name`: a copy of moto's built-in Amazon Linux 2023
 * image of that architecture (moto's RegisterImage records no architecture; a copy keeps
 * its source's, as an EKS-optimized image has one).
 */
export async function copyOfAmazonLinux(ec2: EC2Client, region: string, architecture: 'x86_64' | 'arm64', name: string): Promise<string> {
  const sources = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*'] }, { Name: 'architecture', Values: [architecture] }] }));
  const source = (sources.Images ?? []).find((i) => i.Architecture === architecture)?.ImageId;
  if (!source) throw new Error(`moto lists no ${architecture} Amazon Linux 2023 image to copy`);
  const copy = await ec2.send(new CopyImageCommand({ SourceImageId: source, SourceRegion: region, Name: name }));
  if (!copy.ImageId) throw new Error(`CopyImage ${name} returned no ImageId`);
  return copy.ImageId;
}

/**
 * Publishes an AWS public SSM parameter (a name under /aws/service/) in the test
 * environment's moto, through the control path of test/env/moto-server.py; publishing a
 * name again makes a new version, as AWS does when it releases a new AMI.
 */
export async function publishPublicParameter(endpoint: string, region: string, name: string, value: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/joinery/public-parameter`, { method: 'POST', body: JSON.stringify({ name, value, region }), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`publishing the public SSM parameter ${name} failed: ${res.status} ${await res.text()}`);
}

/**
 * The EKS-optimized AMIs of Kubernetes `k` in moto (registered in the test account under
 * their public names) and the public SSM parameters AWS publishes for them, so aliases
 * (al2023@latest, al2023@v20261101, al2@latest, bottlerocket@latest, bottlerocket@v1.50.0)
 * resolve through SSM per architecture and variant as they do in AWS.
 */
export async function seedEksAmis(ec2: EC2Client, endpoint: string, region: string, k: string): Promise<SeededEksAmi[]> {
  const out: SeededEksAmi[] = [];
  for (const spec of eksAmiSpecs(k)) {
    const found = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [spec.name] }] }));
    const imageId = found.Images?.[0]?.ImageId ?? (await copyOfAmazonLinux(ec2, region, spec.architecture, spec.name));
    for (const parameter of spec.parameters) await publishPublicParameter(endpoint, region, parameter, imageId);
    out.push({ imageId, name: spec.name, architecture: spec.architecture, parameters: spec.parameters });
  }
  return out;
}
