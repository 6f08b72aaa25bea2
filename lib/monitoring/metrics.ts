import { aws_cloudwatch as cloudwatch, Duration } from 'aws-cdk-lib';

/** The sum per minute: how the monitors read counts (errors, throttles, executions, invocations). */
export const SUM_PER_MINUTE: cloudwatch.MetricOptions = {
  period: Duration.minutes(1),
  statistic: cloudwatch.Stats.SUM,
};

/** Another metric of the same namespace and dimensions as `metric` (e.g. a rule's other AWS/Events metrics). */
export function sibling(metric: cloudwatch.Metric, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metric.namespace,
    metricName,
    dimensionsMap: metric.dimensions as cloudwatch.DimensionsMap | undefined,
    statistic: metric.statistic,
    period: metric.period,
  });
}
