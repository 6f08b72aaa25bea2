import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BUSINESS_METRICS_NAMESPACE, BUSINESS_METRICS_SERVICE, type BusinessMetricName } from '../contracts/metrics';

/**
 * Counting the business figures (their names are in lambdas/contracts/metrics.ts)
 * with Powertools Metrics, in CloudWatch embedded metric format.
 */

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
