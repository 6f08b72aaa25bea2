import type { OrderStatus } from '../contracts/order-status';
import type { Envelope } from '../messages/envelope';

/**
 * The order summary read model: one item per order, keyed by `orderId`, and
 * through {@link ORDER_HISTORY_INDEX} a customer's order history.
 */
export interface OrderSummary {
  orderId: string;
  customerId?: string;
  /** When the order's first event happened; the history index's sort key. */
  placedAt?: string;
  total?: number;
  /** The order's status (lambdas/contracts/order-status.ts), with the saga's progress in between. */
  status: OrderStatus | 'RESERVED' | 'PAID' | 'SHIPPING' | 'UNKNOWN';
  /** The version of the last event applied; the projector applies version `lastVersion + 1` only. */
  lastVersion: number;
  /** Event types in version order, for people reading the model. */
  history: string[];
  cancelReason?: string;
  /** Set with NEEDS_ATTENTION: `<step>: <reason>` of the compensation that failed. */
  attentionReason?: string;
  /**
   * OrderPlaced events refused because they reused this order's id with other
   * content (OrderConflictRejected): the order shown is the one accepted first;
   * each refused one is listed here for whoever reads the order.
   */
  conflicts?: OrderConflictEntry[];
  updatedAt: string;
}

/** One refused OrderPlaced in {@link OrderSummary.conflicts}. */
export interface OrderConflictEntry {
  rejectedEventId: string;
  rejectedFingerprint: string;
  acceptedFingerprint: string;
  customerId: string;
  total: number;
  rejectedAt: string;
}

/**
 * Folds one event into the summary. Pure, so the same function serves the live
 * projector and any rebuild from the event store.
 */
export function applyEvent(summary: OrderSummary | undefined, envelope: Envelope, version: number): OrderSummary {
  const data = envelope.data as Record<string, unknown>;
  const base: OrderSummary = summary ?? {
    orderId: String(data.orderId),
    status: 'UNKNOWN',
    lastVersion: 0,
    history: [],
    updatedAt: envelope.time,
  };
  const next: OrderSummary = {
    ...base,
    lastVersion: version,
    history: [...base.history, envelope.type],
    updatedAt: envelope.time,
  };
  switch (envelope.type) {
    case 'OrderPlaced':
      return {
        ...next,
        status: 'PENDING',
        customerId: String(data.customerId),
        total: Number(data.total),
        placedAt: next.placedAt ?? envelope.time,
      };
    case 'InventoryReserved':
      return { ...next, status: 'RESERVED' };
    case 'PaymentCharged':
      return { ...next, status: 'PAID' };
    case 'ShipmentArranged':
      return { ...next, status: 'SHIPPING' };
    case 'OrderConfirmed':
      return { ...next, status: 'CONFIRMED' };
    case 'OrderCancelled':
      return { ...orderOfFinalEvent(next, envelope), status: 'CANCELLED', cancelReason: String(data.reason) };
    case 'OrderNeedsAttention':
      // Final: the compensations that still ran after it (e.g. InventoryReleased) do not move it.
      return {
        ...orderOfFinalEvent(next, envelope),
        status: 'NEEDS_ATTENTION',
        attentionReason: `${String(data.step)}: ${String(data.reason)}`,
      };
    case 'OrderConflictRejected':
      // Not a step of the order: its status stays; the refused order is listed beside it.
      return {
        ...next,
        conflicts: [
          ...(base.conflicts ?? []),
          {
            rejectedEventId: String(data.rejectedEventId),
            rejectedFingerprint: String(data.rejectedFingerprint),
            acceptedFingerprint: String(data.acceptedFingerprint),
            customerId: String(data.customerId),
            total: Number(data.total),
            rejectedAt: envelope.time,
          },
        ],
      };
    default:
      return next;
  }
}

/**
 * A final event (OrderCancelled, OrderNeedsAttention) may be an order's first
 * one, when its acceptance never landed: it then supplies the customer, the
 * total and the placing time the summary has not seen yet.
 */
function orderOfFinalEvent(summary: OrderSummary, envelope: Envelope): OrderSummary {
  const data = envelope.data as { customerId?: unknown; total?: unknown };
  return {
    ...summary,
    customerId: summary.customerId ?? String(data.customerId),
    total: summary.total ?? Number(data.total),
    placedAt: summary.placedAt ?? envelope.time,
  };
}
