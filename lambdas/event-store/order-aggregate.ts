import type { EventType } from '../contracts/events';
import type { FinalOrderStatus } from '../contracts/order-status';
import type { Envelope } from '../messages/envelope';
import type { EventDataOf, OrderItem } from '../messages/schemas';
import type { Aggregate } from './event-store';

/**
 * The order aggregate's state, rebuilt from its events: what the write side
 * knows about one order. (The read models in lambdas/projector are separate
 * shapes for queries; this one serves time travel, snapshots and audits.)
 */
export interface OrderState {
  orderId: string;
  customerId?: string;
  items?: OrderItem[];
  total?: number;
  currency?: string;
  /**
   * OPEN while the saga runs, then the order's final status
   * (lambdas/contracts/order-status.ts). OPEN, not PENDING, because snapshots
   * store this state: renaming it would need a new snapshotSchemaVersion.
   */
  status: 'OPEN' | FinalOrderStatus;
  stock?: 'RESERVED' | 'REJECTED' | 'RELEASED';
  payment?: { status: 'CHARGED' | 'DECLINED' | 'REFUNDED'; paymentId?: string; amount?: number };
  shipment?: { status: 'ARRANGED' | 'REJECTED' | 'CANCELLED'; shipmentId?: string };
  cancelReason?: string;
  /** Set by OrderNeedsAttention: whose compensation failed, and why. */
  attention?: { step: string; reason: string };
  /** Set by OrderConflictRejected: each OrderPlaced refused because it reused this order's id with other content. */
  conflicts?: { rejectedEventId: string; rejectedFingerprint: string }[];
  placedAt?: string;
  updatedAt: string;
  /** Version of the last event folded in. */
  version: number;
}

type Handlers = {
  [K in EventType]: (state: OrderState, data: EventDataOf<K>, event: Envelope) => OrderState;
};

/** One handler per event type of the catalogue: a new type fails to compile until it is handled here. */
const handlers: Handlers = {
  OrderPlaced: (s, d, e) => ({
    ...s,
    customerId: d.customerId,
    items: d.items,
    total: d.total,
    currency: d.currency,
    placedAt: e.time,
  }),
  InventoryReserved: (s) => ({ ...s, stock: 'RESERVED' }),
  InventoryRejected: (s) => ({ ...s, stock: 'REJECTED' }),
  InventoryReleased: (s) => ({ ...s, stock: 'RELEASED' }),
  PaymentCharged: (s, d) => ({ ...s, payment: { status: 'CHARGED', paymentId: d.paymentId, amount: d.amount } }),
  PaymentDeclined: (s) => ({ ...s, payment: { status: 'DECLINED' } }),
  PaymentRefunded: (s, d) => ({ ...s, payment: { status: 'REFUNDED', paymentId: d.paymentId, amount: d.amount } }),
  ShipmentArranged: (s, d) => ({ ...s, shipment: { status: 'ARRANGED', shipmentId: d.shipmentId } }),
  ShipmentRejected: (s) => ({ ...s, shipment: { status: 'REJECTED' } }),
  ShipmentCancelled: (s, d) => ({ ...s, shipment: { status: 'CANCELLED', shipmentId: d.shipmentId } }),
  OrderConfirmed: (s) => ({ ...s, status: 'CONFIRMED' }),
  OrderCancelled: (s, d, e) => ({
    ...s,
    status: 'CANCELLED',
    customerId: s.customerId ?? d.customerId,
    total: s.total ?? d.total,
    cancelReason: d.reason,
    placedAt: s.placedAt ?? e.time,
  }),
  OrderNeedsAttention: (s, d, e) => ({
    ...s,
    status: 'NEEDS_ATTENTION',
    customerId: s.customerId ?? d.customerId,
    total: s.total ?? d.total,
    attention: { step: d.step, reason: d.reason },
    placedAt: s.placedAt ?? e.time,
  }),
  // Not a change of the order: the refused order is listed beside it, the status stays as it is.
  OrderConflictRejected: (s, d) => ({
    ...s,
    conflicts: [
      ...(s.conflicts ?? []),
      { rejectedEventId: d.rejectedEventId, rejectedFingerprint: d.rejectedFingerprint },
    ],
  }),
};

/** The order aggregate: a pure fold of the order's events (already upcast and validated on read). */
export const orderAggregate: Aggregate<OrderState> = {
  name: 'Order',
  // Still 1 after OrderNeedsAttention and OrderConflictRejected: they only added a status and optional
  // fields, and a snapshot taken before they existed cannot have missed one, so old snapshots stay exact.
  snapshotSchemaVersion: 1,
  apply(state, event, version) {
    const data = event.data as { orderId: string };
    const base: OrderState = state ?? { orderId: data.orderId, status: 'OPEN', updatedAt: event.time, version: 0 };
    const handler = handlers[event.type as EventType] as
      | ((s: OrderState, d: unknown, e: Envelope) => OrderState)
      | undefined;
    if (!handler) throw new Error(`Order aggregate has no handler for event type ${event.type}`);
    return { ...handler(base, event.data, event), updatedAt: event.time, version };
  },
};
