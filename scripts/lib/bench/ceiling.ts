import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DeleteEventBusCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { engineClientConfig } from '../../../localstack/engine';
import type { System } from '../order-system';

export interface Ceiling {
  /** SQS messages per second through send (batches of 10) → receive (10) → delete (batches of 10). */
  sqsRoundTripsPerSecond: number;
  /** API requests per second of that SQS run (SendMessageBatch, ReceiveMessage, DeleteMessageBatch calls). */
  sqsRequestsPerSecond: number;
  /** EventBridge entries per second through PutEvents (batches of 10) to a bus with no rules. */
  putEventsPerSecond: number;
  /**
   * The engine's raw request rate: single-item DynamoDB requests per second (PutItem then GetItem of a
   * 1 KB item, `concurrency` workers, a throwaway on-demand table). Most of what the pipeline asks of
   * the engine is such small DynamoDB requests, so utilization is given against this rate.
   */
  rawRequestsPerSecond: number;
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
  let sqsRequests = 0;
  try {
    // Producers and consumers run together, as in the pipeline.
    let sent = 0;
    let requests = 0;
    const producing = timed(messages, concurrency, 10, async (n) => {
      await sys.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      sent += n;
      requests += 1;
      return n;
    });
    const consuming = timed(messages, concurrency, 10, async () => {
      const received = await sys.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: sent < messages ? 1 : 0 }),
      );
      requests += 1;
      const batch = received.Messages ?? [];
      if (batch.length) {
        requests += 1;
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
    sqsRequests = requests;
  } finally {
    await sys.sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
  const sqsRoundTripsPerSecond = messages / sqsSeconds;
  const sqsRequestsPerSecond = sqsRequests / sqsSeconds;
  log(
    `bench: ceiling: SQS ${sqsRoundTripsPerSecond.toFixed(0)} messages/s (send+receive+delete, batches of 10), ${sqsRequestsPerSecond.toFixed(0)} requests/s`,
  );

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

  const rawRequestsPerSecond = await measureRawRequests(id, body, { requests: 2 * messages, concurrency });
  log(`bench: ceiling: ${rawRequestsPerSecond.toFixed(0)} raw requests/s (single-item DynamoDB PutItem + GetItem)`);
  return {
    sqsRoundTripsPerSecond,
    sqsRequestsPerSecond,
    putEventsPerSecond,
    rawRequestsPerSecond,
    messages,
    concurrency,
  };
}

/**
 * Single-item DynamoDB requests per second on a throwaway on-demand table: each unit is a PutItem of a
 * 1 KB item then a GetItem of it (2 requests), `concurrency` workers. The table is deleted afterwards.
 */
async function measureRawRequests(
  id: string,
  body: string,
  { requests, concurrency }: { requests: number; concurrency: number },
): Promise<number> {
  const ddb = new DynamoDBClient(engineClientConfig());
  await ddb.send(
    new CreateTableCommand({
      TableName: id,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  try {
    const seconds = await timed(requests, concurrency, 2, async () => {
      const pk = { S: randomUUID() };
      await ddb.send(new PutItemCommand({ TableName: id, Item: { pk, body: { S: body } } }));
      await ddb.send(new GetItemCommand({ TableName: id, Key: { pk } }));
      return 2;
    });
    return requests / seconds;
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: id })).catch(() => {});
  }
}
