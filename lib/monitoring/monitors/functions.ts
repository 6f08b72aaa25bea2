import { aws_cloudwatch as cloudwatch, Duration, type aws_lambda as lambda } from 'aws-cdk-lib';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import { SUM_PER_MINUTE } from '../metrics';
import type { AlarmThresholds } from '../thresholds';

/**
 * Functions: one section, one graph per signal (invocations, errors, throttles, duration p99, concurrent
 * executions) with one line per function; a critical alarm on each function's errors and a warning on its
 * throttles.
 */
export function monitorFunctions(
  alarms: AlarmFactory,
  functions: readonly lambda.IFunction[],
  thresholds: Pick<AlarmThresholds, 'functionErrors' | 'functionThrottles'>,
): Monitor {
  if (functions.length === 0) return { alarms: [], sections: [] };
  const made: cloudwatch.Alarm[] = [];
  for (const fn of functions) {
    made.push(
      alarms.alarm(fn, {
        kind: 'Errors',
        severity: 'critical',
        metric: fn.metricErrors(SUM_PER_MINUTE),
        threshold: thresholds.functionErrors,
        description: 'invocations failed. Its log, filtered by correlationId, shows which order and why.',
      }),
      alarms.alarm(fn, {
        kind: 'Throttles',
        severity: 'warning',
        metric: fn.metricThrottles(SUM_PER_MINUTE),
        threshold: thresholds.functionThrottles,
        description: 'invocations throttled (concurrency limit reached).',
      }),
    );
  }
  const lines = (metricOf: (fn: lambda.IFunction) => cloudwatch.Metric) =>
    functions.map((fn) => metricOf(fn).with({ label: labelOf(fn) }));
  const perMinute = (statistic: string) => ({ period: Duration.minutes(1), statistic });
  return {
    alarms: made,
    sections: [
      {
        heading: {
          title: 'Functions',
          description: 'Invocations, errors, throttles, duration p99 and concurrent executions.',
        },
        rows: [
          [
            new cloudwatch.GraphWidget({
              title: 'Invocations',
              left: lines((fn) => fn.metricInvocations(SUM_PER_MINUTE)),
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: 'Errors',
              left: lines((fn) => fn.metricErrors(SUM_PER_MINUTE)),
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: 'Throttles',
              left: lines((fn) => fn.metricThrottles(SUM_PER_MINUTE)),
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: 'Duration p99 (ms)',
              left: lines((fn) => fn.metricDuration(perMinute(cloudwatch.Stats.p(99)))),
              width: 12,
            }),
            new cloudwatch.GraphWidget({
              title: 'Concurrent executions',
              left: lines((fn) => fn.metric('ConcurrentExecutions', perMinute(cloudwatch.Stats.MAXIMUM))),
              width: 12,
            }),
          ],
        ],
      },
    ],
  };
}
