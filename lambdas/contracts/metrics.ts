/**
 * The business figures of the order flow, by name: the handlers write them in
 * CloudWatch embedded metric format (EMF) through
 * lambdas/platform/metrics.ts, and the stack's operations dashboard draws and
 * alarms on the same names. Imports nothing, so the stack reads them without
 * loading Powertools.
 *
 * Every figure is published with the one dimension `service` =
 * {@link BUSINESS_METRICS_SERVICE}, whichever function counted it, so the
 * dashboard reads one series per figure; which function counted it is in the
 * EMF record's metadata (`function`), searchable in Logs Insights.
 */
export const BUSINESS_METRICS_NAMESPACE = 'OrderFlow';

/** The value of the `service` dimension of every business figure. */
export const BUSINESS_METRICS_SERVICE = 'order-flow';

/** The business figures, by name. */
export const BUSINESS_METRIC = {
  /** AcceptOrder recorded a new order (a saga started for an order not seen before). */
  OrdersPlaced: 'OrdersPlaced',
  /** ConfirmOrder moved an order to CONFIRMED. */
  OrdersCompleted: 'OrdersCompleted',
  /** CancelOrder (the saga's last compensation) moved an order to CANCELLED. */
  OrdersCompensated: 'OrdersCompensated',
  /**
   * A compensation failed after all its retries and the order was moved to
   * NEEDS_ATTENTION (once per order): an operator must finish it. Alarmed above 0.
   */
  OrdersNeedingAttention: 'OrdersNeedingAttention',
  /**
   * A repeated delivery did nothing: an idempotency hit in a queue consumer or
   * a saga step, or a second saga execution for an order already owned by one.
   */
  DuplicatesSuppressed: 'DuplicatesSuppressed',
  /**
   * An OrderPlaced reused an accepted order's id with different content and was
   * rejected (`ORDER_ID_CONFLICT`, an OrderConflictRejected event), once per
   * rejected event: a customer's order was refused, so it is alarmed above 0.
   */
  OrderConflicts: 'OrderConflicts',
  /**
   * A queue consumer received an event id it had processed before, with other
   * content, and parked it (`EVENT_ID_CONFLICT`) instead of skipping or
   * applying it; once per parked delivery. Not alarmed on its own: the parked
   * message already raises its DLQ's depth alarm, which is where an operator
   * finds it (docs/failure-modes.md).
   */
  EventConflicts: 'EventConflicts',
} as const;

export type BusinessMetricName = (typeof BUSINESS_METRIC)[keyof typeof BUSINESS_METRIC];

/** The figures in the order the dashboard shows them (marked pure: a handler bundle leaves it out). */
export const BUSINESS_METRIC_NAMES: readonly BusinessMetricName[] = /* @__PURE__ */ Object.values(BUSINESS_METRIC);
