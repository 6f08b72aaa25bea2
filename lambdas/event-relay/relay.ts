import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { ORDER_SERVICE_SOURCE } from '../contracts/events';
import { relaysToTimeline } from '../contracts/routes';
import { storedEnvelope } from '../event-store/event-store';
import { storedEventOf } from '../event-store/stream-records';
import { type Envelope, PUT_EVENTS_LIMIT_BYTES, putEventsEntry, putEventsEntryBytes } from '../messages/envelope';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

/**
 * SendMessageBatch takes at most 10 entries per call.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const SEND_MESSAGE_BATCH = 10;

/**
 * The most message-body bytes the relay puts in one SendMessageBatch request,
 * and in one message. AWS's API reference now gives 1 MiB for both (it gave
 * 256 KiB before); the relay keeps to the older 256 KiB, which every event
 * fits anyway (an event's body is smaller than its PutEvents entry, whose
 * limit is 256 KiB), so the same requests are accepted by AWS and by engines
 * that keep the older limit.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const SEND_MESSAGE_BATCH_LIMIT_BYTES = 256 * 1024;

export interface RelayDeps {
  eventBridge: EventBridgeClient;
  eventBusName: string;
  sqs: SQSClient;
  /** The order timeline's FIFO queue: every stored event goes there, in its order's message group. */
  timelineQueueUrl: string;
  /** Told which record the bus or the queue refused and why (the handler logs it); the retry starts from that record. */
  onRefused?: (refused: { record: DynamoDBRecord; envelope: Envelope; reason: string }) => void;
}

/** A stored event of the batch, with its place in the batch (stream order). */
interface Stored {
  index: number;
  record: DynamoDBRecord;
  envelope: Envelope;
  /** The event store's aggregate id: the order id. */
  aggregateId: string;
}

/** One event on its way to the bus, with its entry's size as EventBridge counts it. */
interface Outgoing extends Stored {
  entry: PutEventsRequestEntry;
  bytes: number;
}

/** One event on its way to the timeline queue, with its body's size. */
interface Queued extends Stored {
  entry: Omit<SendMessageBatchRequestEntry, 'Id'>;
  bytes: number;
}

/** The first record of the batch that did not reach the bus or the queue, and why. */
interface Refusal {
  item: Stored;
  reason: string;
}

/**
 * Splits entries, in order, into requests of at most `maxEntries` entries and
 * at most `maxBytes` of entries together (both services refuse a whole request
 * over either). Every entry given must fit on its own.
 */
