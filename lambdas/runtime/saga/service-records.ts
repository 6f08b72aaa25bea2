import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { WriteConditionFailedError } from '../../contracts/errors';
import { recordFact, type TransactItem } from '../../event-store/event-store';
import { orderAggregate } from '../../event-store/order-aggregate';
import type { Envelope } from '../../messages/envelope';
import type { SagaDeps } from './operation';

/**
 * The write-condition fragments the saga's services state their invariants
 * with, and the one way they record a fact. Each step has an anchor record
 * (reservation, payment, shipment, order) that is created once or moved from
 * one status to the next once; the event of that change is appended in the
 * same transaction, so a retry either finds the anchor already there or
 * writes both.
 */

/** Creates `item` only if no record has its key yet. */
export function putIfAbsent(table: string, item: Record<string, unknown>): TransactItem {
  return { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** Moves a record from status `from` to `to`, stamping `<to in lower case>At`; fails if it is not at `from`. */
export function transitionStatus(
  table: string,
  key: { pk: string; sk: string },
  from: string,
  to: string,
  now: Date,
): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: key,
      UpdateExpression: 'SET #status = :to, #stamp = :now',
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status', '#stamp': `${to.toLowerCase()}At` },
      ExpressionAttributeValues: { ':to': to, ':from': from, ':now': now.toISOString() },
    },
  };
}

export async function getRecord<T>(deps: SagaDeps, key: { pk: string; sk: string }): Promise<T | undefined> {
  const result = await deps.ddb.send(
    new GetCommand({ TableName: deps.orderServiceTable, Key: key, ConsistentRead: true }),
  );
  return result.Item as T | undefined;
}

export type RecordOutcome = { recorded: true } | { recorded: false; failedIndexes: number[] };

/**
 * Appends `event` to the order's stream together with `writes`. A failed
 * condition on one of `writes` is not an error here: it means another attempt
 * got there first (or a business rule said no), and the caller decides which
 * from `failedIndexes`.
 */
export async function recordStep(
  deps: SagaDeps,
  orderId: string,
  event: Envelope,
  writes: TransactItem[],
): Promise<RecordOutcome> {
  try {
    await recordFact(deps.ddb, deps.eventStore, { aggregateId: orderId, event, writes, aggregate: orderAggregate });
    return { recorded: true };
  } catch (error) {
    if (error instanceof WriteConditionFailedError) return { recorded: false, failedIndexes: error.failedIndexes };
    throw error;
  }
}
