import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { ENV } from '../contracts/env';
import { createEventBridgeClient, createSqsClient } from '../platform/clients';
import { readEnv } from '../platform/env';
import { createLogger, envelopeLogKeys } from '../platform/logger';
import { type RelayDeps, relay } from './relay';

const env = readEnv([ENV.EVENT_BUS_NAME, ENV.TIMELINE_QUEUE_URL]);
const logger = createLogger('event-relay');
const deps: RelayDeps = {
  eventBridge: createEventBridgeClient(),
  eventBusName: env.EVENT_BUS_NAME,
  sqs: createSqsClient(),
  timelineQueueUrl: env.TIMELINE_QUEUE_URL,
  // The refused record's own keys (correlation id, event id and type, order id),
  // so the order's path in the logs shows where it stalled and why.
  onRefused: ({ record, envelope, reason }) =>
    logger.warn('relay will retry from a refused record', {
      ...envelopeLogKeys(envelope),
      sequenceNumber: record.dynamodb?.SequenceNumber,
      reason,
    }),
};

/** Event-store stream → the bus and the order timeline's FIFO queue (transactional outbox). */
export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  logger.addContext(context);
  return relay(event.Records, deps);
};
