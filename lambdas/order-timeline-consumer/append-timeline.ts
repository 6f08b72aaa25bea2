import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import type { ConsumerContext } from '../shared/consumer-bootstrap';
import type { Envelope } from '../shared/envelope';
import { keys } from '../shared/keys';

/**
 * Appends each order event to the order's timeline in arrival order. The FIFO
 * queue (message group = order id) is what makes arrival order the order in
 * which the events happened; the test reads this list back, together with the
 * message group ids the events arrived in.
 */
export async function appendTimeline(envelope: Envelope, ctx: ConsumerContext, record: SQSRecord): Promise<void> {
  const { orderId } = envelope.data as { orderId: string };
  const sequence = envelope.metadata.aggregateVersion;
  await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.timeline(orderId),
      UpdateExpression:
        'SET entries = list_append(if_not_exists(entries, :empty), :entry), updatedAt = :now ADD messageGroupIds :group',
      ExpressionAttributeValues: {
        ':group': new Set([record.attributes.MessageGroupId ?? 'none']),
        ':empty': [],
        ':entry': [`${typeof sequence === 'number' ? sequence : '-'}:${envelope.type}`],
        ':now': ctx.now().toISOString(),
      },
    }),
  );
}
