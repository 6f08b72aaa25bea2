import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EffectConflictError, EventIdConflictError } from '../../contracts/errors';
import { keys } from '../../contracts/keys';
import { cancellationCodes } from '../../event-store/event-store';
import type { Envelope } from '../../messages/envelope';
import { contentFingerprint } from '../../messages/fingerprint';
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
  /**
   * The event's content fingerprint (`contentFingerprint`, lambdas/messages/fingerprint.ts),
   * kept on the marker so a later delivery of the same id can be told a
   * duplicate (same fingerprint) from a conflict (another one).
   */
  fingerprint: string;
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
 * Unless the content differs (issue 17): the marker keeps the fingerprint of
 * the content it was written for, and a failed marker condition returns the
 * marker as it is (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, no extra
 * read). Same fingerprint: `already-applied`. Another fingerprint: the id was
 * reused for other content, which is neither applied (the transaction was
 * cancelled) nor skipped in silence: an {@link EventIdConflictError}, which
 * the runner parks on the first attempt ({@link judgeKnownEvent}). This is the
 * durable half of the rule; the runner's Powertools payload validation
 * (./queue-consumer.ts) sees the same conflict earlier, but only while its
 * record lives (24 hours), whereas markers outlive archive replays and late
 * DLQ redrives.
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
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html (`Item`: the
 *   item whose condition failed, returned with `ReturnValuesOnConditionCheckFailure: ALL_OLD`)
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
        fingerprint: input.fingerprint,
        appliedAt: input.now.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  try {
    await ddb.send(new TransactWriteCommand({ TransactItems: [marker, ...input.effect] }));
    return 'applied';
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes === undefined) throw error;
    if (codes[0] === 'ConditionalCheckFailed') {
      const stored = storedFingerprint(error);
      if (judgeKnownEvent(stored, input.fingerprint) === 'duplicate') return 'already-applied';
      throw new EventIdConflictError(input.consumer, input.eventId, `apply-once marker ${stored}`, input.fingerprint);
    }
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
 * What a delivery of an event id that was seen before is, given the content
 * fingerprint stored when it was first processed (pure, so the rule is
 * unit-tested apart from DynamoDB; the same rule as the saga start's
 * `judgeSecondStart`, lambdas/order-service/order-lifecycle.ts):
 * - `duplicate`: the same fingerprint (a redelivery, whatever its delivery
 *   metadata), or none stored (a marker written before fingerprints were
 *   kept, which cannot be compared: treated as before issue 17);
 * - `conflict`: another fingerprint, so the id was reused for other content.
 */
export function judgeKnownEvent(stored: string | undefined, fingerprint: string): 'duplicate' | 'conflict' {
  return stored === undefined || stored === fingerprint ? 'duplicate' : 'conflict';
}

/**
 * The fingerprint on the marker a cancelled transaction returned (its first
 * item's `ALL_OLD`). The document client does not translate an error's
 * contents, so the item is in DynamoDB's attribute-value form.
 */
function storedFingerprint(error: unknown): string | undefined {
  const item = (error as { CancellationReasons?: { Item?: Record<string, unknown> }[] }).CancellationReasons?.[0]?.Item;
  if (!item) return undefined;
  const fingerprint = unmarshall(item as Parameters<typeof unmarshall>[0]).fingerprint;
  return typeof fingerprint === 'string' ? fingerprint : undefined;
}

/**
 * {@link applyOnce} for a consumer's domain function: on `ctx`'s consumer-state
 * table, for `event`'s own id and content fingerprint, at one reading of
 * `ctx`'s clock, which `effect` receives for its own timestamps (marker and
 * effect carry the same instant).
 */
export function applyEffectOnce(
  ctx: ConsumerContext,
  consumer: string,
  event: Pick<Envelope, 'id' | 'type' | 'data'>,
  effect: (now: Date) => EffectWrite[],
): Promise<ApplyOnceOutcome> {
  const now = ctx.now();
  return applyOnce(ctx.ddb, {
    tableName: ctx.tableName,
    consumer,
    eventId: event.id,
    fingerprint: contentFingerprint(event),
    now,
    effect: effect(now),
  });
}