export function sizedBatches<T extends { bytes: number }>(entries: T[], maxEntries: number, maxBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length >= maxEntries || bytes + entry.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Splits entries, in order, into PutEvents requests: at most
 * {@link PUT_EVENTS_BATCH} entries and at most {@link PUT_EVENTS_LIMIT_BYTES}
 * of entries together (EventBridge refuses a whole request over either). Every
 * entry given must fit on its own.
 */
export function putEventsBatches<T extends { bytes: number }>(entries: T[]): T[][] {
  return sizedBatches(entries, PUT_EVENTS_BATCH, PUT_EVENTS_LIMIT_BYTES);
}

/**
 * The outbox relay. For every event the event store recorded, in stream order:
 *
 * 1. **The bus.** Events the order service recorded are published to the bus.
 *    Events that came in from outside (OrderPlaced from checkout) are already
 *    on the bus and are skipped there.
 * 2. **The order timeline's FIFO queue.** Every stored event the routing
 *    table's relay route matches (`RELAY_ROUTES` in lambdas/contracts/routes.ts:
 *    all of them, OrderPlaced included) is sent with `SendMessageBatch`: message group = the order id
 *    (the aggregate id), deduplication id = the event id, body = the envelope
 *    as stored (with `metadata.aggregateVersion`). SQS keeps the order of a
 *    FIFO batch's messages and delivers each group in order, so each order's
 *    timeline receives its events in the order the stream gave them, and one
 *    order's stuck event holds only that order. That the stream gives an
 *    order's versions in version order is unverified: DynamoDB Streams promise
 *    order per item, and each version is its own item
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html);
 *    the timeline consumer records any version that comes early as a gap and
 *    the late one as late, never silently out of place. (An event bus rule cannot do this: its SQS
 *    target's `MessageGroupId` is one fixed string for every event, see
 *    lib/constructs/event-router.ts.)
 *
 * Failure semantics, the same on both paths: requests go out in order, of up
 * to 10 entries (and 256 KiB) each, and the first record that either path
 * refused (a refused entry, a failed call, an event too big to send) is
 * reported as the batch item failure. Lambda then retries from that record on,
 * so nothing is skipped and the order is kept. The bus goes first; the queue
 * then gets only the records before the bus's first refusal, so after any
 * failure both paths have every record before the reported one, and neither
 * has skipped one. A retry may send an event again on either path: bus
 * consumers are idempotent by event id, and on the queue SQS drops a repeat
 * of a deduplication id within its 5-minute interval (the timeline consumer is
 * idempotent by event id as well, for a repeat after that).
 *
 * One case keeps order only up to the consumer: should SQS refuse one entry of
 * a batch yet accept a later entry of the same order in that batch, the
 * retry's copy of the later one is dropped as a duplicate and the refused one
 * arrives after it. The timeline consumer then records the refused event's
 * version as missing and, when it arrives, as late (never silently out of
 * place). The per-entry refusals the SendMessageBatch reference names are for
 * entries SQS cannot take (characters outside its allowed set, size); the
 * JSON encoding (control characters escaped) and the event store's size rule
 * keep those out. Whether SQS refuses single entries for other reasons (such
 * as throttling) is not documented either way (unverified).
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html ("For a FIFO queue, multiple messages within a single batch are enqueued in the order they are sent")
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html (order per message group)
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-key-terms.html (5-minute deduplication interval)
 */
export async function relay(records: DynamoDBRecord[], deps: RelayDeps): Promise<DynamoDBBatchResponse> {
  const stored: Stored[] = [];
  for (const record of records) {
    const item = storedEventOf(record);
    if (!item) continue;
    stored.push({ index: stored.length, record, envelope: storedEnvelope(item), aggregateId: item.aggregateId });
  }

  const toBus: Outgoing[] = stored
    .filter((s) => s.envelope.source === ORDER_SERVICE_SOURCE)
    .map((s) => {
      const entry = putEventsEntry(s.envelope, deps.eventBusName);
      return { ...s, entry, bytes: putEventsEntryBytes(entry) };
    });
  let refused = await publishToBus(toBus, deps);

  const before = refused?.item.index ?? stored.length;
  const toQueue: Queued[] = stored
    .slice(0, before)
    .filter((s) => relaysToTimeline(s.envelope))
    .map((s) => {
      const body = JSON.stringify(s.envelope);
      return {
        ...s,
        entry: { MessageBody: body, MessageGroupId: s.aggregateId, MessageDeduplicationId: s.envelope.id },
        bytes: Buffer.byteLength(body, 'utf8'),
      };
    });
  refused = (await sendToQueue(toQueue, deps)) ?? refused;

  if (!refused) return { batchItemFailures: [] };
  deps.onRefused?.({ record: refused.item.record, envelope: refused.item.envelope, reason: refused.reason });
  return { batchItemFailures: [{ itemIdentifier: refused.item.record.dynamodb?.SequenceNumber ?? '' }] };
}

/**
 * Sends `items` in order, in requests of at most `maxEntries` entries and
 * `maxBytes` together, and returns the first record not sent. An entry over
 * `maxBytes` is never sent (the service would refuse the whole request): the
 * entries before it are sent and it is the refusal, with its size and the
 * limit, so the stream's retries and then its failure queue take it. The event
 * store refuses such events, so only one stored before that rule existed can
 * get here.
 */
async function sendInOrder<T extends Stored & { bytes: number }>(
  items: T[],
  limits: { maxEntries: number; maxBytes: number; what: string },
  send: (batch: T[]) => Promise<Refusal | undefined>,
): Promise<Refusal | undefined> {
  const oversizedAt = items.findIndex((item) => item.bytes > limits.maxBytes);
  const sendable = oversizedAt >= 0 ? items.slice(0, oversizedAt) : items;
  for (const batch of sizedBatches(sendable, limits.maxEntries, limits.maxBytes)) {
    const refused = await send(batch);
    if (refused) return refused;
  }
  if (oversizedAt < 0) return undefined;
  const item = items[oversizedAt];
  return {
    item,
    reason:
      `OVERSIZED: ${item.envelope.type} event ${item.envelope.id} is ${item.bytes} bytes as ${limits.what}; ` +
      `the limit is ${limits.maxBytes} bytes, so it was not sent`,
  };
}

/** Publishes to the bus in order; returns the first record not published. */
function publishToBus(items: Outgoing[], deps: RelayDeps): Promise<Refusal | undefined> {
  const limits = { maxEntries: PUT_EVENTS_BATCH, maxBytes: PUT_EVENTS_LIMIT_BYTES, what: 'a PutEvents entry' };
  return sendInOrder(items, limits, (batch) => putEvents(batch, deps));
}

/** Sends to the timeline queue in order; returns the first record not sent. */
function sendToQueue(items: Queued[], deps: RelayDeps): Promise<Refusal | undefined> {
  const limits = {
    maxEntries: SEND_MESSAGE_BATCH,
    maxBytes: SEND_MESSAGE_BATCH_LIMIT_BYTES,
    what: 'a timeline queue message body',
  };
  return sendInOrder(items, limits, (batch) => sendMessageBatch(batch, deps));
}

/** Sends one PutEvents request; returns the first entry the bus refused (or the head, if the call failed) and why. */
async function putEvents(batch: Outgoing[], deps: RelayDeps): Promise<Refusal | undefined> {
  try {
    const result = await deps.eventBridge.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
    const failedAt = (result.Entries ?? []).findIndex((entry) => entry.ErrorCode);
    if (failedAt >= 0) {
      const refused = result.Entries?.[failedAt];
      return { item: batch[failedAt], reason: `${refused?.ErrorCode}: ${refused?.ErrorMessage ?? ''}` };
    }
    if ((result.FailedEntryCount ?? 0) > 0) {
      return { item: batch[0], reason: `FailedEntryCount ${result.FailedEntryCount} without a refused entry` };
    }
    return undefined;
  } catch (error) {
    return { item: batch[0], reason: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/**
 * Sends one SendMessageBatch request. SQS answers per entry, even with HTTP
 * 200, so every entry is checked: returns the earliest entry (in batch order)
 * that SQS refused or did not report as sent (or the head, if the call
 * failed), and why.
 */
async function sendMessageBatch(batch: Queued[], deps: RelayDeps): Promise<Refusal | undefined> {
  try {
    const result = await deps.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: deps.timelineQueueUrl,
        Entries: batch.map((q, i) => ({ Id: String(i), ...q.entry })),
      }),
    );
    const failed = new Map((result.Failed ?? []).map((f) => [f.Id, f]));
    const sent = new Set((result.Successful ?? []).map((s) => s.Id));
    for (let i = 0; i < batch.length; i++) {
      const failure = failed.get(String(i));
      if (failure) {
        return {
          item: batch[i],
          reason: `timeline queue: ${failure.Code}: ${failure.Message ?? ''}${failure.SenderFault ? ' (sender fault)' : ''}`,
        };
      }
      if (!sent.has(String(i))) return { item: batch[i], reason: 'timeline queue: entry neither sent nor refused' };
    }
    return undefined;
  } catch (error) {
    return { item: batch[0], reason: `timeline queue: ${(error as Error).name}: ${(error as Error).message}` };
  }
}
