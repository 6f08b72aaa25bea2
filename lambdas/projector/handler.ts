import type { DynamoDBStreamEvent } from 'aws-lambda';
import { ENV } from '../contracts/env';
import { ProjectionGapError } from '../contracts/errors';
import { type StoredEvent, storedEnvelope } from '../event-store/event-store';
import { storedEventOf } from '../event-store/stream-records';
import { createDocumentClient } from '../platform/clients';
import { readEnv } from '../platform/env';
import { createLogger, envelopeLogKeys } from '../platform/logger';
import { projectBatch } from './project';

const env = readEnv([ENV.READ_MODEL_TABLE_NAME, ENV.CUSTOMER_STATS_TABLE_NAME]);
const deps = {
  ddb: createDocumentClient(),
  readModelTable: env.READ_MODEL_TABLE_NAME,
  customerStatsTable: env.CUSTOMER_STATS_TABLE_NAME,
};
const logger = createLogger('projector');

/** Event-store stream → read models (order summary with customer history index, customer statistics). */
export const handler = async (event: DynamoDBStreamEvent) => {
  const { response, counts, failure } = await projectBatch(event.Records, deps);
  if (failure) {
    const item = storedEventOf(failure.record);
    const where = {
      aggregateId: item?.aggregateId,
      version: item?.version,
      sequenceNumber: failure.record.dynamodb?.SequenceNumber,
      ...(item ? envelopeKeysOf(item) : {}),
    };
    if (failure.error instanceof ProjectionGapError) {
      // Reported, never applied out of order: the stream retries from this record until the gap closes.
      logger.warn('projection gap: retrying from this record', {
        ...where,
        gap: { expected: failure.error.expected, got: failure.error.got },
        counts,
      });
    } else {
      logger.error('projection failed: retrying from this record', { ...where, error: failure.error as Error, counts });
    }
  } else {
    logger.debug('projected batch', { counts });
  }
  return response;
};

/** The envelope's log keys (correlation id, …) so the failure joins the order's trail; the bare ids if it does not parse. */
function envelopeKeysOf(item: StoredEvent): Record<string, string> {
  try {
    return envelopeLogKeys(storedEnvelope(item));
  } catch {
    return { eventId: item.eventId, eventType: item.type };
  }
}
