// The IAM policy the reconciler's role needs, written by `joinery compile` next to the
// Deployment (generated/reconciler/iam-policy.json): only the EC2 actions the AWS adapter
// calls (EC2_API_CALLS, checked against the adapter's code by a unit test) and the ones
// EC2 authorizes implicitly on those calls (IMPLIED_ACTIONS), and ssm:GetParameter on AWS's
// public parameters (SSM_API_CALLS: AMI aliases). Everything the reconciler
// creates must carry the cluster tag; it may only terminate, re-tag or delete what carries
// joinery's tags (the cluster tag `owned` and karpenter.sh/nodepool, as Karpenter's policy
// requires), so not even a bug can terminate an instance of a self-managed node group,
// which carries the cluster tag alone. iam:PassRole is granted for the node role alone,
// and only to EC2. The IAM actions are those of the nodes' instance profiles (IAM_API_CALLS,
// checked against the adapter the same way), scoped by the tags Karpenter's reference
// policy requires: a profile may only be created carrying the cluster tag `owned`, the
// cluster name, the region and an EC2NodeClass, and only such a profile may be given a
// role, re-tagged or deleted.

import { CLUSTER_TAG_VALUE, TAG_EKS_CLUSTER_NAME, TAG_NODECLASS, TAG_NODEPOOL, TAG_REGION, clusterTagKey } from '../../core/contract/index.ts';
import { interruptionQueueArn } from './interruption-infra.ts';

/** SQS API operations the interruption queue adapter (reconciler/adapters/aws/sqs.ts) sends. */
export const SQS_API_CALLS = ['DeleteMessageBatch', 'GetQueueUrl', 'ReceiveMessage'] as const;
/** The IAM action each SQS call is authorized by (a batch delete needs sqs:DeleteMessage). */
export const SQS_ACTION_OF: Readonly<Record<(typeof SQS_API_CALLS)[number], string>> = {
  DeleteMessageBatch: 'sqs:DeleteMessage',
  GetQueueUrl: 'sqs:GetQueueUrl',
  ReceiveMessage: 'sqs:ReceiveMessage',
};

/** EC2 API operations the AWS adapter (reconciler/adapters/aws) sends. */
export const EC2_API_CALLS: readonly Ec2ApiCall[] = [
  'CreateFleet',
  'CreateLaunchTemplate',
  'DeleteLaunchTemplate',
  'DescribeCapacityReservations',
  'DescribeImages',
  'DescribeInstanceTypeOfferings',
  'DescribeInstanceTypes',
  'DescribeInstances',
  'DescribeLaunchTemplates',
  'DescribeSecurityGroups',
  'DescribeSpotPriceHistory',
  'DescribeSubnets',
  'TerminateInstances',
];

/** IAM API operations the AWS adapter sends (reconciler/adapters/aws/instance-profiles.ts). */
export const IAM_API_CALLS: readonly IamApiCall[] = [
  'AddRoleToInstanceProfile',
  'CreateInstanceProfile',
  'DeleteInstanceProfile',
  'GetInstanceProfile',
  'ListInstanceProfiles',
  'RemoveRoleFromInstanceProfile',
];

/** Every IAM call the document knows how to scope. */
export type IamApiCall =
  | 'AddRoleToInstanceProfile'
  | 'CreateInstanceProfile'
  | 'DeleteInstanceProfile'
  | 'GetInstanceProfile'
  | 'ListInstanceProfiles'
  | 'RemoveRoleFromInstanceProfile';

/** IAM authorizes TagInstanceProfile for the tags a CreateInstanceProfile carries. */
export const IMPLIED_IAM_ACTIONS: Readonly<Partial<Record<IamApiCall, readonly string[]>>> = {
  CreateInstanceProfile: ['TagInstanceProfile'],
};
/**
 * SSM API operations the AWS adapter sends: GetParameter, for the public parameters behind
 * AMI aliases (and ssmParameter terms). Granted on AWS's public parameters only
 * (`/aws/service/*`, as Karpenter's policy does): an ssmParameter term naming a parameter
 * of your own needs ssm:GetParameter on it added to the role.
 */
export const SSM_API_CALLS: readonly SsmApiCall[] = ['GetParameter'];
export type SsmApiCall = 'GetParameter';

