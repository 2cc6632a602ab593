// The interruption queue on SQS (@aws-sdk/client-sqs), as Karpenter's settings.interruptionQueue:
// the queue URL is looked up once by name (GetQueueUrl), messages are long-polled (up to
// 10 per ReceiveMessage, waiting up to 20 s) and deleted in batches (DeleteMessageBatch).
// close() aborts a receive in progress, so the reconciler stops without waiting out the poll.

import { DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../observability/log.ts';
import type { EventQueue, QueueMessage } from '../../ports/events.ts';

export interface SqsEventQueueConfig {
  /** The queue's name (not its URL), as Karpenter's interruptionQueue setting. */
  readonly queueName: string;
  readonly region: string;
  /** SQS endpoint override (an interface VPC endpoint; moto in tests). */
  readonly endpoint?: string;
  /** Long-poll wait per receive, whole seconds 0-20 (default 20). */
  readonly waitTimeSeconds?: number;
  /** How long a received message stays invisible before it is delivered again (default: the queue's). */
  readonly visibilityTimeoutSeconds?: number;
  readonly client?: SQSClient;
  readonly logger: Logger;
}

export class SqsEventQueue implements EventQueue {
  readonly name: string;
  /** Receive already waits (long polling). */
  readonly idleDelayMs = 0;
  private readonly client: SQSClient;
  private queueUrl: string | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly config: SqsEventQueueConfig) {
    this.name = config.queueName;
    this.client =
      config.client ??
      new SQSClient({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
  }

  private async url(): Promise<string> {
    if (!this.queueUrl) {
      const out = await this.client.send(new GetQueueUrlCommand({ QueueName: this.config.queueName }), { abortSignal: this.abort.signal });
      if (!out.QueueUrl) throw new Error(`GetQueueUrl returned no URL for the interruption queue ${this.config.queueName}`);
      this.queueUrl = out.QueueUrl;
    }
    return this.queueUrl;
  }

  async receive(): Promise<readonly QueueMessage[]> {
    if (this.abort.signal.aborted) return [];
    try {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: await this.url(),
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: this.config.waitTimeSeconds ?? 20,
          ...(this.config.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: this.config.visibilityTimeoutSeconds } : {}),
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
        { abortSignal: this.abort.signal },
      );
      return (out.Messages ?? []).flatMap((m) => {
        if (!m.MessageId || !m.ReceiptHandle) return [];
        const sent = Number(m.Attributes?.SentTimestamp);
        return [{ id: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body ?? '', ...(Number.isFinite(sent) ? { sentAtMs: sent } : {}) }];
      });
    } catch (err) {
      if (this.abort.signal.aborted) return [];
      throw err;
    }
  }

  async delete(messages: readonly QueueMessage[]): Promise<readonly string[]> {
    const failed: string[] = [];
    const url = await this.url();
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const out = await this.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: url, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle })) }),
      );
      for (const f of out.Failed ?? []) {
        const m = chunk[Number(f.Id)];
        if (m) failed.push(m.id);
        this.config.logger.warn('DeleteMessageBatch refused a message', { messageId: m?.id, code: f.Code, error: f.Message });
      }
    }
    return failed;
  }

  close(): void {
    this.abort.abort();
  }
}
