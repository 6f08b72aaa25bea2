import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import {
  type Envelope,
  ORDER_SERVICE_SOURCE,
  PUT_EVENTS_LIMIT_BYTES,
  putEventsEntry,
  putEventsEntryBytes,
} from '../shared/envelope';
import { storedEnvelopeOf } from '../shared/stream';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

export interface RelayDeps {
  eventBridge: EventBridgeClient;
  eventBusName: string;
  /** Told which record the bus refused and why (the handler logs it); the retry starts from that record. */
  onRefused?: (refused: { record: DynamoDBRecord; envelope: Envelope; reason: string }) => void;
}

/** One event on its way to the bus, with its entry's size as EventBridge counts it. */
interface Outgoing {
  record: DynamoDBRecord;
  envelope: Envelope;
  entry: PutEventsRequestEntry;
  bytes: number;
}

/**
 * Splits entries, in order, into PutEvents requests: at most
 * {@link PUT_EVENTS_BATCH} entries and at most {@link PUT_EVENTS_LIMIT_BYTES}
 * of entries together (EventBridge refuses a whole request over either). Every
 * entry given must fit on its own.
 */
export function putEventsBatches<T extends { bytes: number }>(entries: T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length >= PUT_EVENTS_BATCH || bytes + entry.bytes > PUT_EVENTS_LIMIT_BYTES)) {
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
 * The outbox relay: publishes every event the order service recorded in the
 * event store to the bus, in stream order. Events that came in from outside
 * (e.g. OrderPlaced from checkout) are already on the bus and are skipped.
 *
 * Entries go out in requests of up to 10 entries and 256 KiB. If any entry of a
 * request is refused, the handler reports the first refused record as the
 * batch item failure: Lambda then retries from that record on, so order is
 * kept and nothing is skipped. A retry may publish an event twice; consumers
 * are idempotent by event id.
 *
 * An entry over EventBridge's limit is never sent (the bus would refuse the
 * whole request): the events before it are published and it is reported as the
 * failure with its size and the limit, so the stream's retries and then its
 * failure queue take it. The event store refuses such events, so only one
 * stored before that rule existed can get here.
 */
export async function relay(records: DynamoDBRecord[], deps: RelayDeps): Promise<DynamoDBBatchResponse> {
  const pending: Outgoing[] = [];
  for (const record of records) {
    const envelope = storedEnvelopeOf(record);
    if (!envelope || envelope.source !== ORDER_SERVICE_SOURCE) continue;
    const entry = putEventsEntry(envelope, deps.eventBusName);
    pending.push({ record, envelope, entry, bytes: putEventsEntryBytes(entry) });
  }
  const oversizedAt = pending.findIndex((p) => p.bytes > PUT_EVENTS_LIMIT_BYTES);
  const sendable = oversizedAt >= 0 ? pending.slice(0, oversizedAt) : pending;

  for (const batch of putEventsBatches(sendable)) {
    const refused = await send(batch, deps);
    if (refused) return refusal(refused.item, refused.reason, deps);
  }
  if (oversizedAt >= 0) {
    const item = pending[oversizedAt];
    return refusal(
      item,
      `OVERSIZED: ${item.envelope.type} event ${item.envelope.id} is ${item.bytes} bytes as a PutEvents entry; ` +
        `EventBridge's limit is ${PUT_EVENTS_LIMIT_BYTES} bytes, so it was not sent`,
      deps,
    );
  }
  return { batchItemFailures: [] };
}

/** Sends one request; returns the first entry the bus refused (or the head, if the call failed) and why. */
async function send(batch: Outgoing[], deps: RelayDeps): Promise<{ item: Outgoing; reason: string } | undefined> {
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

function refusal(item: Outgoing, reason: string, deps: RelayDeps): DynamoDBBatchResponse {
  deps.onRefused?.({ record: item.record, envelope: item.envelope, reason });
  return { batchItemFailures: [{ itemIdentifier: item.record.dynamodb?.SequenceNumber ?? '' }] };
}
