import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsumerContext } from '../shared/consumer-bootstrap';
import type { Envelope } from '../shared/envelope';
import { keys } from '../shared/keys';

/** Counts each order's outcome events; a duplicate delivery would show as `events` > number of types. */
export async function recordAnalytics(envelope: Envelope, ctx: ConsumerContext): Promise<void> {
  const { orderId } = envelope.data as { orderId: string };
  await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.analytics(orderId),
      UpdateExpression: 'ADD events :one, types :type SET lastEventAt = :now',
      ExpressionAttributeValues: { ':one': 1, ':type': new Set([envelope.type]), ':now': ctx.now().toISOString() },
    }),
  );
}
