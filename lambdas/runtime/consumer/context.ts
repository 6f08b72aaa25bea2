import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import type { EventType } from '../../contracts/events';
import type { TypedEnvelope } from '../../messages/envelope';

/**
 * The contract between the consumer runner (./queue-consumer.ts,
 * ./bootstrap.ts) and a consumer's domain function: what the function
 * receives. Kept apart from the runner so a domain function depends on this
 * small file, not on the runner that calls it.
 */

/** What a consumer's domain function receives besides the event: its state table, a client and a clock. */
export interface ConsumerContext {
  ddb: DynamoDBDocumentClient;
  /** The consumer-state table (key formats: lambdas/contracts/keys.ts). */
  tableName: string;
  now: () => Date;
}

/**
 * A consumer's domain function. It receives only events of the types it
 * accepts (`K`); the runner has validated the event and checked its type, and
 * runs the function at most once per event id. A known id with other content
 * never reaches it a second time: the runner parks it (`EVENT_ID_CONFLICT`).
 * Its effect goes through `applyEffectOnce` (./apply-once.ts), which keeps the
 * same rule for good.
 */
export type ConsumerProcess<K extends EventType = EventType> = (
  envelope: TypedEnvelope<K>,
  ctx: ConsumerContext,
  record: SQSRecord,
) => Promise<void>;
