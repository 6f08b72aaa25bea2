import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../contracts/env';
import type { EventType } from '../../contracts/events';
import type { TypedEnvelope } from '../../messages/envelope';
import { createSqsClient } from '../../platform/clients';
import { bootstrapRunner } from '../core';
import type { ConsumerContext, ConsumerProcess } from './context';
import { createQueueConsumer, EVENT_CONTENT_JMESPATH } from './queue-consumer';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Wires a queue consumer from its environment: reads the env vars once (failing
 * loudly when one is missing), builds the clients (../core.ts) and hands each
 * validated envelope to `process`. Handlers stay one call long. Logging and
 * business figures (duplicates suppressed) are the consumer runner's, not
 * `process`'s.
 *
 * A consumer that handles only some event types names them in `accepts`
 * (required once `process` takes a narrower type): any other type is a
 * `WrongEventTypeError`, parked on its first attempt.
 */
export function bootstrapConsumer(
  name: string,
  process: ConsumerProcess,
  options?: { fifo?: boolean; accepts?: readonly EventType[] },
): SqsHandler;
export function bootstrapConsumer<K extends EventType>(
  name: string,
  process: ConsumerProcess<K>,
  options: { fifo?: boolean; accepts: readonly K[] },
): SqsHandler;
export function bootstrapConsumer(
  name: string,
  process: ConsumerProcess,
  options: { fifo?: boolean; accepts?: readonly EventType[] } = {},
): SqsHandler {
  const { env, ddb, deps } = bootstrapRunner(
    name,
    [ENV.CONSUMER_STATE_TABLE_NAME, ENV.DEAD_LETTER_QUEUE_URL, ENV.MAX_RECEIVE_COUNT],
    // The envelope's own id: a re-published event keeps it, a new SQS message does not matter.
    'id',
    // ...and its content must match: a known id with other content is a conflict, parked (issue 17).
    EVENT_CONTENT_JMESPATH,
  );
  const maxReceiveCount = Number(env.MAX_RECEIVE_COUNT);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
    throw new Error(`${ENV.MAX_RECEIVE_COUNT} must be a positive integer, got "${env.MAX_RECEIVE_COUNT}"`);
  }
  const ctx: ConsumerContext = { ddb, tableName: env.CONSUMER_STATE_TABLE_NAME, now: () => new Date() };
  return createQueueConsumer(
    {
      name,
      fifo: options.fifo,
      accepts: options.accepts,
      // The runner has checked the type against `accepts` (or the catalogue) before this runs.
      process: (envelope, record) => process(envelope as TypedEnvelope<EventType>, ctx, record),
    },
    { ...deps, sqs: createSqsClient(), deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL, maxReceiveCount },
  );
}
