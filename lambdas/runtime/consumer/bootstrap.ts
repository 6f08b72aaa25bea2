import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ENV } from '../../contracts/env';
import type { Envelope } from '../../messages/envelope';
import { createDocumentClient, createSqsClient } from '../../platform/clients';
import { readEnv } from '../../platform/env';
import { faultInjectorFromEnv } from '../../platform/fault-injection';
import { idempotencyFor } from '../../platform/idempotency';
import { createLogger } from '../../platform/logger';
import { BusinessMetrics } from '../../platform/metrics';
import { createQueueConsumer } from './queue-consumer';

/** What a consumer's domain function receives besides the event. */
export interface ConsumerContext {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
}

/**
 * Wires a queue consumer from its environment: reads the env vars once (failing
 * loudly when one is missing), builds the clients and hands each validated
 * envelope to `process`. Handlers stay one call long. Logging and business
 * figures (duplicates suppressed) are the consumer runner's, not `process`'s.
 */
export function bootstrapConsumer(
  name: string,
  process: (envelope: Envelope, ctx: ConsumerContext, record: SQSRecord) => Promise<void>,
  options: { fifo?: boolean } = {},
) {
  const env = readEnv([
    ENV.CONSUMER_STATE_TABLE_NAME,
    ENV.IDEMPOTENCY_TABLE_NAME,
    ENV.DEAD_LETTER_QUEUE_URL,
    ENV.MAX_RECEIVE_COUNT,
  ]);
  const maxReceiveCount = Number(env.MAX_RECEIVE_COUNT);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
    throw new Error(`${ENV.MAX_RECEIVE_COUNT} must be a positive integer, got "${env.MAX_RECEIVE_COUNT}"`);
  }
  const dynamo = new DynamoDBClient({});
  const ctx: ConsumerContext = {
    ddb: createDocumentClient(dynamo),
    tableName: env.CONSUMER_STATE_TABLE_NAME,
    now: () => new Date(),
  };
  const logger = createLogger(name);
  return createQueueConsumer(
    { name, fifo: options.fifo, process: (envelope, record) => process(envelope, ctx, record) },
    {
      sqs: createSqsClient(),
      logger,
      faults: faultInjectorFromEnv(logger),
      metrics: new BusinessMetrics(name),
      deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL,
      maxReceiveCount,
      idempotency: idempotencyFor({ tableName: env.IDEMPOTENCY_TABLE_NAME, eventKeyJmesPath: 'id', client: dynamo }),
    },
  );
}
