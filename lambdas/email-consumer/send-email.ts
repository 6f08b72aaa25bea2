import { ORDER_OUTCOME_TYPES } from '../contracts/events';
import { keys } from '../contracts/keys';
import type { Envelope } from '../messages/envelope';
import { applyOnce } from '../runtime/consumer/apply-once';
import type { ConsumerContext } from '../runtime/consumer/bootstrap';

/** The consumer's name: its idempotency keys, effect markers and parked messages carry it. */
export const EMAIL_CONSUMER = 'email-consumer';

/**
 * "Sends" the customer e-mail for an order outcome. The stand-in for a mail
 * provider is a counter per (order, outcome), applied at most once per event
 * id (`applyOnce`): it must end at exactly 1, which is what the tests check.
 */
export async function sendOutcomeEmail(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  if (!(ORDER_OUTCOME_TYPES as readonly string[]).includes(envelope.type)) {
    throw new Error(`${EMAIL_CONSUMER} only handles ${ORDER_OUTCOME_TYPES.join(', ')}, got ${envelope.type}`);
  }
  const { orderId } = envelope.data as { orderId: string };
  const now = ctx.now();
  await applyOnce(ctx.ddb, {
    tableName: ctx.tableName,
    consumer: EMAIL_CONSUMER,
    eventId: envelope.id,
    now,
    effect: [
      {
        Update: {
          TableName: ctx.tableName,
          Key: keys.email(orderId, envelope.type),
          UpdateExpression: 'ADD sends :one SET lastEventId = :id, sentAt = :now',
          ExpressionAttributeValues: { ':one': 1, ':id': envelope.id, ':now': now.toISOString() },
        },
      },
    ],
  });
}
