import type { OrderOutcomeType } from '../contracts/events';
import { keys } from '../contracts/keys';
import { applyEffectOnce } from '../runtime/consumer/apply-once';
import type { ConsumerProcess } from '../runtime/consumer/context';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const EMAIL_CONSUMER = 'email-consumer';

/**
 * "Sends" the customer e-mail for an order outcome (the runner refuses any
 * other type: see the handler's `accepts`). The stand-in for a mail provider
 * is a counter per (order, outcome), applied at most once per event id
 * (`applyOnce`): it must end at exactly 1, which is what the tests check.
 */
export const sendOutcomeEmail: ConsumerProcess<OrderOutcomeType> = async (envelope, ctx) => {
  const { orderId } = envelope.data;
  await applyEffectOnce(ctx, EMAIL_CONSUMER, envelope, (now) => [
    {
      Update: {
        TableName: ctx.tableName,
        Key: keys.email(orderId, envelope.type),
        UpdateExpression: 'ADD sends :one SET lastEventId = :id, sentAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':id': envelope.id, ':now': now.toISOString() },
      },
    },
  ]);
};