/** Every EC2 call the document knows how to scope; a call outside it fails the build of the document. */
export type Ec2ApiCall =
  | 'CreateFleet'
  | 'CreateLaunchTemplate'
  | 'CreateTags'
  | 'DeleteLaunchTemplate'
  | 'RunInstances'
  | 'TerminateInstances'
  | `Describe${string}`;

/**
 * Actions EC2 authorizes on the caller's behalf during another call: CreateFleet launches
 * through RunInstances, and tags given in TagSpecifications need CreateTags.
 */
export const IMPLIED_ACTIONS: Readonly<Partial<Record<Ec2ApiCall, readonly string[]>>> = {
  CreateFleet: ['RunInstances', 'CreateTags'],
  CreateLaunchTemplate: ['CreateTags'],
};

/**
 * Resource types the adapter tags in the creating request (TagSpecifications of CreateFleet
 * and CreateLaunchTemplate). Only these can be required to carry the cluster tag on create.
 */
export const TAGGED_ON_CREATE = ['fleet', 'instance', 'launch-template', 'volume'] as const;
/**
 * Resource types a launch creates without tags of their own; granted only through
 * RunInstances/CreateFleet, which also create the instance, and that must carry the tag.
 */
export const CREATED_WITH_INSTANCE = ['network-interface', 'spot-instances-request'] as const;

/** Actions that change something; each statement granting one is scoped by the cluster tag. */
export const MUTATING_EC2_ACTIONS = ['CreateFleet', 'RunInstances', 'CreateLaunchTemplate', 'CreateTags', 'DeleteLaunchTemplate', 'TerminateInstances'] as const;

export interface IamPolicyOptions {
  readonly clusterName: string;
  readonly region: string;
  /** The role of the nodes' instance profile (EC2NodeClass spec.role). */
  readonly nodeRoleArn: string;
  /** Defaults to EC2_API_CALLS. */
  readonly ec2Calls?: readonly Ec2ApiCall[];
  /** Defaults to IAM_API_CALLS. */
  readonly iamCalls?: readonly IamApiCall[];
  /** Defaults to SSM_API_CALLS. */
  readonly ssmCalls?: readonly SsmApiCall[];
  /** The interruption queue's name: the SQS calls are granted on that queue alone. */
  readonly interruptionQueue?: string;
}

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

/**
 * The condition an existing resource must meet to be changed or deleted: the cluster tag
 * `owned` and a karpenter.sh/nodepool tag (any value; `Null: false` = present).
 */
