import { keys } from '../contracts/keys';
import { applyEffectOnce } from '../runtime/consumer/apply-once';
import type { ConsumerProcess } from '../runtime/consumer/context';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const ANALYTICS_CONSUMER = 'analytics-consumer';

/**
 * Counts each order's outcome events, at most once per event id (`applyOnce`);
 * a duplicate delivery would show as `events` > number of types.
 */
export const recordAnalytics: ConsumerProcess = async (envelope, ctx) => {
  const { orderId } = envelope.data;
  await applyEffectOnce(ctx, ANALYTICS_CONSUMER, envelope, (now) => [
    {
      Update: {
        TableName: ctx.tableName,
        Key: keys.analytics(orderId),
        UpdateExpression: 'ADD events :one, types :type SET lastEventAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':type': new Set([envelope.type]), ':now': now.toISOString() },
      },
    },
  ]);
};
