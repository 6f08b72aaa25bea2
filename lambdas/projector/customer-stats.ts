import type { Envelope } from '../messages/envelope';
import type { OrderSummary } from './order-summary';

/**
 * The customer statistics read model: one item per customer, keyed by
 * `customerId`, with counters summed over all of the customer's orders. A
 * different shape from the order summary (many aggregates feed one item), so it
 * is updated with `ADD`, never overwritten; money is kept in integer cents so
 * the sum does not depend on the order the orders were projected in.
 */
export interface CustomerStats {
  customerId: string;
  ordersPlaced: number;
  ordersConfirmed: number;
  ordersCancelled: number;
  confirmedValueCents: number;
}

export type CustomerStatsDelta = Omit<CustomerStats, 'customerId'>;
export const CUSTOMER_STATS_COUNTERS: readonly (keyof CustomerStatsDelta)[] = [
  'ordersPlaced',
  'ordersConfirmed',
  'ordersCancelled',
  'confirmedValueCents',
];

/**
 * What one event of an order adds to its customer's statistics, given the
 * order summary before and after it; undefined when it adds nothing (or the
 * order has no customer yet). Pure, shared by the projector and rebuilds.
 */
export function customerStatsDelta(
  before: OrderSummary | undefined,
  after: OrderSummary,
  envelope: Envelope,
): { customerId: string; delta: CustomerStatsDelta } | undefined {
  if (!after.customerId) return undefined;
  const delta: CustomerStatsDelta = {
    // An order counts as placed with its first event (OrderPlaced, or OrderCancelled when acceptance never landed).
    ordersPlaced: before?.customerId ? 0 : 1,
    ordersConfirmed: envelope.type === 'OrderConfirmed' ? 1 : 0,
    ordersCancelled: envelope.type === 'OrderCancelled' ? 1 : 0,
    confirmedValueCents: envelope.type === 'OrderConfirmed' ? Math.round((after.total ?? 0) * 100) : 0,
  };
  return CUSTOMER_STATS_COUNTERS.some((k) => delta[k] !== 0) ? { customerId: after.customerId, delta } : undefined;
}

/** Adds `delta` to `stats` (the in-memory twin of the projector's `ADD` update, for rebuilds). */
export function addToStats(stats: CustomerStats | undefined, customerId: string, delta: CustomerStatsDelta) {
  const base: CustomerStats = stats ?? {
    customerId,
    ordersPlaced: 0,
    ordersConfirmed: 0,
    ordersCancelled: 0,
    confirmedValueCents: 0,
  };
  const next = { ...base };
  for (const key of CUSTOMER_STATS_COUNTERS) next[key] += delta[key];
  return next;
}
