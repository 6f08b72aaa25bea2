import { Duration } from 'aws-cdk-lib';
import type { PropProblems } from '../constructs/validation';

/**
 * Alarm thresholds. Each alarm fires when its metric is **above** the
 * threshold; how many periods, and what missing data counts as, is its
 * severity's (see `severity.ts`).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
export interface OperationsAlarmThresholds {
  /**
   * Messages in a dead-letter queue (maximum per minute).
   *
   * @default 0 - any dead letter
   */
  readonly deadLetterQueueMessages?: number;
  /**
   * Age of a source queue's oldest message (maximum per minute). At least 60 s.
   *
   * @default Duration.minutes(5)
   */
  readonly oldestMessageAge?: Duration;
  /**
   * Errors of one function (sum per minute).
   *
   * @default 0 - any error
   */
  readonly functionErrors?: number;
  /**
   * Throttles of one function (sum per minute).
   *
   * @default 0 - any throttle
   */
  readonly functionThrottles?: number;
  /**
   * Failed executions, and separately timed-out executions, of one state machine (sum per minute).
   *
   * @default 0 - any failed or timed-out execution
   */
  readonly sagaFailures?: number;
  /**
   * Compensations (sum of `compensationMetric` per 5 minutes). Compensations are
   * business outcomes (a declined card), so this catches a burst, not one.
   *
   * @default 5
   */
  readonly compensations?: number;
  /**
   * Orders left for an operator (sum of `needsAttentionMetric` per 5 minutes):
   * each one is a compensation that failed after all its retries.
   *
   * @default 0 - any order needing attention
   */
  readonly ordersNeedingAttention?: number;
  /**
   * Failed invocations of one rule's targets, and separately events that could
   * not even be sent to the rule-target DLQ (sum per minute).
   *
   * @default 0 - any failed delivery
   */
  readonly ruleTargetFailures?: number;
  /**
   * Iterator age of a stream consumer (maximum per minute): how old the last record of a batch was when the
   * event source mapping sent it to the function. At least 1 second, and under the 24 hours a DynamoDB stream
   * keeps a record (an alarm beyond that would fire only after records have expired).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html (`IteratorAge`, in milliseconds)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html (DynamoDB Streams keep records 24 hours)
   * @default Duration.minutes(5)
   */
  readonly streamIteratorAge?: Duration;
}

/** Every threshold, resolved. */
export type AlarmThresholds = Required<OperationsAlarmThresholds>;

/**
 * The defaults: alarm on the first dead letter, error, throttle, failed or timed-out execution, order needing
 * attention and failed rule delivery; on a message older than 5 minutes; on a stream consumer more than 5 minutes
 * behind its stream; and on more than 5 compensated orders in 5 minutes (declined cards are normal, a burst of
 * them is not; tune it to your volume).
 *
 * The stream lag default is the queues' backlog default on purpose: both measure how long an order's event waits
 * for its consumer (the relay and the projector read the event store's stream as the queue consumers read their
 * queues), so one figure means the same on both. A lagging stream loses nothing yet, hence a warning; a batch given
 * up on goes to the consumer's failure queue, whose depth alarm is critical. 5 minutes is far below the 24 hours
 * after which the stream drops a record.
 */
export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  deadLetterQueueMessages: 0,
  oldestMessageAge: Duration.minutes(5),
  functionErrors: 0,
  functionThrottles: 0,
  sagaFailures: 0,
  compensations: 5,
  ordersNeedingAttention: 0,
  ruleTargetFailures: 0,
  streamIteratorAge: Duration.minutes(5),
};

/** A DynamoDB stream keeps a record 24 hours; an iterator age threshold must be below it to ever fire in time. */
export const STREAM_RETENTION = Duration.hours(24);

/** `thresholds` with the defaults filled in. */
export function resolveThresholds(thresholds: OperationsAlarmThresholds = {}): AlarmThresholds {
  const resolved: Record<string, unknown> = { ...DEFAULT_ALARM_THRESHOLDS };
  for (const [name, value] of Object.entries(thresholds)) if (value !== undefined) resolved[name] = value;
  return resolved as AlarmThresholds;
}

/** Records every invalid threshold in `problems` (reported with the construct's other props). */
export function checkThresholds(problems: PropProblems, thresholds: AlarmThresholds): void {
  const age = thresholds.oldestMessageAge;
  problems.check(age.isUnresolved() || age.toSeconds() >= 60, {
    prop: 'thresholds.oldestMessageAge',
    value: age,
    problem: 'must be at least 60 seconds (SQS publishes the metric once a minute)',
    fix: 'use e.g. Duration.minutes(5)',
  });
  const lag = thresholds.streamIteratorAge;
  problems.check(
    lag.isUnresolved() || (lag.toMilliseconds() >= 1000 && lag.toMilliseconds() < STREAM_RETENTION.toMilliseconds()),
    {
      prop: 'thresholds.streamIteratorAge',
      value: lag,
      problem: 'must be at least 1 second and under 24 hours (a DynamoDB stream drops records after 24 hours)',
      fix: 'use e.g. Duration.minutes(5)',
    },
  );
  for (const name of [
    'deadLetterQueueMessages',
    'functionErrors',
    'functionThrottles',
    'sagaFailures',
    'compensations',
    'ordersNeedingAttention',
    'ruleTargetFailures',
  ] as const) {
    const value = thresholds[name];
    problems.check(Number.isFinite(value) && value >= 0, {
      prop: `thresholds.${name}`,
      value,
      problem: 'must be a number of 0 or more',
      fix: 'use 0 to alarm on the first occurrence',
    });
  }
}
