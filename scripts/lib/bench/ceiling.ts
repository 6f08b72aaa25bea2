import { randomUUID } from 'node:crypto';
import { CreateEventBusCommand, DeleteEventBusCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { System } from '../order-system';

export interface Ceiling {
  /** SQS messages per second through send (batches of 10) → receive (10) → delete (batches of 10). */
  sqsRoundTripsPerSecond: number;
  /** EventBridge entries per second through PutEvents (batches of 10) to a bus with no rules. */
  putEventsPerSecond: number;
  messages: number;
  concurrency: number;
}

/** Runs `work` on `concurrency` workers until `total` units are done; returns the seconds taken. */
async function timed(total: number, concurrency: number, unit: number, work: (n: number) => Promise<number>) {
  let done = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + 120_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < total) {
        if (Date.now() > deadline)
          throw new Error(`ceiling: ${total - done} of ${total} units still undone after 120 s`);
        const n = Math.min(unit, total - done);
        done += n;
        const handled = await work(n);
        if (handled < n) done -= n - handled;
      }
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * The engine's own rate for the primitives the pipeline is made of, measured
 * on throwaway resources (a queue and a bus with no rules) so the pipeline's
 * figures can be given as a fraction of what the engine can do on this
 * machine at this moment.
 */
export async function measureCeiling(
  sys: System,
  { messages = 1000, concurrency = 4, log = console.log } = {},
): Promise<Ceiling> {
  const id = `bench-ceiling-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({ id, padding: 'x'.repeat(1024) });

  const { QueueUrl } = await sys.sqs.send(new CreateQueueCommand({ QueueName: id }));
  let sqsSeconds: number;
  try {
    // Producers and consumers run together, as in the pipeline.
    let sent = 0;
    const producing = timed(messages, concurrency, 10, async (n) => {
      await sys.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      sent += n;
      return n;
    });
    const consuming = timed(messages, concurrency, 10, async () => {
      const received = await sys.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: sent < messages ? 1 : 0 }),
      );
      const batch = received.Messages ?? [];
      if (batch.length) {
        await sys.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return batch.length;
    });
    [, sqsSeconds] = await Promise.all([producing, consuming]);
  } finally {
    await sys.sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
  const sqsRoundTripsPerSecond = messages / sqsSeconds;
  log(`bench: ceiling: SQS ${sqsRoundTripsPerSecond.toFixed(0)} messages/s (send+receive+delete, batches of 10)`);

  await sys.eventBridge.send(new CreateEventBusCommand({ Name: id }));
  let busSeconds: number;
  try {
    busSeconds = await timed(messages, concurrency, 10, async (n) => {
      const result = await sys.eventBridge.send(
        new PutEventsCommand({
          Entries: Array.from({ length: n }, () => ({
            EventBusName: id,
            Source: 'bench',
            DetailType: 'Ceiling',
            Detail: body,
          })),
        }),
      );
      return n - (result.FailedEntryCount ?? 0);
    });
  } finally {
    await sys.eventBridge.send(new DeleteEventBusCommand({ Name: id }));
  }
  const putEventsPerSecond = messages / busSeconds;
  log(`bench: ceiling: EventBridge ${putEventsPerSecond.toFixed(0)} entries/s (PutEvents, batches of 10)`);
  return { sqsRoundTripsPerSecond, putEventsPerSecond, messages, concurrency };
}
