import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent, ORDER_SERVICE_SOURCE } from '../shared/envelope';
import { recordFact, type TransactItem, WriteConditionFailedError } from '../shared/event-store';
import { keys } from '../shared/keys';
import type { SagaOperation } from '../shared/saga-service';
import type { OrderItem } from '../shared/schemas';

/** Sums quantities per SKU: an order may list the same SKU twice, and a transaction may touch an item once. */
export function quantitiesBySku(items: OrderItem[]): Map<string, number> {
  const bySku = new Map<string, number>();
  for (const item of items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + item.quantity);
  return bySku;
}

/**
 * ReserveInventory: decrements stock for every SKU, records the reservation and
 * the InventoryReserved event, all in one transaction. The stock decrement is
 * conditional (`available >= quantity`), so stock never goes negative and a
 * short SKU rejects the whole order: nothing is reserved, an InventoryRejected
 * event is recorded and the saga compensates.
 *
 * The reservation record is the step's anchor: it is written only if absent, so
 * a retry after a crash finds it and does not decrement twice.
 */
export const reserveInventory: SagaOperation = async ({ order }, deps) => {
  const { orderId, items } = order.data;
  const existing = await getReservation(orderId, deps);
  if (existing) return existing.status === 'REJECTED' ? { ok: false, reason: existing.reason } : { ok: true };

  const bySku = [...quantitiesBySku(items)];
  const stockUpdates: TransactItem[] = bySku.map(([sku, quantity]) => ({
    Update: {
      TableName: deps.orderServiceTable,
      Key: keys.stock(sku),
      UpdateExpression: 'SET available = available - :q',
      ConditionExpression: 'available >= :q',
      ExpressionAttributeValues: { ':q': quantity },
    },
  }));
  const reservedEvent = newEvent({
    type: 'InventoryReserved',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, items },
    causedBy: order,
    now: deps.now(),
  });
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: reservedEvent,
      writes: [reservationPut(orderId, { status: 'RESERVED', items }, deps), ...stockUpdates],
    });
    return { ok: true };
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
    if (error.failedIndexes.includes(0)) {
      // A concurrent attempt reserved (or rejected) first; its outcome stands.
      const winner = await getReservation(orderId, deps);
      return winner?.status === 'REJECTED' ? { ok: false, reason: winner.reason } : { ok: true };
    }
    const shortSku = bySku[error.failedIndexes[0] - 1][0];
    return rejectReservation(order, shortSku, deps);
  }
};

async function rejectReservation(
  order: Parameters<SagaOperation>[0]['order'],
  sku: string,
  deps: Parameters<SagaOperation>[1],
) {
  const { orderId } = order.data;
  const reason = `OUT_OF_STOCK: ${sku}`;
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: newEvent({
        type: 'InventoryRejected',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, sku, reason },
        causedBy: order,
        now: deps.now(),
      }),
      writes: [reservationPut(orderId, { status: 'REJECTED', reason }, deps)],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
  }
  return { ok: false as const, reason };
}

/**
 * ReleaseInventory (compensation): gives back exactly what this order reserved
 * and marks the reservation RELEASED, once. No reservation, a rejected one or
 * an already released one: nothing to give back.
 */
export const releaseInventory: SagaOperation = async ({ order }, deps) => {
  const { orderId } = order.data;
  const reservation = await getReservation(orderId, deps);
  if (reservation?.status !== 'RESERVED') return { ok: true, detail: { released: false } };
  const items = reservation.items as OrderItem[];
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: newEvent({
        type: 'InventoryReleased',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, items },
        causedBy: order,
        now: deps.now(),
      }),
      writes: [
        {
          Update: {
            TableName: deps.orderServiceTable,
            Key: keys.reservation(orderId),
            UpdateExpression: 'SET #status = :released, releasedAt = :now',
            ConditionExpression: '#status = :reserved',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':released': 'RELEASED',
              ':reserved': 'RESERVED',
              ':now': deps.now().toISOString(),
            },
          },
        },
        ...[...quantitiesBySku(items)].map(
          ([sku, quantity]): TransactItem => ({
            Update: {
              TableName: deps.orderServiceTable,
              Key: keys.stock(sku),
              UpdateExpression: 'ADD available :q',
              ExpressionAttributeValues: { ':q': quantity },
            },
          }),
        ),
      ],
    });
  } catch (error) {
    // Released concurrently by another attempt: done.
    if (!(error instanceof WriteConditionFailedError)) throw error;
  }
  return { ok: true, detail: { released: true } };
};

function reservationPut(
  orderId: string,
  fields: Record<string, unknown>,
  deps: Parameters<SagaOperation>[1],
): TransactItem {
  return {
    Put: {
      TableName: deps.orderServiceTable,
      Item: { ...keys.reservation(orderId), ...fields, at: deps.now().toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

async function getReservation(orderId: string, deps: Parameters<SagaOperation>[1]) {
  const result = await deps.ddb.send(
    new GetCommand({ TableName: deps.orderServiceTable, Key: keys.reservation(orderId), ConsistentRead: true }),
  );
  return result.Item as
    | { status: 'RESERVED' | 'REJECTED' | 'RELEASED'; reason: string; items?: OrderItem[] }
    | undefined;
}
