import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type Envelope, ORDER_SERVICE_SOURCE } from '../shared/envelope';
import { storedEnvelopeOf } from '../shared/stream';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

export interface RelayDeps {
  eventBridge: EventBridgeClient;
  eventBusName: string;
  /** Told which record the bus refused and why (the handler logs it); the retry starts from that record. */
  onRefused?: (refused: { record: DynamoDBRecord; envelope: Envelope; reason: string }) => void;
}

/**
 * The outbox relay: publishes every event the order service recorded in the
 * event store to the bus, in stream order. Events that came in from outside
 * (e.g. OrderPlaced from checkout) are already on the bus and are skipped.
 *
 * Entries go out in batches of 10. If any entry of a batch is refused, the
 * handler reports the first refused record as the batch item failure: Lambda
 * then retries from that record on, so order is kept and nothing is skipped.
 * A retry may publish an event twice; consumers are idempotent by event id.
 */
export async function relay(records: DynamoDBRecord[], deps: RelayDeps): Promise<DynamoDBBatchResponse> {
  const pending: { record: DynamoDBRecord; envelope: Envelope; entry: PutEventsRequestEntry }[] = [];
  for (const record of records) {
    const envelope = storedEnvelopeOf(record);
    if (!envelope || envelope.source !== ORDER_SERVICE_SOURCE) continue;
    pending.push({
      record,
      envelope,
      entry: {
        EventBusName: deps.eventBusName,
        Source: envelope.source,
        DetailType: envelope.type,
        Detail: JSON.stringify(envelope),
        Time: new Date(envelope.time),
      },
    });
  }
  for (let start = 0; start < pending.length; start += PUT_EVENTS_BATCH) {
    const batch = pending.slice(start, start + PUT_EVENTS_BATCH);
    let failedAt: number;
    let reason = '';
    try {
      const result = await deps.eventBridge.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      failedAt = (result.Entries ?? []).findIndex((entry) => entry.ErrorCode);
      if (failedAt >= 0) {
        const refused = result.Entries?.[failedAt];
        reason = `${refused?.ErrorCode}: ${refused?.ErrorMessage ?? ''}`;
      } else if ((result.FailedEntryCount ?? 0) > 0) {
        failedAt = 0;
        reason = `FailedEntryCount ${result.FailedEntryCount} without a refused entry`;
      }
    } catch (error) {
      failedAt = 0;
      reason = `${(error as Error).name}: ${(error as Error).message}`;
    }
    if (failedAt >= 0) {
      deps.onRefused?.({ record: batch[failedAt].record, envelope: batch[failedAt].envelope, reason });
      return { batchItemFailures: [{ itemIdentifier: batch[failedAt].record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
