import { aws_cloudwatch as cloudwatch, Duration } from 'aws-cdk-lib';
import type { AlarmFactory } from '../alarm-factory';
import type { DashboardSection, Monitor } from '../dashboard';
import type { AlarmThresholds } from '../thresholds';

/** The business figures to draw and the three to alarm on. */
export interface BusinessFigures {
  /** Drawn as totals over the dashboard's time range and as a graph, labelled with their metric names. */
  readonly metrics?: readonly cloudwatch.Metric[];
  /** Compensated orders: a warning above `thresholds.compensations` per 5 minutes. Without a label. */
  readonly compensations?: cloudwatch.Metric;
  /** Orders needing attention: critical above `thresholds.ordersNeedingAttention` per 5 minutes. Without a label. */
  readonly ordersNeedingAttention?: cloudwatch.Metric;
  /** Orders refused as an order-id conflict: critical above {@link ORDER_CONFLICTS_THRESHOLD} per 5 minutes. Without a label. */
  readonly orderConflicts?: cloudwatch.Metric;
}

/**
 * Any order-id conflict is alarmed: no count of refused orders is normal (a client reused an order id for
 * different content). Fixed rather than configurable for that reason.
 */
export const ORDER_CONFLICTS_THRESHOLD = 0;

/** What the business alarms are scoped and named under: they watch figures, not a construct. */
export const BUSINESS_ALARM_SCOPE = 'Orders';

/**
 * Business figures (custom metrics, e.g. EMF): the dashboard's top section, and alarms on a burst of
 * compensations (warning: each one is a normal business outcome) and on any order needing attention (critical:
 * money or stock may still be held).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html (an EMF record's metric can be alarmed on)
 */
export function monitorBusiness(
  alarms: AlarmFactory,
  figures: BusinessFigures,
  thresholds: Pick<AlarmThresholds, 'compensations' | 'ordersNeedingAttention'>,
): Monitor {
  const made: cloudwatch.Alarm[] = [];
  const per5Minutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
  if (figures.compensations) {
    made.push(
      alarms.alarm(BUSINESS_ALARM_SCOPE, {
        kind: 'Compensated',
        severity: 'warning',
        metric: figures.compensations.with(per5Minutes),
        threshold: thresholds.compensations,
        description: 'orders compensated in 5 minutes: more declines or failures than usual.',
      }),
    );
  }
  if (figures.ordersNeedingAttention) {
    made.push(
      alarms.alarm(BUSINESS_ALARM_SCOPE, {
        kind: 'NeedAttention',
        severity: 'critical',
        metric: figures.ordersNeedingAttention.with(per5Minutes),
        threshold: thresholds.ordersNeedingAttention,
        description:
          'orders need attention: a compensation failed after all its retries (e.g. a refund), so money or stock ' +
          'may still be held. Find them (order record status NEEDS_ATTENTION, OrderNeedsAttention events, the ' +
          'failed saga executions), fix the cause, re-run the failed compensation, then check the order audit.',
      }),
    );
  }
  if (figures.orderConflicts) {
    made.push(
      alarms.alarm(BUSINESS_ALARM_SCOPE, {
        kind: 'IdConflicts',
        // Critical: the refused order is lost to the customer until someone tells them (severity.ts).
        severity: 'critical',
        metric: figures.orderConflicts.with(per5Minutes),
        threshold: ORDER_CONFLICTS_THRESHOLD,
        description:
          'orders refused as order-id conflicts: an OrderPlaced reused an accepted order id with different ' +
          'content; the first accepted order stands and the other was not reserved, charged or shipped. Read the ' +
          'OrderConflictRejected events and the refused payloads (order-service table, sk CONFLICT#<event id>), ' +
          'then tell the client to resend the refused order under a new id.',
      }),
    );
  }
  const sections: DashboardSection[] = [];
  if (figures.metrics && figures.metrics.length > 0) {
    const labelled = figures.metrics.map((m) => m.with({ label: m.metricName }));
    sections.push({
      heading: {
        title: 'Business',
        description:
          'Orders placed, completed and compensated; duplicate deliveries suppressed; order-id and event-id conflicts.',
      },
      rows: [
        [
          new cloudwatch.SingleValueWidget({
            title: 'Business figures (time range total)',
            metrics: labelled.map((m) => m.with({ statistic: cloudwatch.Stats.SUM })),
            setPeriodToTimeRange: true,
            width: 12,
            height: 4,
          }),
          new cloudwatch.GraphWidget({ title: 'Business figures', left: labelled, width: 12, height: 4 }),
        ],
      ],
    });
  }
  return { alarms: made, sections };
}
