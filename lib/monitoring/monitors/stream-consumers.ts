import { aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import type { AlarmThresholds } from '../thresholds';

/** A function fed by a stream, with its lag metric; a `StreamConsumer` is one. */
export interface MonitoredStreamConsumer extends IConstruct {
  /** `AWS/Lambda` `IteratorAge` of the function, maximum per minute, in milliseconds, without a label. */
  metricIteratorAge(): cloudwatch.Metric;
}

/**
 * Stream consumers (the outbox relay and the read-side projector): one section, a graph per consumer of its
 * iterator age with the alarm threshold drawn on it, and a warning on each one's iterator age.
 *
 * `IteratorAge` is, for DynamoDB, Kinesis and DocumentDB event sources, the age in milliseconds of the last record
 * of a batch: the time between the stream receiving the record and the event source mapping sending the batch to
 * the function (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). So it grows when the
 * consumer falls behind its stream: slow batches, or a failing batch retried (its shard waits meanwhile). The
 * alarm reads the maximum, so one lagging shard is enough. It is a warning: a lag loses nothing by itself; a batch
 * given up on reaches the failure queue, whose depth alarm (`monitorDeadLetterQueues`) is critical.
 *
 * A period without a data point counts as not breaching, like every alarm here (`severity.ts`). That the mapping
 * reports `IteratorAge` only when it sends a batch follows from the definition above and is otherwise unverified;
 * if so, a mapping that stopped invoking shows as no data here, and the function's error and throttle alarms are
 * the ones to catch failed or throttled invocations.
 */
export function monitorStreamConsumers(
  alarms: AlarmFactory,
  consumers: readonly MonitoredStreamConsumer[],
  thresholds: Pick<AlarmThresholds, 'streamIteratorAge'>,
): Monitor {
  if (consumers.length === 0) return { alarms: [], sections: [] };
  const thresholdMs = thresholds.streamIteratorAge.toMilliseconds();
  const made: cloudwatch.Alarm[] = [];
  const graphs: cloudwatch.IWidget[] = [];
  for (const consumer of consumers) {
    const iteratorAge = consumer.metricIteratorAge();
    made.push(
      alarms.alarm(consumer, {
        kind: 'IteratorAge',
        severity: 'warning',
        metric: iteratorAge,
        threshold: thresholdMs,
        description:
          'the consumer is behind its stream (age in milliseconds of the last record of a batch when it was sent to ' +
          'the function). Look for slow or failing batches in its log and errors; a stream drops records after 24 hours.',
      }),
    );
    graphs.push(
      new cloudwatch.GraphWidget({
        title: `${labelOf(consumer)}: iterator age, max (ms)`,
        left: [iteratorAge.with({ label: 'iterator age (ms)' })],
        leftAnnotations: [{ value: thresholdMs, label: 'alarm threshold' }],
        width: 12,
      }),
    );
  }
  return {
    alarms: made,
    sections: [
      {
        heading: {
          title: 'Stream consumers',
          description: 'How far behind the stream each consumer runs: iterator age (maximum per minute).',
        },
        rows: [graphs],
      },
    ],
  };
}
