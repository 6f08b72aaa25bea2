import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumerContext } from '../shared/consumer-bootstrap';
import type { Envelope } from '../shared/envelope';
import { keys } from '../shared/keys';
import { ORDER_OUTCOME_TYPES } from '../shared/schemas';

/**
 * "Sends" the customer e-mail for an order outcome. The stand-in for a mail
 * provider is a counter per (order, outcome): with idempotent delivery it must
 * end at exactly 1, which is what the tests check.
 */
export async function sendOutcomeEmail(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  if (!(ORDER_OUTCOME_TYPES as readonly string[]).includes(envelope.type)) {
    throw new Error(`email-consumer only handles ${ORDER_OUTCOME_TYPES.join(', ')}, got ${envelope.type}`);
  }
  const { orderId } = envelope.data as { orderId: string };
  await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.email(orderId, envelope.type),
      UpdateExpression: 'ADD sends :one SET lastEventId = :id, sentAt = :now',
      ExpressionAttributeValues: { ':one': 1, ':id': envelope.id, ':now': ctx.now().toISOString() },
    }),
  );
}
