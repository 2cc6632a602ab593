// The events port: a queue of cloud events about instances (Karpenter's interruption
// queue). The production adapter long-polls an SQS queue that EventBridge rules feed
// (reconciler/adapters/aws/sqs.ts); the simulator keeps the messages in memory.
//
// Delivery is at least once: a message received and not deleted comes back after its
// visibility timeout, and the same event may be delivered twice. The consumer deletes
// every message it has handled (and every one it cannot read), in batches.

export interface QueueMessage {
  /** The queue's id of the message (logged with everything said about it). */
  readonly id: string;
  /** What deleting this delivery takes (SQS: the receipt handle). */
  readonly receiptHandle: string;
  /** The raw body: an EventBridge event as JSON, or anything a sender put there. */
  readonly body: string;
  /** When the queue received it (epoch ms), when the queue says. */
  readonly sentAtMs?: number;
}

export interface EventQueue {
  /** The queue's name, for logs. */
  readonly name: string;
  /**
   * The next messages (at most 10), waiting up to the queue's long-poll time for one to
   * arrive; [] when none came.
   */
  receive(): Promise<readonly QueueMessage[]>;
  /** Deletes handled messages; returns the ids it could not delete (they come back later). */
  delete(messages: readonly QueueMessage[]): Promise<readonly string[]>;
  /**
   * How long to wait before polling again after an empty receive: 0 for a queue whose
   * receive already waited (long polling), more for one that answers at once.
   */
  readonly idleDelayMs: number;
  /** Ends a receive in progress (it returns []) and every later one; the reconciler stops. */
  close(): void;
}
