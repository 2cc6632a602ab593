// The AWS side of the interruption queue, written by `joinery compile` next to the
// reconciler when its deployment names an `interruptionQueue`
// (generated/reconciler/eventbridge-rules.json): the four EventBridge rules Karpenter's
// CloudFormation template creates (spot interruption warning, rebalance recommendation,
// AWS Health scheduled change, instance state change), each targeting the queue, and the
// queue's settings and access policy (EventBridge may send to it; messages expire after
// 5 minutes, as Karpenter's queue). A description to apply with Terraform, CloudFormation
// or the CLI, not something joinery applies.

export interface EventBridgeRule {
  readonly Name: string;
  readonly Description: string;
  readonly EventPattern: Readonly<Record<string, readonly string[]>>;
  readonly Targets: readonly { readonly Id: string; readonly Arn: string }[];
}

export interface InterruptionInfrastructure {
  readonly queue: {
    readonly QueueName: string;
    readonly Arn: string;
    readonly Attributes: Readonly<Record<string, string>>;
    readonly Policy: Readonly<Record<string, unknown>>;
  };
  readonly rules: readonly EventBridgeRule[];
}

/** The event kinds and their patterns, as Karpenter's template declares them. */
export const INTERRUPTION_EVENT_PATTERNS: readonly { readonly id: string; readonly description: string; readonly pattern: Record<string, string[]> }[] = [
  { id: 'scheduled-change', description: 'AWS Health scheduled changes (instance retirement, maintenance)', pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'] } },
  { id: 'spot-interruption', description: 'EC2 Spot Instance Interruption Warnings (2 minutes before)', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } },
  { id: 'rebalance', description: 'EC2 Instance Rebalance Recommendations', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] } },
  { id: 'instance-state-change', description: 'EC2 Instance State-change Notifications', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] } },
];

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The queue's ARN with the account left to the IaC (`${AWS::AccountId}` style placeholder: `<account>`). */
export function interruptionQueueArn(region: string, queueName: string, account = '*'): string {
  return `arn:${partitionOf(region)}:sqs:${region}:${account}:${queueName}`;
}

export function interruptionInfrastructure(options: { clusterName: string; region: string; queueName: string }): InterruptionInfrastructure {
  const arn = interruptionQueueArn(options.region, options.queueName, '<account>');
  return {
    queue: {
      QueueName: options.queueName,
      Arn: arn,
      Attributes: { MessageRetentionPeriod: '300', SqsManagedSseEnabled: 'true' },
      Policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EventBridgeWrite',
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: arn,
          },
        ],
      },
    },
    rules: INTERRUPTION_EVENT_PATTERNS.map((p) => ({
      Name: `joinery-${options.clusterName}-${p.id}`.slice(0, 64),
      Description: `${p.description} for the joinery reconciler of ${options.clusterName}`,
      EventPattern: p.pattern,
      Targets: [{ Id: 'interruption-queue', Arn: arn }],
    })),
  };
}
