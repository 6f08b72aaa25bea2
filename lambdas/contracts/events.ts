/**
 * The names events cross the bus with: who sent them (`source`) and what they
 * are (`type`, which is also EventBridge's `detail-type`). The stack's rules
 * match on them, the producers stamp them and the tests and tools send them,
 * so they are written once here. The event catalogue
 * (lambdas/messages/schemas.ts) holds one schema per type and is checked
 * against this list at compile time. Imports nothing.
 */

/**
 * The `source` of events a client sends to the bus (the checkout front end).
 * The saga's start rule matches on it.
 */
export const CHECKOUT_SOURCE = 'shop.checkout';

/**
 * The `source` of events the order service records in its event store; the
 * relay publishes these (and only these) to the bus, so an event that came in
 * from the bus is never published back onto it.
 */
export const ORDER_SERVICE_SOURCE = 'shop.orders';

/**
 * Every event type of the catalogue, by name (the envelope's `type`, the bus's
 * `detail-type`). Handlers write the literal (`'OrderPlaced'`), which
 * {@link EventType} checks, so this object stays out of their bundles.
 */
export const EVENT_TYPE = {
  OrderPlaced: 'OrderPlaced',
  InventoryReserved: 'InventoryReserved',
  InventoryRejected: 'InventoryRejected',
  InventoryReleased: 'InventoryReleased',
  PaymentCharged: 'PaymentCharged',
  PaymentDeclined: 'PaymentDeclined',
  PaymentRefunded: 'PaymentRefunded',
  ShipmentArranged: 'ShipmentArranged',
  ShipmentRejected: 'ShipmentRejected',
  ShipmentCancelled: 'ShipmentCancelled',
  OrderConfirmed: 'OrderConfirmed',
  OrderCancelled: 'OrderCancelled',
  OrderNeedsAttention: 'OrderNeedsAttention',
  OrderConflictRejected: 'OrderConflictRejected',
} as const;

export type EventType = (typeof EVENT_TYPE)[keyof typeof EVENT_TYPE];

/** The event types in catalogue order (marked pure: a bundle that does not use the list leaves it out). */
export const EVENT_TYPES: readonly EventType[] = /* @__PURE__ */ Object.values(EVENT_TYPE);

/**
 * Who sends each event type, as its envelope's `source`: a client sends OrderPlaced to the bus; the order
 * service's saga steps record every other type in the event store, and the relay publishes those. The
 * routes (routes.ts) match on these sources; the AsyncAPI document (npm run asyncapi) reads this table for
 * what each route and queue carries.
 */
export const EVENT_SOURCES = {
  OrderPlaced: CHECKOUT_SOURCE,
  InventoryReserved: ORDER_SERVICE_SOURCE,
  InventoryRejected: ORDER_SERVICE_SOURCE,
  InventoryReleased: ORDER_SERVICE_SOURCE,
  PaymentCharged: ORDER_SERVICE_SOURCE,
  PaymentDeclined: ORDER_SERVICE_SOURCE,
  PaymentRefunded: ORDER_SERVICE_SOURCE,
  ShipmentArranged: ORDER_SERVICE_SOURCE,
  ShipmentRejected: ORDER_SERVICE_SOURCE,
  ShipmentCancelled: ORDER_SERVICE_SOURCE,
  OrderConfirmed: ORDER_SERVICE_SOURCE,
  OrderCancelled: ORDER_SERVICE_SOURCE,
  OrderNeedsAttention: ORDER_SERVICE_SOURCE,
  OrderConflictRejected: ORDER_SERVICE_SOURCE,
} as const satisfies Record<EventType, typeof CHECKOUT_SOURCE | typeof ORDER_SERVICE_SOURCE>;

/** The events that end an order's saga; they fan out to the SNS topic. */
export const ORDER_OUTCOME_TYPES = ['OrderConfirmed', 'OrderCancelled'] as const satisfies readonly EventType[];

export type OrderOutcomeType = (typeof ORDER_OUTCOME_TYPES)[number];
