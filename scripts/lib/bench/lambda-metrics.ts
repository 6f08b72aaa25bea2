import { type CloudWatchClient, GetMetricStatisticsCommand, paginateListMetrics } from '@aws-sdk/client-cloudwatch';

/** Per-function sums of the `AWS/Lambda` `Throttles` metric the engine published over a window. */
export interface LambdaThrottles {
  /** Sum of `Throttles` per function name (functions with none left out). */
  throttles: Record<string, number>;
  totalThrottles: number;
}

/**
 * Reads back the `Throttles` sum of every function whose name starts with `prefix` between `start` and
 * `end`, from CloudWatch's `AWS/Lambda` namespace: what the engine (or AWS) published, not what the driver
 * expected. MiniStack 1.5.33 publishes a `Throttles` data point for every throttled attempt, whoever
 * invoked (services/lambda_svc.py `_execute_function`); its `Invocations` and `Errors` it publishes only
 * for the Invoke API, not for event source mappings or Step Functions, so those are not read here.
 */
export async function lambdaThrottles(
  cloudWatch: CloudWatchClient,
  { prefix, start, end }: { prefix: string; start: Date; end: Date },
): Promise<LambdaThrottles> {
  const names = new Set<string>();
  for await (const page of paginateListMetrics(
    { client: cloudWatch },
    { Namespace: 'AWS/Lambda', MetricName: 'Throttles' },
  )) {
    for (const metric of page.Metrics ?? []) {
      const name = metric.Dimensions?.find((d) => d.Name === 'FunctionName')?.Value;
      if (name?.startsWith(prefix)) names.add(name);
    }
  }
  const throttles: Record<string, number> = {};
  for (const name of [...names].sort()) {
    const { Datapoints } = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: name }],
        StartTime: start,
        EndTime: end,
        // One period over the whole window (whole minutes, as CloudWatch wants them).
        Period: Math.max(60, Math.ceil((end.getTime() - start.getTime()) / 60_000) * 60),
        Statistics: ['Sum'],
      }),
    );
    const sum = (Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    if (sum > 0) throttles[name] = sum;
  }
  return { throttles, totalThrottles: Object.values(throttles).reduce((n, v) => n + v, 0) };
}
