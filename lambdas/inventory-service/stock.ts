import { ORDER_SERVICE_SOURCE } from '../contracts/events';
import { keys } from '../contracts/keys';
import type { TransactItem } from '../event-store/event-store';
import { newEvent, type TypedEnvelope } from '../messages/envelope';
import type { OrderItem } from '../messages/schemas';
import type { SagaDeps, SagaOperation } from '../runtime/saga/operation';
import { getRecord, putIfAbsent, recordStep, transitionStatus } from '../runtime/saga/service-records';

interface ReservationRecord {
  status: 'RESERVED' | 'REJECTED' | 'RELEASED';
  items?: OrderItem[];
  reason?: string;
}

/** Sums quantities per SKU: an order may list the same SKU twice, and a transaction may touch an item once. */
export function quantitiesBySku(items: OrderItem[]): Map<string, number> {
  const bySku = new Map<string, number>();
  for (const item of items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + item.quantity);
  return bySku;
}

/** Changes one SKU's stock by `delta`; a decrement is conditional so stock never goes negative. */
function stockChange(table: string, sku: string, delta: number): TransactItem {
  return delta < 0
    ? {
        Update: {
          TableName: table,
          Key: keys.stock(sku),
          UpdateExpression: 'SET available = available - :q',
          ConditionExpression: 'available >= :q',
          ExpressionAttributeValues: { ':q': -delta },
        },
      }
    : {
        Update: {
          TableName: table,
          Key: keys.stock(sku),
          UpdateExpression: 'ADD available :q',
          ExpressionAttributeValues: { ':q': delta },
        },
      };
}

/**
 * ReserveInventory: decrements stock for every SKU, records the reservation and
 * the InventoryReserved event, all in one transaction. A short SKU fails the
 * whole transaction, so nothing is reserved; an InventoryRejected event is
 * recorded instead and the saga compensates.
 *
 * The reservation record is the step's anchor (written only if absent), so a
 * retry after a crash finds it and never decrements twice.
 */
export const reserveInventory: SagaOperation = async ({ order }, deps) => {
  const { orderId, items } = order.data;
  const existing = await getReservation(orderId, deps);
  if (existing) return resultOf(existing);

  const bySku = [...quantitiesBySku(items)];
  const reservation: ReservationRecord = { status: 'RESERVED', items };
  const outcome = await recordStep(
    deps,
    orderId,
    newEvent({
      type: 'InventoryReserved',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, items },
      causedBy: order,
      now: deps.now(),
    }),
    [
      putIfAbsent(deps.orderServiceTable, {
        ...keys.reservation(orderId),
        ...reservation,
        at: deps.now().toISOString(),
      }),
      ...bySku.map(([sku, quantity]) => stockChange(deps.orderServiceTable, sku, -quantity)),
    ],
  );
  if (outcome.recorded) return resultOf(reservation);
  if (outcome.failedIndexes.includes(0)) {
    // A concurrent attempt reserved (or rejected) first; its outcome stands.
    return resultOf((await getReservation(orderId, deps)) ?? reservation);
  }
  const [shortSku] = bySku[outcome.failedIndexes[0] - 1];
  return rejectReservation(order, shortSku, deps);
};

async function rejectReservation(order: TypedEnvelope<'OrderPlaced'>, sku: string, deps: SagaDeps) {
  const { orderId } = order.data;
  const rejection: ReservationRecord = { status: 'REJECTED', reason: `OUT_OF_STOCK: ${sku}` };
  const outcome = await recordStep(
    deps,
    orderId,
    newEvent({
      type: 'InventoryRejected',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, sku, reason: rejection.reason! },
      causedBy: order,
      now: deps.now(),
    }),
    [putIfAbsent(deps.orderServiceTable, { ...keys.reservation(orderId), ...rejection, at: deps.now().toISOString() })],
  );
  return resultOf(outcome.recorded ? rejection : ((await getReservation(orderId, deps)) ?? rejection));
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
  const items = reservation.items ?? [];
  await recordStep(
    deps,
    orderId,
    newEvent({
      type: 'InventoryReleased',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, items },
      causedBy: order,
      now: deps.now(),
    }),
    [
      transitionStatus(deps.orderServiceTable, keys.reservation(orderId), 'RESERVED', 'RELEASED', deps.now()),
      ...[...quantitiesBySku(items)].map(([sku, quantity]) => stockChange(deps.orderServiceTable, sku, quantity)),
    ],
  );
  return { ok: true, detail: { released: true } };
};

function resultOf(reservation: ReservationRecord) {
  return reservation.status === 'REJECTED'
    ? { ok: false as const, reason: reservation.reason ?? 'OUT_OF_STOCK' }
    : { ok: true as const };
}

const getReservation = (orderId: string, deps: SagaDeps) =>
  getRecord<ReservationRecord>(deps, keys.reservation(orderId));
