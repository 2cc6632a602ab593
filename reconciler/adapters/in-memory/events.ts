// The interruption queue of the simulated account: messages sent to it stay until deleted;
// a received message is invisible for a visibility timeout, then delivered again if it was
// not deleted (at-least-once, as SQS). Receive answers at once (no long poll on a virtual
// clock), so the controller polls again after `idleDelayMs`.

import type { Clock } from '../../ports/clock.ts';
import type { EventQueue, QueueMessage } from '../../ports/events.ts';

interface Stored {
  readonly id: string;
  readonly body: string;
  readonly sentAtMs: number;
  invisibleUntil: number;
  receipts: number;
}

export class InMemoryEventQueue implements EventQueue {
  readonly name: string;
  readonly idleDelayMs: number;
  private readonly messages: Stored[] = [];
  private next = 1;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    options: { name?: string; idleDelayMs?: number; visibilityTimeoutMs?: number } = {},
  ) {
    this.name = options.name ?? 'in-memory-interruption-queue';
    this.idleDelayMs = options.idleDelayMs ?? 2_000;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
  }

  private readonly visibilityTimeoutMs: number;

  /** SendMessage: returns the message id. */
  send(body: string): string {
    const id = `msg-${this.next++}`;
    this.messages.push({ id, body, sentAtMs: this.clock.now(), invisibleUntil: 0, receipts: 0 });
    return id;
  }

  /** Messages not yet deleted (visible or in flight). */
  get depth(): number {
    return this.messages.length;
  }

  async receive(): Promise<readonly QueueMessage[]> {
    if (this.closed) return [];
    const now = this.clock.now();
    const out: QueueMessage[] = [];
    for (const m of this.messages) {
      if (out.length >= 10) break;
      if (m.invisibleUntil > now) continue;
      m.invisibleUntil = now + this.visibilityTimeoutMs;
      m.receipts += 1;
      out.push({ id: m.id, receiptHandle: `${m.id}#${m.receipts}`, body: m.body, sentAtMs: m.sentAtMs });
    }
    return out;
  }

  async delete(messages: readonly QueueMessage[]): Promise<readonly string[]> {
    const failed: string[] = [];
    for (const q of messages) {
      const i = this.messages.findIndex((m) => `${m.id}#${m.receipts}` === q.receiptHandle);
      // A stale receipt (the message was received again since) cannot delete, as in SQS.
      if (i < 0) failed.push(q.id);
      else this.messages.splice(i, 1);
    }
    return failed;
  }

  close(): void {
    this.closed = true;
  }
}
