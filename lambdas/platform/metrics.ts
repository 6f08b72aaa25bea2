import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The business figures of the order flow, in CloudWatch embedded metric format
 * (EMF): the handlers write them with Powertools Metrics, and the operations
 * dashboard (lib/stacks/order-flow-stack.ts, section 10) draws and alarms on
 * the same names. This module is the one place both read them from.
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
} as const;

export type BusinessMetricName = (typeof BUSINESS_METRIC)[keyof typeof BUSINESS_METRIC];

/** The figures in the order the dashboard shows them. */
export const BUSINESS_METRIC_NAMES: readonly BusinessMetricName[] = Object.values(BUSINESS_METRIC);

/**
 * The business figures one function counts, on Powertools Metrics. Create one
 * per function (at module scope), `count` during an invocation and `publish`
 * once at its end.
 *
 * @example
 * const figures = new BusinessMetrics('order-service');
 * try { figures.count(BUSINESS_METRIC.OrdersPlaced); } finally { figures.publish(); }
 */
export class BusinessMetrics {
  /** The Powertools instance (namespace {@link BUSINESS_METRICS_NAMESPACE}, dimension `service`). */
  readonly metrics: Metrics;

  /** @param functionName - recorded as metadata `function` in each EMF record, not as a dimension */
  constructor(readonly functionName: string) {
    this.metrics = new Metrics({ namespace: BUSINESS_METRICS_NAMESPACE, serviceName: BUSINESS_METRICS_SERVICE });
  }

  /** Counts `count` occurrences of `name` in the current invocation's record. */
  count(name: BusinessMetricName, count = 1): void {
    this.metrics.addMetric(name, MetricUnit.Count, count);
  }

  /**
   * Writes the invocation's EMF record, if anything was counted, and clears
   * the store for the next invocation. Call it once per invocation, in a
   * `finally`, so figures are never lost to an error nor carried into the next
   * invocation. An empty record is skipped: Powertools would otherwise warn
   * "No application metrics to publish" on every invocation that counted nothing.
   */
  publish(): void {
    if (!this.metrics.hasStoredMetrics()) return;
    this.metrics.addMetadata('function', this.functionName);
    this.metrics.publishStoredMetrics();
  }
}
