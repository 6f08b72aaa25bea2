import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { EffectConflictError } from '../../contracts/errors';
import { keys } from '../../contracts/keys';
import { cancellationCodes } from '../../event-store/event-store';
import type { Envelope } from '../../messages/envelope';
import type { ConsumerContext } from './context';

/** One write of a consumer's effect, as `TransactWriteItems` takes it (Put, Update, Delete or ConditionCheck). */
export type EffectWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What {@link applyOnce} did. */
export type ApplyOnceOutcome = 'applied' | 'already-applied';

export interface ApplyOnceInput {
  /** The table holding both the effect and the marker (the consumer-state table). */
  tableName: string;
  /** The consumer's name, as in its idempotency keys and parked messages (`email-consumer`). */
  consumer: string;
  /** The event's own id (envelope `id`), never the SQS message id: a re-published event keeps it. */
  eventId: string;
  /** The effect's writes; at most 99, as the marker takes one of DynamoDB's 100 transaction items. */
  effect: EffectWrite[];
  now: Date;
}

/**
 * Applies a consumer's DynamoDB effect at most once per (consumer, event id),
 * whatever happens around it.
 *
 * Powertools idempotency suppresses duplicates only once its record is
 * COMPLETED. A consumer that crashes after the effect and before that (out of
 * memory, a lost host, the `crash-after-effect` fault) leaves an INPROGRESS
 * record that expires, and the retry then runs the business operation again;
 * so do redeliveries after the idempotency record's TTL (archive replays, DLQ
 * redrives days later). This makes the effect itself idempotent: the effect
 * and a marker `APPLIED#<consumer>#<eventId>` are written in one
 * `TransactWriteItems`, the marker on condition that it does not exist yet. A
 * failed marker condition cancels the whole transaction, so the effect is not
 * written twice, and is reported as `already-applied` (not an error: the work
 * is done, the message can be acknowledged).
 *
 * Markers carry no TTL and the consumer-state table has none: they must outlive
 * every way an event can come back, and the bus archive keeps events for
 * replay indefinitely. One marker is a few dozen bytes per event and consumer.
 *
 * This works because the stand-in effects live in DynamoDB. An effect outside
 * it (a real mail provider) cannot join the transaction: pass the event id to
 * the provider as its idempotency key instead.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export async function applyOnce(ddb: DynamoDBDocumentClient, input: ApplyOnceInput): Promise<ApplyOnceOutcome> {
  if (input.effect.length === 0 || input.effect.length > 99) {
    throw new Error(`applyOnce takes 1 to 99 effect writes, got ${input.effect.length} (${input.consumer})`);
  }
  const marker: EffectWrite = {
    Put: {
      TableName: input.tableName,
      Item: {
        ...keys.applied(input.consumer, input.eventId),
        consumer: input.consumer,
        eventId: input.eventId,
        appliedAt: input.now.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  try {
    await ddb.send(new TransactWriteCommand({ TransactItems: [marker, ...input.effect] }));
    return 'applied';
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes === undefined) throw error;
    if (codes[0] === 'ConditionalCheckFailed') return 'already-applied';
    const failedEffect = codes.slice(1).indexOf('ConditionalCheckFailed');
    if (failedEffect >= 0) {
      throw new EffectConflictError(
        `${input.consumer}: the condition of effect write ${failedEffect} failed for event ${input.eventId}; ` +
          'the state changed while the effect was computed, a retry recomputes it',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * {@link applyOnce} for a consumer's domain function: on `ctx`'s consumer-state
 * table, for `event`'s own id, at one reading of `ctx`'s clock, which `effect`
 * receives for its own timestamps (marker and effect carry the same instant).
 */
export function applyEffectOnce(
  ctx: ConsumerContext,
  consumer: string,
  event: Pick<Envelope, 'id'>,
  effect: (now: Date) => EffectWrite[],
): Promise<ApplyOnceOutcome> {
  const now = ctx.now();
  return applyOnce(ctx.ddb, { tableName: ctx.tableName, consumer, eventId: event.id, now, effect: effect(now) });
}
