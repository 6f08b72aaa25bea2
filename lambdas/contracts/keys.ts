/**
 * Key formats of every table, and the names of their indexes, written once
 * here: the stack defines the tables (lib/stacks/order-flow-stack.ts), the
 * handlers build keys with {@link keys} only, and the tools and tests read
 * records back with the same functions. Imports nothing.
 *
 * Order-service table (owned by the saga's services):
 *   pk = `SKU#<sku>`       sk = `STOCK`         { available: number }             stock per SKU
 *   pk = `ORDER#<orderId>` sk = `ORDER`         { status: OrderStatus (./order-status.ts), customerId, total, sagaExecutionId,
 *                                                 fingerprint, acceptedEventId }  (fingerprint: lambdas/messages/fingerprint.ts)
 *   pk = `ORDER#<orderId>` sk = `CONFLICT#<eventId>` { rejectedEnvelope (JSON), fingerprints, executions, rejectedAt }
 *                                                 an OrderPlaced refused as an order-id conflict, kept for an operator
 *   pk = `ORDER#<orderId>` sk = `RESERVATION`   { items, status: RESERVED|REJECTED|RELEASED }
 *   pk = `ORDER#<orderId>` sk = `PAYMENT`       { paymentId, amount, status: CHARGED|DECLINED|REFUNDED }
 *   pk = `ORDER#<orderId>` sk = `SHIPMENT`      { shipmentId, status: ARRANGED|REJECTED|CANCELLED }
 *
 * Consumer-state table (side effects of the queue consumers):
 *   pk = `ORDER#<orderId>`       sk = `EMAIL#<eventType>`  { sends: number }   one e-mail per outcome
 *   pk = `ORDER#<orderId>`       sk = `ANALYTICS`          { events: number, types: string set }
 *   pk = `CUSTOMER#<customerId>` sk = `LOYALTY`            { points: number, orders: number }
 *   pk = `ORDER#<orderId>`       sk = `TIMELINE`           { entries: "<seq>:<type>" in arrival order, lastSequence,
 *                                                          missingSequences, lateEntries, messageGroupIds }
 *   pk = `APPLIED#<consumer>#<eventId>` sk = `APPLIED`     { consumer, eventId, fingerprint, appliedAt }  effect applied
 *                                                          (runtime/consumer/apply-once.ts; fingerprint: messages/fingerprint.ts)
 *
 * Event store table: pk `aggregateId` (= orderId), sk `version` (number, 1-based, no gaps);
 * snapshot table: the same keys.
 * Read models: order summary pk `orderId` (GSI {@link ORDER_HISTORY_INDEX}: `customerId`, `placedAt`);
 * customer statistics pk `customerId`.
 */
export const keys = {
  stock: (sku: string) => ({ pk: `SKU#${sku}`, sk: 'STOCK' }),
  order: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' }),
  orderConflict: (orderId: string, rejectedEventId: string) => ({
    pk: `ORDER#${orderId}`,
    sk: `CONFLICT#${rejectedEventId}`,
  }),
  reservation: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'RESERVATION' }),
  payment: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'PAYMENT' }),
  shipment: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'SHIPMENT' }),
  email: (orderId: string, eventType: string) => ({ pk: `ORDER#${orderId}`, sk: `EMAIL#${eventType}` }),
  analytics: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ANALYTICS' }),
  loyalty: (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'LOYALTY' }),
  timeline: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'TIMELINE' }),
  applied: (consumer: string, eventId: string) => ({ pk: `APPLIED#${consumer}#${eventId}`, sk: 'APPLIED' }),
} as const;

/** The order history index of the order summary table: a customer's orders, newest last (`customerId`, `placedAt`). */
export const ORDER_HISTORY_INDEX = 'byCustomer';
