import { keys } from '../contracts/keys';
import { applyEffectOnce } from '../runtime/consumer/apply-once';
import type { ConsumerProcess } from '../runtime/consumer/context';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const LOYALTY_CONSUMER = 'loyalty-consumer';

/**
 * Awards one point per whole currency unit of a confirmed order, at most once
 * per event id (`applyOnce`); the runner refuses any other type (see the
 * handler's `accepts`). The SNS filter policy only lets confirmed orders of
 * at least LOYALTY_MIN_TOTAL through; this function trusts that filter, so a
 * test that sees points for a small order has found a broken filter rather
 * than a masked one.
 */
export const awardPoints: ConsumerProcess<'OrderConfirmed'> = async (envelope, ctx) => {
  const { customerId, total } = envelope.data;
  await applyEffectOnce(ctx, LOYALTY_CONSUMER, envelope, () => [
    {
      Update: {
        TableName: ctx.tableName,
        Key: keys.loyalty(customerId),
        UpdateExpression: 'ADD points :points, orders :one',
        ExpressionAttributeValues: { ':points': Math.floor(total), ':one': 1 },
      },
    },
  ]);
};
