import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createEventBridgeClient } from '../shared/clients';
import { ENV, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { relay } from './relay';

const env = readEnv([ENV.EVENT_BUS_NAME]);
const deps = { eventBridge: createEventBridgeClient(), eventBusName: env.EVENT_BUS_NAME };
const logger = createLogger('event-relay');

/** Event-store stream → the bus (transactional outbox). */
export const handler = async (event: DynamoDBStreamEvent) => {
  const result = await relay(event.Records, deps);
  if (result.batchItemFailures.length > 0) {
    logger.warn('relay will retry from a refused record', { failure: result.batchItemFailures[0] });
  }
  return result;
};
