import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumerContext } from '../shared/consumer-bootstrap';
import { type Envelope, isEventOfType } from '../shared/envelope';
import { keys } from '../shared/keys';

/**
 * Awards one point per whole currency unit of a confirmed order. The SNS filter
 * policy only lets confirmed orders of at least LOYALTY_MIN_TOTAL through; this
 * function trusts that filter, so a test that sees points for a small order has
 * found a broken filter rather than a masked one.
 */
export async function awardPoints(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  if (!isEventOfType(envelope, 'OrderConfirmed')) {
    throw new Error(`loyalty-consumer only handles OrderConfirmed, got ${envelope.type}`);
  }
  const { customerId, total } = envelope.data;
  await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.loyalty(customerId),
      UpdateExpression: 'ADD points :points, orders :one',
      ExpressionAttributeValues: { ':points': Math.floor(total), ':one': 1 },
    }),
  );
}
