import { aws_cloudwatch as cloudwatch, Duration, type aws_sqs as sqs } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import type { AlarmThresholds } from '../thresholds';

/** A source queue with its DLQ and metrics; a `QueueWithDlq` is one. */
export interface MonitoredQueue extends IConstruct {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  metricQueueDepth(): cloudwatch.Metric;
  metricOldestMessageAge(): cloudwatch.Metric;
  metricDeadLetterQueueDepth(): cloudwatch.Metric;
}

/**
 * Queues with a DLQ: one section, a row per queue with its backlog (visible, in flight, age of the oldest
 * message) and its dead letters; a critical alarm on DLQ depth and a warning on the oldest message's age.
 */
export function monitorQueues(
  alarms: AlarmFactory,
  queues: readonly MonitoredQueue[],
  thresholds: Pick<AlarmThresholds, 'deadLetterQueueMessages' | 'oldestMessageAge'>,
): Monitor {
  if (queues.length === 0) return { alarms: [], sections: [] };
  const made: cloudwatch.Alarm[] = [];
  const rows: cloudwatch.IWidget[][] = [];
  for (const q of queues) {
    const label = labelOf(q);
    made.push(
      alarms.alarm(q, {
        kind: 'DlqDepth',
        severity: 'critical',
        metric: q.metricDeadLetterQueueDepth(),
        threshold: thresholds.deadLetterQueueMessages,
        description: 'messages in the dead-letter queue. Read their x-error-* attributes, fix the cause, then redrive.',
      }),
      alarms.alarm(q, {
        kind: 'OldestMessageAge',
        severity: 'warning',
        metric: q.metricOldestMessageAge(),
        threshold: thresholds.oldestMessageAge.toSeconds(),
        description: 'the oldest message waited too long (seconds); consumers fall behind or fail.',
      }),
    );
    rows.push([
      new cloudwatch.GraphWidget({
        title: `${label}: backlog`,
        left: [
          q.metricQueueDepth().with({ label: 'visible' }),
          q.queue.metricApproximateNumberOfMessagesNotVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.minutes(1),
            label: 'in flight',
          }),
        ],
        right: [q.metricOldestMessageAge().with({ label: 'oldest message age (s)' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `${label}: dead letters`,
        left: [q.metricDeadLetterQueueDepth().with({ label: 'messages in DLQ' })],
        width: 12,
      }),
    ]);
  }
  return {
    alarms: made,
    sections: [
      {
        heading: {
          title: 'Queues',
          description: 'Messages visible and in flight, age of the oldest message, dead letters.',
        },
        rows,
      },
    ],
  };
}
