import { keys } from '../contracts/keys';
import type { Envelope } from '../messages/envelope';
import { applyOnce } from '../runtime/consumer/apply-once';
import type { ConsumerContext } from '../runtime/consumer/bootstrap';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const ANALYTICS_CONSUMER = 'analytics-consumer';

/**
 * Counts each order's outcome events, at most once per event id (`applyOnce`);
 * a duplicate delivery would show as `events` > number of types.
 */
export async function recordAnalytics(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  const { orderId } = envelope.data as { orderId: string };
  const now = ctx.now();
  await applyOnce(ctx.ddb, {
    tableName: ctx.tableName,
    consumer: ANALYTICS_CONSUMER,
    eventId: envelope.id,
    now,
    effect: [
      {
        Update: {
          TableName: ctx.tableName,
          Key: keys.analytics(orderId),
          UpdateExpression: 'ADD events :one, types :type SET lastEventAt = :now',
          ExpressionAttributeValues: { ':one': 1, ':type': new Set([envelope.type]), ':now': now.toISOString() },
        },
      },
    ],
  });
}
