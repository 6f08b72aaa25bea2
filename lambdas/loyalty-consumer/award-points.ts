import { keys } from '../contracts/keys';
import { type Envelope, isEventOfType } from '../messages/envelope';
import { applyOnce } from '../runtime/consumer/apply-once';
import type { ConsumerContext } from '../runtime/consumer/bootstrap';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const LOYALTY_CONSUMER = 'loyalty-consumer';

/**
 * Awards one point per whole currency unit of a confirmed order, at most once
 * per event id (`applyOnce`). The SNS filter policy only lets confirmed orders
 * of at least LOYALTY_MIN_TOTAL through; this function trusts that filter, so a
 * test that sees points for a small order has found a broken filter rather
 * than a masked one.
 */
export async function awardPoints(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  if (!isEventOfType(envelope, 'OrderConfirmed')) {
    throw new Error(`${LOYALTY_CONSUMER} only handles OrderConfirmed, got ${envelope.type}`);
  }
  const { customerId, total } = envelope.data;
  await applyOnce(ctx.ddb, {
    tableName: ctx.tableName,
    consumer: LOYALTY_CONSUMER,
    eventId: envelope.id,
    now: ctx.now(),
    effect: [
      {
        Update: {
          TableName: ctx.tableName,
          Key: keys.loyalty(customerId),
          UpdateExpression: 'ADD points :points, orders :one',
          ExpressionAttributeValues: { ':points': Math.floor(total), ':one': 1 },
        },
      },
    ],
  });
}