export function ownedResourceCondition(clusterName: string): Readonly<Record<string, Readonly<Record<string, string>>>> {
  return {
    StringEquals: { [`aws:ResourceTag/${clusterTagKey(clusterName)}`]: CLUSTER_TAG_VALUE },
    Null: { [`aws:ResourceTag/${TAG_NODEPOOL}`]: 'false' },
  };
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** Every IAM action the document grants for `calls` (calls plus implied), as `ec2:Name`. */
export function grantedEc2Actions(calls: readonly Ec2ApiCall[] = EC2_API_CALLS): string[] {
  const names = new Set<string>();
  for (const call of calls) {
    names.add(call);
    for (const implied of IMPLIED_ACTIONS[call] ?? []) names.add(implied);
  }
  return [...names].sort().map((n) => `ec2:${n}`);
}

/** Every IAM action the document grants for `calls` (calls plus implied), as `iam:Name` (PassRole aside). */
export function grantedIamActions(calls: readonly IamApiCall[] = IAM_API_CALLS): string[] {
  const names = new Set<string>();
  for (const call of calls) {
    names.add(call);
    for (const implied of IMPLIED_IAM_ACTIONS[call] ?? []) names.add(implied);
  }
  return [...names].sort().map((n) => `iam:${n}`);
}

/** The statements for the nodes' instance profiles, as Karpenter's reference policy scopes them. */
function instanceProfileStatements(options: IamPolicyOptions): IamStatement[] {
  const calls = new Set(grantedIamActions(options.iamCalls));
  const only = (...actions: string[]) => actions.map((a) => `iam:${a}`).filter((a) => calls.has(a));
  const profiles = [`arn:${partitionOf(options.region)}:iam::*:instance-profile/*`];
  const cluster = clusterTagKey(options.clusterName);
  const requestTags = {
    [`aws:RequestTag/${cluster}`]: CLUSTER_TAG_VALUE,
    [`aws:RequestTag/${TAG_EKS_CLUSTER_NAME}`]: options.clusterName,
    [`aws:RequestTag/${TAG_REGION}`]: options.region,
  };
  const resourceTags = { [`aws:ResourceTag/${cluster}`]: CLUSTER_TAG_VALUE, [`aws:ResourceTag/${TAG_REGION}`]: options.region };
  const out: IamStatement[] = [
    {
      Sid: 'CreateOnlyClusterTaggedInstanceProfiles',
      Effect: 'Allow',
      Action: only('CreateInstanceProfile'),
      Resource: profiles,
      Condition: { StringEquals: requestTags, StringLike: { [`aws:RequestTag/${TAG_NODECLASS}`]: '*' } },
    },
    {
      Sid: 'TagOnlyOwnInstanceProfiles',
      Effect: 'Allow',
      Action: only('TagInstanceProfile'),
      Resource: profiles,
      Condition: {
        StringEquals: { ...resourceTags, ...requestTags },
        StringLike: { [`aws:ResourceTag/${TAG_NODECLASS}`]: '*', [`aws:RequestTag/${TAG_NODECLASS}`]: '*' },
      },
    },
    {
      Sid: 'ChangeOnlyOwnInstanceProfiles',
      Effect: 'Allow',
      Action: only('AddRoleToInstanceProfile', 'RemoveRoleFromInstanceProfile', 'DeleteInstanceProfile'),
      Resource: profiles,
      Condition: { StringEquals: resourceTags, StringLike: { [`aws:ResourceTag/${TAG_NODECLASS}`]: '*' } },
    },
    { Sid: 'ReadInstanceProfiles', Effect: 'Allow', Action: only('GetInstanceProfile'), Resource: profiles },
    // ListInstanceProfiles supports no resource-level permission; the adapter lists by the cluster's path and checks the tags itself.
    { Sid: 'ListInstanceProfiles', Effect: 'Allow', Action: only('ListInstanceProfiles'), Resource: ['*'] },
  ];
  return out.filter((s) => s.Action.length > 0);
}

export function reconcilerIamPolicy(options: IamPolicyOptions): IamPolicyDocument {
  const calls = new Set<string>(grantedEc2Actions(options.ec2Calls).map((a) => a.slice('ec2:'.length)));
  const has = (a: string) => calls.has(a);
  const only = (...actions: string[]) => actions.filter(has).map((a) => `ec2:${a}`);
  const arn = (resource: string, account = '*') => `arn:${partitionOf(options.region)}:ec2:${options.region}:${account}:${resource}`;
  const tag = clusterTagKey(options.clusterName);
  const statements: IamStatement[] = [];
  const add = (s: IamStatement) => {
    if (s.Action.length > 0) statements.push(s);
  };

  // Existing resources a launch references (they are not created, so they carry no tag of ours).
  add({
    Sid: 'LaunchWithExistingNetworkAndImages',
    Effect: 'Allow',
    Action: only('RunInstances', 'CreateFleet'),
    Resource: [arn('image/*', ''), arn('snapshot/*', ''), arn('subnet/*'), arn('security-group/*'), arn('capacity-reservation/*')],
  });
  // Launch templates used by a launch must be the reconciler's own.
  add({
    Sid: 'LaunchWithOwnLaunchTemplates',
    Effect: 'Allow',
    Action: has('CreateLaunchTemplate') ? only('RunInstances', 'CreateFleet') : [],
    Resource: [arn('launch-template/*')],
    Condition: { StringEquals: { [`aws:ResourceTag/${tag}`]: CLUSTER_TAG_VALUE } },
  });
  // What a launch creates must be tagged for the cluster in the same request ...
  const created = TAGGED_ON_CREATE.filter((t) => t !== 'launch-template' || has('CreateLaunchTemplate')).map((t) => arn(`${t}/*`));
  add({
    Sid: 'CreateOnlyClusterTaggedResources',
    Effect: 'Allow',
    Action: only('RunInstances', 'CreateFleet', 'CreateLaunchTemplate'),
    Resource: created,
    Condition: { StringEquals: { [`aws:RequestTag/${tag}`]: CLUSTER_TAG_VALUE } },
  });
  // ... apart from what EC2 creates alongside the (tagged) instance.
  add({
    Sid: 'LaunchCreatesInterfacesWithInstance',
    Effect: 'Allow',
    Action: only('RunInstances', 'CreateFleet'),
    Resource: CREATED_WITH_INSTANCE.map((t) => arn(`${t}/*`)),
  });
  // Tags may be written while creating those resources, with the cluster tag among them ...
  add({
    Sid: 'TagOnCreateWithClusterTag',
    Effect: 'Allow',
    Action: only('CreateTags'),
    Resource: created,
    Condition: {
      StringEquals: {
        [`aws:RequestTag/${tag}`]: CLUSTER_TAG_VALUE,
        'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'].filter(has),
      },
    },
  });
  // ... or later (only when the adapter calls CreateTags itself), on instances that
  // already carry joinery's tags, never changing the cluster tag itself.
  const explicitCalls = new Set<string>(options.ec2Calls ?? EC2_API_CALLS);
  add({
    Sid: 'TagOwnInstances',
    Effect: 'Allow',
    Action: explicitCalls.has('CreateTags') ? ['ec2:CreateTags'] : [],
    Resource: [arn('instance/*')],
    Condition: {
      ...ownedResourceCondition(options.clusterName),
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': [tag] },
    },
  });
  add({
    Sid: 'DeleteOnlyOwnResources',
    Effect: 'Allow',
    Action: only('TerminateInstances', 'DeleteLaunchTemplate'),
    Resource: [...(has('TerminateInstances') ? [arn('instance/*')] : []), ...(has('DeleteLaunchTemplate') ? [arn('launch-template/*')] : [])],
    Condition: ownedResourceCondition(options.clusterName),
  });
  // Describe* calls support no resource-level permissions; they are pinned to the region.
  add({
    Sid: 'ReadInRegion',
    Effect: 'Allow',
    Action: [...calls].filter((a) => a.startsWith('Describe')).sort().map((a) => `ec2:${a}`),
    Resource: ['*'],
    Condition: { StringEquals: { 'aws:RequestedRegion': options.region } },
  });
  for (const st of instanceProfileStatements(options)) add(st);
  // AMI aliases: the public parameters AWS publishes the EKS-optimized AMI ids under (any region, no account).
  add({
    Sid: 'ReadPublicSsmParameters',
    Effect: 'Allow',
    Action: (options.ssmCalls ?? SSM_API_CALLS).map((a) => `ssm:${a}`),
    Resource: [`arn:${partitionOf(options.region)}:ssm:*::parameter/aws/service/*`],
  });
  // Launching with an instance profile, and giving the role to one, both pass the role.
  add({
    Sid: 'PassNodeRoleToEc2',
    Effect: 'Allow',
    Action: has('RunInstances') || (options.iamCalls ?? IAM_API_CALLS).includes('AddRoleToInstanceProfile') ? ['iam:PassRole'] : [],
    Resource: [options.nodeRoleArn],
    Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  });

  // On-demand prices of the region from the AWS Price List API (as Karpenter's AllowPricingReadActions);
  // GetProducts supports no resource-level permissions.
  add({
    Sid: 'ReadPriceList',
    Effect: 'Allow',
    Action: ['pricing:GetProducts'],
    Resource: ['*'],
  });

  if (options.interruptionQueue !== undefined) {
    add({
      Sid: 'InterruptionQueue',
      Effect: 'Allow',
      Action: [...new Set(SQS_API_CALLS.map((c) => SQS_ACTION_OF[c]))].sort(),
      Resource: [interruptionQueueArn(options.region, options.interruptionQueue)],
    });
  }

  const granted = new Set(statements.flatMap((s) => s.Action));
  const missing = [...calls].filter((a) => !granted.has(`ec2:${a}`));
  if (missing.length > 0) {
    // A new call in the adapter must be given a scoped statement here, not a blanket grant.
    throw new Error(`no IAM statement grants ec2:${missing.join(', ec2:')}; add a scoped statement in compiler/deployment/iam-policy.ts`);
  }
  const missingIam = grantedIamActions(options.iamCalls).filter((a) => !granted.has(a));
  if (missingIam.length > 0) throw new Error(`no IAM statement grants ${missingIam.join(', ')}; add a scoped statement in compiler/deployment/iam-policy.ts`);
  return { Version: '2012-10-17', Statement: statements };
}

/** The trust policy of the role when it is used through EKS Pod Identity. */
export function podIdentityTrustPolicy(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowEksPodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ],
  };
}
