import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent, ORDER_SERVICE_SOURCE } from '../shared/envelope';
import { recordFact, WriteConditionFailedError } from '../shared/event-store';
import { keys } from '../shared/keys';
import { failureReason } from '../shared/saga-contract';
import type { SagaOperation } from '../shared/saga-service';

/** The order's own record: PENDING while the saga runs, then CONFIRMED or CANCELLED, never back. */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

/**
 * AcceptOrder: records the order (PENDING, owned by this saga execution) and
 * its OrderPlaced event as version 1 of the order aggregate, in one
 * transaction. The event keeps the id it arrived with, so the event store and
 * the bus agree on its identity.
 *
 * This is where the saga's start is deduplicated: an OrderPlaced delivered
 * twice starts two executions (EventBridge cannot name them), and the second
 * finds the order owned by the first and stops without compensating.
 */
export const acceptOrder: SagaOperation = async ({ order, executionId }, deps) => {
  const { orderId, customerId, total } = order.data;
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: order,
      writes: [
        {
          Put: {
            TableName: deps.orderServiceTable,
            Item: {
              ...keys.order(orderId),
              status: 'PENDING',
              customerId,
              total,
              sagaExecutionId: executionId,
              acceptedAt: deps.now().toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
    const existing = await deps.ddb.send(
      new GetCommand({ TableName: deps.orderServiceTable, Key: keys.order(orderId), ConsistentRead: true }),
    );
    if (existing.Item?.sagaExecutionId !== executionId) {
      return {
        ok: false,
        reason: `DUPLICATE_ORDER: already handled by ${existing.Item?.sagaExecutionId}`,
        compensate: false,
      };
    }
    // Our own earlier attempt got this far before it failed: carry on.
  }
  return { ok: true };
};

/** ConfirmOrder: PENDING → CONFIRMED plus the OrderConfirmed event, which fans out to the consumers. */
export const confirmOrder: SagaOperation = async ({ order }, deps) => {
  const { orderId, customerId, total } = order.data;
  const event = newEvent({
    type: 'OrderConfirmed',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, customerId, total },
    causedBy: order,
    now: deps.now(),
  });
  const outcome = await transition(orderId, 'CONFIRMED', event, deps);
  if (outcome === 'CANCELLED') return { ok: false, reason: 'ORDER_ALREADY_CANCELLED' };
  return { ok: true };
};

/**
 * CancelOrder (the compensation of AcceptOrder): PENDING → CANCELLED plus the
 * OrderCancelled event with the saga's failure reason. An order that was never
 * accepted, or is already cancelled, needs nothing.
 */
export const cancelOrder: SagaOperation = async ({ order, failure }, deps) => {
  const { orderId, customerId, total } = order.data;
  const event = newEvent({
    type: 'OrderCancelled',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, customerId, total, reason: failureReason(failure) },
    causedBy: order,
    now: deps.now(),
  });
  const outcome = await transition(orderId, 'CANCELLED', event, deps);
  if (outcome === 'CONFIRMED') {
    // A confirmed order is past the saga's pivot; cancelling it needs a refund flow, not a compensation.
    throw new Error(`Order ${orderId} is already confirmed and cannot be cancelled by compensation`);
  }
  return { ok: true, detail: { status: outcome } };
};

/**
 * Moves a PENDING order to `to` and records `event` atomically. Returns the
 * status the order ends in: `to`, or the terminal status it already had.
 */
async function transition(
  orderId: string,
  to: Exclude<OrderStatus, 'PENDING'>,
  event: ReturnType<typeof newEvent>,
  deps: Parameters<SagaOperation>[1],
): Promise<OrderStatus | 'MISSING'> {
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event,
      writes: [
        {
          Update: {
            TableName: deps.orderServiceTable,
            Key: keys.order(orderId),
            UpdateExpression: 'SET #status = :to, updatedAt = :now',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':to': to, ':pending': 'PENDING', ':now': deps.now().toISOString() },
          },
        },
      ],
    });
    return to;
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
    const current = await deps.ddb.send(
      new GetCommand({ TableName: deps.orderServiceTable, Key: keys.order(orderId), ConsistentRead: true }),
    );
    return (current.Item?.status as OrderStatus | undefined) ?? 'MISSING';
  }
}
