import * as z from 'zod/mini';
import type { EventType } from '../contracts/events';

/**
 * The event catalogue: one zod schema per event type (the names are in
 * lambdas/contracts/events.ts; a type without a schema, or a schema without a
 * type, fails to compile), shared by producers, consumers and tests. Every event carries the `orderId` of the aggregate it
 * belongs to, which is also the FIFO message group and the event-store key.
 *
 * Written with `zod/mini` (functional checks instead of methods): it
 * tree-shakes, where classic zod put ~440 KB into every handler bundle (see
 * BENCHMARKS.md, issue 5).
 */
const orderId = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'orderId may hold letters, digits, _ and -'));
/** zod 4 numbers already refuse Infinity and NaN. */
const money = z.number().check(z.nonnegative());
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

export const orderItemSchema = z.object({
  sku: text(64),
  quantity: z.int().check(z.positive(), z.maximum(1000)),
  unitPrice: money,
});
export type OrderItem = z.infer<typeof orderItemSchema>;

export const orderPlacedSchema = z
  .object({
    orderId,
    customerId: text(64),
    items: z.array(orderItemSchema).check(z.minLength(1), z.maxLength(25)),
    total: money,
    currency: z.string().check(z.length(3)),
    /** Opaque card token; `tok_declined` is the payment provider's deterministic decline. */
    paymentToken: z.string().check(z.minLength(1)),
    /** ISO 3166 alpha-2 destination; the carrier cannot serve UNSERVICEABLE_COUNTRIES. */
    shipToCountry: z.string().check(z.regex(/^[A-Z]{2}$/, 'shipToCountry must be an ISO 3166 alpha-2 code')),
  })
  .check(
    z.refine(
      (order) => Math.abs(order.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0) - order.total) < 0.005,
      { message: 'total must equal the sum of quantity × unitPrice', path: ['total'] },
    ),
  );

const orderRef = z.object({ orderId });

export const EVENT_DATA_SCHEMAS = {
  OrderPlaced: orderPlacedSchema,
  InventoryReserved: z.extend(orderRef, { items: z.array(orderItemSchema) }),
  InventoryRejected: z.extend(orderRef, { sku: z.string(), reason: z.string() }),
  InventoryReleased: z.extend(orderRef, { items: z.array(orderItemSchema) }),
  PaymentCharged: z.extend(orderRef, { paymentId: z.string(), amount: money }),
  PaymentDeclined: z.extend(orderRef, { reason: z.string() }),
  PaymentRefunded: z.extend(orderRef, { paymentId: z.string(), amount: money }),
  ShipmentArranged: z.extend(orderRef, { shipmentId: z.string() }),
  ShipmentRejected: z.extend(orderRef, { reason: z.string() }),
  ShipmentCancelled: z.extend(orderRef, { shipmentId: z.string() }),
  OrderConfirmed: z.extend(orderRef, { customerId: z.string(), total: money }),
  OrderCancelled: z.extend(orderRef, { customerId: z.string(), total: money, reason: z.string() }),
  /**
   * A compensation failed after all its retries: the order is left for an
   * operator (order record NEEDS_ATTENTION, a final state). `step` is the step
   * whose undo failed, `reason` that undo's error, `sagaFailure` why the saga
   * was compensating. What is still undone is read from the order's stream
   * (e.g. PaymentCharged without PaymentRefunded), not from this event.
   */
  OrderNeedsAttention: z.extend(orderRef, {
    customerId: z.string(),
    total: money,
    step: z.string(),
    reason: z.string(),
    sagaFailure: z.string(),
  }),
  /**
   * A second OrderPlaced reused an accepted order's id with different content
   * (another content fingerprint, lambdas/messages/fingerprint.ts): the first
   * accepted order stands, this one is rejected and its saga execution ends
   * with `ORDER_ID_CONFLICT` (nothing reserved, charged or shipped for it).
   * Carries both fingerprints, the rejected event's id and execution, and its
   * customer and total so the alarm's reader sees whose order was refused;
   * the rejected payload itself (with its payment token) stays off the bus, in
   * the order service's table (keys.orderConflict).
   */
  OrderConflictRejected: z.extend(orderRef, {
    acceptedFingerprint: z.string(),
    rejectedFingerprint: z.string(),
    acceptedEventId: z.optional(z.string()),
    acceptedExecutionId: z.optional(z.string()),
    rejectedEventId: z.string(),
    rejectedExecutionId: z.string(),
    customerId: z.string(),
    total: money,
  }),
} as const satisfies { [K in EventType]: z.ZodMiniType };

export type EventDataOf<K extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[K]>;
export type OrderPlaced = EventDataOf<'OrderPlaced'>;

/**
 * The current schema version of each event type (the envelope's `version`).
 * Stored events are immutable, so a change of shape bumps the version here and
 * adds an upcaster (lambdas/messages/upcasters.ts) from the previous version;
 * readers upcast older events on read and refuse newer ones.
 */
export const SCHEMA_VERSIONS: Readonly<Record<EventType, number>> = {
  ...(Object.fromEntries((Object.keys(EVENT_DATA_SCHEMAS) as EventType[]).map((type) => [type, 1])) as Record<
    EventType,
    number
  >),
  // v2: `amount` in currency units, like every other money field (v1: integer `amountCents`).
  PaymentCharged: 2,
};
