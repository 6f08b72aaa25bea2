/**
 * The event streams the order saga records for each outcome, in version order:
 * what a test expects the event store to hold (integration) or feeds the
 * order audit (unit). One list a outcome, so a change to the saga's steps is
 * made here once rather than in every file that checks a stream.
 */
export const SAGA_EVENTS = {
  /** Every step succeeded. */
  confirmed: ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'],
  /** The card was declined: the reservation is released and the order cancelled. */
  paymentDeclined: ['OrderPlaced', 'InventoryReserved', 'PaymentDeclined', 'InventoryReleased', 'OrderCancelled'],
  /** Shipping failed after the charge: refunded, released, cancelled. */
  shipmentRejected: [
    'OrderPlaced',
    'InventoryReserved',
    'PaymentCharged',
    'ShipmentRejected',
    'PaymentRefunded',
    'InventoryReleased',
    'OrderCancelled',
  ],
  /** No stock for the order: nothing reserved, nothing charged, cancelled. */
  outOfStock: ['OrderPlaced', 'InventoryRejected', 'OrderCancelled'],
  /** Shipping failed and the refund failed too: the order needs attention; the stock is still released. */
  refundFailed: [
    'OrderPlaced',
    'InventoryReserved',
    'PaymentCharged',
    'ShipmentRejected',
    'OrderNeedsAttention',
    'InventoryReleased',
  ],
} as const satisfies Record<string, readonly string[]>;
