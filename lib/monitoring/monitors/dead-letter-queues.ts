import { aws_cloudwatch as cloudwatch, Duration, type aws_sqs as sqs } from 'aws-cdk-lib';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import type { AlarmThresholds } from '../thresholds';

/**
 * Dead-letter queues that are not behind a monitored source queue (rule-target, subscription and event-source
 * failure queues): one full-width graph with a line per queue, and a critical alarm on each one's depth.
 */
export function monitorDeadLetterQueues(
  alarms: AlarmFactory,
  queues: readonly sqs.IQueue[],
  thresholds: Pick<AlarmThresholds, 'deadLetterQueueMessages'>,
): Monitor {
  if (queues.length === 0) return { alarms: [], sections: [] };
  const made: cloudwatch.Alarm[] = [];
  const lines: cloudwatch.IMetric[] = [];
  for (const dlq of queues) {
    const metric = dlq.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    lines.push(metric.with({ label: labelOf(dlq) }));
    made.push(
      alarms.alarm(dlq, {
        kind: 'Depth',
        severity: 'critical',
        metric,
        threshold: thresholds.deadLetterQueueMessages,
        description: 'undeliverable messages parked. Inspect them, fix the cause, then redrive.',
      }),
    );
  }
  return {
    alarms: made,
    sections: [{ rows: [[new cloudwatch.GraphWidget({ title: 'Other dead-letter queues', left: lines, width: 24 })]] }],
  };
}
