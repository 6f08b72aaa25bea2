import {
  Annotations,
  type aws_cloudwatch as cloudwatch,
  Duration,
  type aws_logs as logs,
  type RemovalPolicy,
  aws_lambda_event_sources as sources,
  aws_sqs as sqs,
  Token,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { NodeFunction, type NodeFunctionProps } from './node-function';
import { PropProblems, seconds } from './validation';

/**
 * A queue together with what the consumer needs to know about it. A
 * `QueueWithDlq` is one; for another queue, say what you know.
 */
export interface ConsumedQueue {
  /** The queue to consume. */
  readonly queue: sqs.IQueue;
  /**
   * Its dead-letter queue, for `grantSendToDeadLetterQueue`.
   *
   * @default - the queue's own redrive DLQ when it is an `sqs.Queue`, else none
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Its visibility timeout.
   *
   * @default - read from the queue when it is an `sqs.Queue` defined in this app, else unknown
   */
  readonly visibilityTimeout?: Duration;
}

/** Properties of a {@link QueueConsumer}. */
export interface QueueConsumerProps {
  /**
   * The queue to consume: a `QueueWithDlq`, an `sqs.IQueue`, or a
   * {@link ConsumedQueue} describing one.
   */
  readonly queue: sqs.IQueue | ConsumedQueue;

  /** Path of the handler's TypeScript entry file (exporting `handler`). */
  readonly entry: string;

  /**
   * The function timeout. The queue's visibility timeout must be at least
   * 6 × this (AWS's guidance, so a message is not redelivered while a throttled
   * or retried invocation still holds it) plus `maxBatchingWindow` (our own
   * margin for the time records wait in the window; AWS's guidance names only
   * the 6 ×); violating that throws at synth time.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (`VisibilityTimeout`, default 30 seconds)
   * @default Duration.seconds(5) - fits the 30-second SQS default visibility timeout
   */
  readonly timeout?: Duration;

  /**
   * Environment variables of the function. Names are the caller's: share them
   * with the handler as constants.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Records per invocation. FIFO queues allow at most 10; standard queues
   * 10,000, and more than 10 needs a `maxBatchingWindow`.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * Most concurrent invocations the event source starts (2 to 1000): the
   * backpressure valve that keeps a burst from starving other functions. A
   * burst beyond it waits in the queue instead of being throttled; a
   * `functionProps.reservedConcurrentExecutions` below it is refused at synth
   * time, as throttled batches would count as receives towards the DLQ.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
   * @see https://repost.aws/knowledge-center/lambda-sqs-scaling (a maximum concurrency above the reserved concurrency can cause throttling)
   *
   * @default 5
   */
  readonly maxConcurrency?: number;

  /**
   * How long the event source gathers records before invoking (standard queues only).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html (not supported for FIFO queues)
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Grant the function `sqs:SendMessage` on the queue's dead-letter queue, for
   * a handler that parks a message there itself with its failure reason.
   *
   * @default false
   */
  readonly grantSendToDeadLetterQueue?: boolean;

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Removal policy of the function's log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Escape hatch for the function, as {@link NodeFunction} takes it: merged as
   * our defaults (Node.js 22 on arm64, 256 MB, X-Ray tracing, the project's
   * esbuild bundling with the AWS SDK included so the bundle runs on any plain
   * `node`, a role that may write to the function's log group only), then these
   * props, then what is forced (`entry`, `timeout`, `environment`, `logGroup`).
   * A `role` passed here is granted write access to the log group too.
   *
   * @default - the defaults above
   */
  readonly functionProps?: NodeFunctionProps['functionProps'];
}

/**
 * A {@link NodeFunction} (esbuild bundle, its own log group and role) that
 * consumes an SQS queue with partial batch responses
 * (`reportBatchItemFailures`) and a concurrency cap. It enforces, at synth time, that the queue's visibility timeout is
 * at least 6 × the function timeout (plus the batching window); for a queue
 * whose visibility timeout it cannot know, it adds a warning instead.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 * @example
 * const orders = new QueueWithDlq(this, 'Orders', { visibilityTimeout: Duration.seconds(60) });
 * new QueueConsumer(this, 'OrdersConsumer', {
 *   queue: orders,
 *   entry: 'lambdas/orders/handler.ts',
 *   timeout: Duration.seconds(10),
 * });
 */
export class QueueConsumer extends Construct {
  /** The consuming function. */
  public readonly fn: NodeFunction;
  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The SQS event source of the function. */
  public readonly eventSource: sources.SqsEventSource;
  /** The consumed queue. */
  public readonly queue: sqs.IQueue;
  /** The consumed queue's dead-letter queue, if known. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** The function timeout. */
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const source = describeQueue(props.queue);
    const timeout = props.timeout ?? Duration.seconds(5);
    const batchSize = props.batchSize ?? 10;
    const maxConcurrency = props.maxConcurrency ?? 5;
    const window = props.maxBatchingWindow;
    const fifo = !Token.isUnresolved(source.queue.fifo) && source.queue.fifo;

    const problems = new PropProblems();
    if (source.visibilityTimeout && !source.visibilityTimeout.isUnresolved() && !timeout.isUnresolved()) {
      const windowSeconds = window ? seconds(window) : 0;
      const required = 6 * seconds(timeout) + windowSeconds;
      const visibility = seconds(source.visibilityTimeout);
      const maxTimeout = Math.floor(Math.max(0, visibility - windowSeconds) / 6);
      problems.check(visibility >= required, {
        prop: 'timeout',
        value: timeout,
        problem:
          `needs a queue visibility timeout of at least ${required} s (6 × timeout + maxBatchingWindow ${windowSeconds} s), ` +
          `but the queue's visibility timeout is ${visibility} s`,
        fix: `set the queue's visibilityTimeout to at least ${required} s, or lower timeout to at most ${maxTimeout} s`,
      });
    }
    problems.check(!timeout.isUnresolved() && seconds(timeout) >= 1 && seconds(timeout) <= 900, {
      prop: 'timeout',
      value: timeout,
      problem: 'must be a literal from 1 second to 15 minutes',
      fix: 'pass e.g. Duration.seconds(10)',
    });
    const maxBatch = fifo ? 10 : 10_000;
    problems.check(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= maxBatch, {
      prop: 'batchSize',
      value: batchSize,
      problem: `must be an integer from 1 to ${maxBatch} for a ${fifo ? 'FIFO' : 'standard'} queue`,
      fix: 'use 10, the SQS receive maximum',
    });
    problems.check(batchSize <= 10 || window !== undefined, {
      prop: 'batchSize',
      value: batchSize,
      problem: 'above 10 needs a maxBatchingWindow',
      fix: 'set maxBatchingWindow (e.g. Duration.seconds(1)) or use batchSize 10',
    });
    problems.check(Number.isInteger(maxConcurrency) && maxConcurrency >= 2 && maxConcurrency <= 1000, {
      prop: 'maxConcurrency',
      value: maxConcurrency,
      problem: 'must be an integer from 2 to 1000',
      fix: 'use e.g. 5',
    });
    // A function whose reserved concurrency is below what the event source may
    // start gets throttled; each throttled batch goes back to the queue and
    // counts as a receive, so a burst alone could walk messages into the DLQ.
    // (AWS: https://repost.aws/knowledge-center/lambda-sqs-scaling, and maxReceiveCount in
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html)
    const reserved = props.functionProps?.reservedConcurrentExecutions;
    problems.check(reserved === undefined || reserved >= maxConcurrency, {
      prop: 'functionProps.reservedConcurrentExecutions',
      value: reserved,
      problem: `is below maxConcurrency ${maxConcurrency}: the event source would start invocations that Lambda throttles, and each throttled batch counts as a receive towards the DLQ`,
      fix: `reserve at least ${maxConcurrency}, or lower maxConcurrency to at most ${reserved}`,
    });
    problems.check(!(fifo && window), {
      prop: 'maxBatchingWindow',
      value: window,
      problem: 'is not supported for a FIFO queue',
      fix: 'leave maxBatchingWindow out',
    });
    problems.check(!props.grantSendToDeadLetterQueue || source.deadLetterQueue !== undefined, {
      prop: 'grantSendToDeadLetterQueue',
      value: true,
      problem: "the queue's dead-letter queue is unknown",
      fix: 'pass the queue as a QueueWithDlq or as { queue, deadLetterQueue }',
    });
    problems.throwIfAny(this, 'QueueConsumer');

    if (!source.visibilityTimeout || source.visibilityTimeout.isUnresolved()) {
      Annotations.of(this).addWarningV2(
        'blueprint:queue-consumer-visibility-unknown',
        `The visibility timeout of ${source.queue.node.path} is unknown here, so the rule "visibility timeout ≥ ` +
          `6 × function timeout (${seconds(timeout)} s)" could not be checked. Pass the queue as ` +
          '{ queue, visibilityTimeout } to have it checked.',
      );
    }

    // The function, its log group and its role, under the ids this construct always gave them.
    this.fn = new NodeFunction(this, 'Function', {
      entry: props.entry,
      timeout,
      environment: props.environment,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      roleDescription: `Execution role of ${this.node.path}`,
      companionIds: { logGroup: 'LogGroup', role: 'ServiceRole' },
      functionProps: props.functionProps,
    });
    this.logGroup = this.fn.logGroup;

    this.eventSource = new sources.SqsEventSource(source.queue, {
      batchSize,
      maxConcurrency,
      maxBatchingWindow: window,
      reportBatchItemFailures: true,
    });
    this.fn.addEventSource(this.eventSource);

    if (props.grantSendToDeadLetterQueue && source.deadLetterQueue) {
      // Parking is one SendMessage to a queue URL the function is given: not grantSendMessages, which
      // adds GetQueueAttributes and GetQueueUrl that nothing here calls. A customer managed key on the
      // DLQ needs GenerateDataKey and Decrypt from the sender (SQS key management).
      source.deadLetterQueue.grant(this.fn, 'sqs:SendMessage');
      source.deadLetterQueue.encryptionMasterKey?.grant(this.fn, 'kms:GenerateDataKey', 'kms:Decrypt');
    }

    this.queue = source.queue;
    this.deadLetterQueue = source.deadLetterQueue;
    this.timeout = timeout;
  }

  /** Invocations that ended in an error (sum per minute). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fn.metricErrors({ period: Duration.minutes(1), ...props });
  }

  /** Invocations refused for lack of concurrency (sum per minute). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fn.metricThrottles({ period: Duration.minutes(1), ...props });
  }
}

/** Everything the consumer can learn about the queue it is given. */
function describeQueue(input: sqs.IQueue | ConsumedQueue): Required<Pick<ConsumedQueue, 'queue'>> & ConsumedQueue {
  const described: ConsumedQueue = 'queueArn' in input ? { queue: input } : input;
  const queue = described.queue;
  const owned = queue instanceof sqs.Queue ? queue : undefined;
  const cfn = owned?.node.defaultChild instanceof sqs.CfnQueue ? owned.node.defaultChild : undefined;
  let visibilityTimeout = described.visibilityTimeout;
  if (!visibilityTimeout && cfn) {
    const value = cfn.visibilityTimeout;
    // Unset means the SQS default of 30 seconds (`VisibilityTimeout` in
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
    if (value === undefined) visibilityTimeout = Duration.seconds(30);
    else if (typeof value === 'number' && !Token.isUnresolved(value)) visibilityTimeout = Duration.seconds(value);
  }
  return {
    queue,
    deadLetterQueue: described.deadLetterQueue ?? owned?.deadLetterQueue?.queue,
    visibilityTimeout,
  };
}
