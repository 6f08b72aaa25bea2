/**
 * The status of an order's own record in the order-service table (see
 * ./keys.ts), written by the order service and read by the saga's guards, the
 * operator tools and the tests. One type, so the statuses cannot drift apart
 * again (the guards once knew only three of the four). Imports nothing.
 *
 * PENDING while the saga runs, then CONFIRMED or CANCELLED, or NEEDS_ATTENTION
 * when a compensation failed and an operator must finish the order; a final
 * status is never left.
 */
export const ORDER_STATUS = {
  PENDING: 'PENDING',
  CONFIRMED: 'CONFIRMED',
  CANCELLED: 'CANCELLED',
  NEEDS_ATTENTION: 'NEEDS_ATTENTION',
} as const;

export type OrderStatus = (typeof ORDER_STATUS)[keyof typeof ORDER_STATUS];

/** The statuses an order ends in. */
export type FinalOrderStatus = Exclude<OrderStatus, 'PENDING'>;

export const FINAL_ORDER_STATUSES: readonly FinalOrderStatus[] = [
  ORDER_STATUS.CONFIRMED,
  ORDER_STATUS.CANCELLED,
  ORDER_STATUS.NEEDS_ATTENTION,
];
