// The interruption queue in the test environment: a real SQS queue in the environment's
// moto server (the EC2 API's upstream, which serves SQS too), created with the SDK by
// each test, and the reconciler's own SqsEventQueue adapter reading it. Tests publish the
// EventBridge JSON with SendMessage, as an EventBridge rule would.
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsEventQueue } from '../../../reconciler/adapters/aws/sqs.ts';
import type { Logger } from '../../../reconciler/observability/log.ts';
import { readState, STATE_ENV_VAR } from '../../env/state.ts';
import type { TestEnv } from '../../env/index.ts';

/** moto's endpoint (the fault proxy in front of it speaks EC2 only). */
export function sqsEndpoint(): string {
  const path = process.env[STATE_ENV_VAR];
  if (!path) throw new Error(`${STATE_ENV_VAR} is not set: run through jest's integration project`);
  return readState(path).ec2UpstreamEndpoint;
}

export function sqsClient(env: TestEnv): SQSClient {
  return new SQSClient({ endpoint: sqsEndpoint(), region: env.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

export class TestQueue {
  private constructor(
    readonly client: SQSClient,
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(env: TestEnv, name: string, visibilityTimeoutSeconds = 5): Promise<TestQueue> {
    const client = sqsClient(env);
    const out = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds), MessageRetentionPeriod: '300' } }));
    return new TestQueue(client, name, out.QueueUrl!);
  }

  /** The reconciler's adapter on this queue, long-polling `waitSeconds`. */
  adapter(env: TestEnv, logger: Logger, waitSeconds = 1): SqsEventQueue {
    return new SqsEventQueue({ queueName: this.name, region: env.region, endpoint: sqsEndpoint(), waitTimeSeconds: waitSeconds, client: sqsClient(env), logger });
  }

  async send(body: string): Promise<string> {
    return (await this.client.send(new SendMessageCommand({ QueueUrl: this.url, MessageBody: body }))).MessageId!;
  }

  /** Messages still in the queue, visible or in flight. */
  async depth(): Promise<number> {
    const a = (await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  async remove(): Promise<void> {
    await this.client.send(new DeleteQueueCommand({ QueueUrl: this.url })).catch(() => undefined);
  }
}
