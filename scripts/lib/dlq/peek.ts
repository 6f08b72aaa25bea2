import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS hands out at most 10 messages per receive and takes at most 10 entries per batch call. */
export const SQS_BATCH = 10;

export interface ReceiveOptions {
  /** How long received messages stay hidden from other consumers (seconds). */
  visibilitySeconds: number;
  /**
   * Long-poll wait per receive (seconds). A short poll on AWS samples only some
   * servers and can come back empty while messages remain; 1 s asks them all.
   */
  waitSeconds: number;
}

/** One ReceiveMessage call with every attribute the DLQ tool reads. */
export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  options: ReceiveOptions,
): Promise<Message[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(SQS_BATCH, max)),
      VisibilityTimeout: options.visibilitySeconds,
      WaitTimeSeconds: options.waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

/**
 * Makes messages visible again at once (ChangeMessageVisibility 0), so what
 * was only looked at is not held back from anyone. Returns how many could not
 * be released (their receipt handle expired: they are visible again anyway).
 */
export async function release(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<number> {
  let failed = 0;
  for (let i = 0; i < messages.length; i += SQS_BATCH) {
    const chunk = messages.slice(i, i + SQS_BATCH);
    const result = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    failed += result.Failed?.length ?? 0;
  }
  return failed;
}

export interface Peeked {
  messages: Message[];
  /** Messages received but left out (already seen in this peek: SQS may hand a message out twice). */
  duplicatesSeen: number;
}

/** The messages a peek has seen, by id: a repeat replaces the earlier copy (only the newest receipt handle can release it). */
class Seen {
  readonly byId = new Map<string, Message>();
  duplicates = 0;

  add(batch: Message[]): void {
    for (const message of batch) {
      if (this.byId.has(message.MessageId ?? '')) this.duplicates++;
      this.byId.set(message.MessageId ?? '', message);
    }
  }

  peeked(): Peeked {
    return { messages: [...this.byId.values()], duplicatesSeen: this.duplicates };
  }
}

/**
 * Receives into `seen` until it holds `max` messages, a receive comes back empty, or one brings only
 * repeats (the peek outlasted the visibility timeout and went round: everything has been seen). Tells
 * `onReceive` each receive and how many it asked for.
 */
async function receiveUntilDone(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveOptions & { max: number },
  seen: Seen,
  onReceive: (batch: Message[], asked: number) => void = () => {},
): Promise<void> {
  while (seen.byId.size < options.max) {
    const asked = Math.min(SQS_BATCH, options.max - seen.byId.size);
    const batch = await receiveBatch(sqs, queueUrl, asked, options);
    if (batch.length === 0) return;
    const before = seen.byId.size;
    seen.add(batch);
    onReceive(batch, asked);
    if (seen.byId.size === before) return;
  }
}

/**
 * Receives up to `max` messages without consuming them: each is hidden for
 * `visibilitySeconds` while the tool reads it, and the caller releases them
 * with `release()` when done. Stops at the first empty receive.
 *
 * Every receive increments a message's ApproximateReceiveCount; a DLQ has no
 * redrive policy of its own, so that moves nothing.
 */
export async function peek(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveOptions & { max: number },
): Promise<Peeked> {
  const seen = new Seen();
  await receiveUntilDone(sqs, queueUrl, options, seen);
  return seen.peeked();
}

/**
 * Receives every message of a FIFO queue without consuming it, the ones
 * behind their group's head included, as far as SQS lets anyone see them.
 *
 * A plain `peek` misses messages on a FIFO queue: once a receive has handed
 * out a message of a group, the group is locked until that message is deleted
 * or visible again, so a group whose messages straddle two receives shows only
 * the first part (MiniStack, which fills each receive in queue order), or only
 * its first ten (AWS, which returns as many of one group as it can:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
 * So after a plain peek, each group seen in a full receive (the only ones a
 * receive can have cut) is read again on its own: its messages are released
 * while every other group stays hidden, and one receive hands out up to ten of
 * them in order. A group with more than ten messages still shows only ten:
 * `Peeked.messages` is then shorter than the queue (the caller compares it
 * with the queue's depth). The caller releases the messages with `release()`.
 */
export async function peekFifo(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveOptions & { max: number },
): Promise<Peeked> {
  const seen = new Seen();
  const groupOf = (m: Message) => m.Attributes?.MessageGroupId ?? '';
  /** Groups that had a message in a full receive: a receive that stopped at its limit may have cut them. */
  const cut = new Set<string>();
  await receiveUntilDone(sqs, queueUrl, options, seen, (batch, asked) => {
    if (batch.length === asked) for (const m of batch) cut.add(groupOf(m));
  });
  for (const group of cut) {
    if (seen.byId.size >= options.max) break;
    const held = [...seen.byId.values()].filter((m) => groupOf(m) === group);
    await release(sqs, queueUrl, held);
    // Every other group is hidden (in flight): this receive can only hand out this group's messages, from its head.
    seen.add(
      await receiveBatch(sqs, queueUrl, Math.min(SQS_BATCH, options.max - seen.byId.size + held.length), options),
    );
  }
  return seen.peeked();
}
