import {
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_lambda_event_sources as sources,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { NodeFunction, type NodeFunctionProps } from './node-function';
import { PropProblems } from './validation';

/** Properties of a {@link StreamConsumer}. */
export interface StreamConsumerProps extends NodeFunctionProps {
  /** The table whose stream the function reads; it must have a stream. */
  readonly table: dynamodb.ITable;

  /**
   * Records per invocation (1 to 10,000).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html (`BatchSize`, at most 10,000)
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * Retries of a failing batch before its description goes to the failure
   * queue (0 to 10,000). Each retry of a batch that still fails is split in
   * halves first (`bisectBatchOnError`), so one bad record ends up alone and
   * the records around it go through.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html (`MaximumRetryAttempts`, 0 to 10,000; the default -1 retries until the record expires)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html (splitting a batch uses no retry)
   * @default 10
   */
  readonly retryAttempts?: number;

  /**
   * Where a new mapping starts reading. `TRIM_HORIZON` reads every record the
   * stream still holds, so nothing written before the function existed is missed.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * Construct id of the failure queue, created beside the function like its
   * log group and role (see `companionIds`).
   *
   * @default `<id>FailureQueue`
   */
  readonly failureQueueId?: string;
}

/**
 * A {@link NodeFunction} fed by a DynamoDB stream, set up so one bad record
 * cannot stall its shard for the stream's 24 hours (with the defaults, a bad
 * record can block its shard for up to a day): records are read in
 * order with partial batch responses (`reportBatchItemFailures`), a failing
 * batch is retried by halves (`bisectBatchOnError`) a bounded number of times,
 * and then a JSON document of metadata about the failed invocation (not the
 * records themselves) goes to its own on-failure queue, encrypted, TLS-only, kept 14 days
 * (the SQS maximum), where an operator reads it and replays from the store.
 *
 * Its failure queue sits beside it, as its log group and role do, so a stream
 * consumer built by hand before keeps its logical ids (and its event source
 * mapping's, whose replacement would re-read the stream from the start).
 *
 * It exposes the metrics to watch: iterator age (how far behind the stream it
 * is) and the failure queue's depth (batches given up on), besides the
 * function's own.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html (DynamoDB Streams keep records 24 hours)
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (`MessageRetentionPeriod`, at most 14 days)
 * @example
 * const projector = new StreamConsumer(this, 'Projector', {
 *   entry: 'lambdas/projector/handler.ts',
 *   timeout: Duration.seconds(10),
 *   table: eventStore.table,
 * });
 */
export class StreamConsumer extends NodeFunction {
  /** Descriptions of the batches that failed every retry (the event source's on-failure destination). */
  public readonly failureQueue: sqs.Queue;
  /** The stream event source. */
  public readonly eventSource: sources.DynamoEventSource;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    const batchSize = props.batchSize ?? 10;
    const retryAttempts = props.retryAttempts ?? 10;
    const problems = new PropProblems();
    problems.check(props.table.tableStreamArn !== undefined, {
      prop: 'table',
      value: props.table.node.path,
      problem: 'has no stream',
      fix: 'give the table a stream (e.g. stream: dynamodb.StreamViewType.NEW_IMAGE)',
    });
    problems.check(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000, {
      prop: 'batchSize',
      value: batchSize,
      problem: 'must be an integer from 1 to 10,000',
      fix: 'use e.g. 10',
    });
    problems.check(Number.isInteger(retryAttempts) && retryAttempts >= 0 && retryAttempts <= 10_000, {
      prop: 'retryAttempts',
      value: retryAttempts,
      problem: 'must be an integer from 0 to 10,000 (a bounded number: unbounded retries stall the shard)',
      fix: 'use e.g. 10',
    });
    problems.throwIfAny(`${scope.node.path}/${id}`, 'StreamConsumer');

    super(scope, id, props);
    this.failureQueue = new sqs.Queue(scope, props.failureQueueId ?? `${id}FailureQueue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.eventSource = new sources.DynamoEventSource(props.table, {
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize,
      bisectBatchOnError: true,
      retryAttempts,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(this.failureQueue),
    });
    this.addEventSource(this.eventSource);
  }

  /**
   * How old the last record of a batch was when the event source mapping sent it to the function, in
   * milliseconds (maximum per minute): how far behind the stream it runs.
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html (`IteratorAge`: the time between the stream receiving the record and the mapping sending the event to the function, in milliseconds)
   */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...props });
  }

  /** Batches given up on: messages waiting in the failure queue (maximum per minute). */
  public metricFailedBatches(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.failureQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}
