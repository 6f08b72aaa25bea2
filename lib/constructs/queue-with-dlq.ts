import { aws_cloudwatch as cloudwatch, Duration, type aws_iam as iam, Names, Stack, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { formatValue, PropProblems, seconds } from './validation';

/** Queue props the construct decides itself (see {@link QueueWithDlqProps}). */
type OwnedQueueProps =
  | 'deadLetterQueue'
  | 'fifo'
  | 'visibilityTimeout'
  | 'contentBasedDeduplication'
  | 'retentionPeriod';
/** Dead-letter queue props the construct decides itself. */
type OwnedDeadLetterQueueProps = 'deadLetterQueue' | 'fifo' | 'redriveAllowPolicy' | 'retentionPeriod';

/** SQS keeps a message from 60 s to 14 days (CreateQueue `MessageRetentionPeriod`). */
const MIN_RETENTION = Duration.seconds(60);
const MAX_RETENTION = Duration.days(14);

/** Properties of a {@link QueueWithDlq}. */
export interface QueueWithDlqProps {
  /**
   * Make a FIFO queue. Its dead-letter queue is then FIFO too (forced: a FIFO
   * queue can only use a FIFO DLQ).
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html
   * @default false - a standard queue and a standard DLQ
   */
  readonly fifo?: boolean;

  /**
   * FIFO only: let SQS derive the deduplication id from the message body
   * (a SHA-256 hash of the body, not the attributes). Leave it off when
   * producers send their own `MessageDeduplicationId` (a producer with a
   * natural event id). Whether an EventBridge rule target sends one of its own
   * is stated on no AWS page we found (unverified; see aws/aws-cdk#36498).
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html (`MessageDeduplicationId`)
   * @see https://github.com/aws/aws-cdk/issues/36498
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * How long a received message stays invisible to other consumers. A Lambda
   * consumer needs at least 6 × its timeout (see `QueueConsumer`).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Receives before SQS moves a message to the DLQ (it moves a message whose
   * receive count exceeds this). Enough for a transient fault to pass, few
   * enough that a poison message leaves soon. For a queue a Lambda function
   * consumes, AWS advises at least 5 under heavy load: a batch that times out or
   * is throttled comes back whole, and every return counts as a receive
   * (https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html). Must be an integer
   * from 1 to 1000 (our bound: the API reference gives no range, so whether
   * SQS accepts more is unverified).
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (`RedrivePolicy`)
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the source queue keeps a message nobody has deleted: the longest
   * a backlog may wait for its consumer (e.g. through an outage) before SQS
   * drops it. From 60 seconds to 14 days
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
   * Set explicitly rather than left to the SQS default, so the template says
   * what the DLQ retention is measured against.
   *
   * @default Duration.days(4) - the SQS default
   */
  readonly retentionPeriod?: Duration;

  /**
   * How long the dead-letter queue keeps a message: the time operators have to
   * inspect and redrive it. From 60 seconds to 14 days.
   *
   * For a standard queue it must be longer than `retentionPeriod`: SQS
   * expires a message by its original enqueue time, which a move to the DLQ
   * does not reset, so a message that waited 3 days in a 4-day source queue
   * would live only 1 more day in a 4-day DLQ. (A FIFO queue's message gets a
   * new enqueue time in its DLQ, so there it need not be.)
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html)
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (`MessageRetentionPeriod`: at most 1,209,600 seconds)
   * @default Duration.days(14) - the SQS maximum
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * Restrict the DLQ's redrive allow policy to this source queue only, so no
   * other queue can use it as its DLQ.
   *
   * The policy must name the source queue's ARN while the source queue names
   * the DLQ in its redrive policy; to avoid a circular reference the source
   * queue then gets a deterministic physical name derived from the construct
   * path (unless `queueProps.queueName` sets one). A named queue cannot be
   * replaced in place by CloudFormation: change such a queue's FIFO setting
   * by giving it a new construct id.
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (`RedriveAllowPolicy`)
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html (`QueueName`: a named queue cannot be replaced)
   * @default true
   */
  readonly restrictRedriveToSourceQueue?: boolean;

  /**
   * Escape hatch for the source queue. Merged as: our defaults (SSE-SQS
   * encryption), then these props, then what is forced (`enforceSSL: true`,
   * `deadLetterQueue`, `fifo`, `visibilityTimeout`, `contentBasedDeduplication`,
   * `retentionPeriod`).
   *
   * @default - the defaults above
   */
  readonly queueProps?: Omit<sqs.QueueProps, OwnedQueueProps>;

  /**
   * Escape hatch for the dead-letter queue. Merged as: our defaults (SSE-SQS
   * encryption), then these props, then what is forced (`enforceSSL: true`,
   * `fifo` equal to the source queue's, `redriveAllowPolicy`,
   * `retentionPeriod` from `deadLetterRetentionPeriod`).
   *
   * @default - the defaults above
   */
  readonly deadLetterQueueProps?: Omit<sqs.QueueProps, OwnedDeadLetterQueueProps>;
}

/**
 * An SQS queue with its dead-letter queue: encrypted at rest (SSE-SQS), TLS-only
 * resource policies on both, a redrive policy with a validated
 * `maxReceiveCount`, an explicit retention (4 days by default), a 14-day DLQ
 * whose redrive allow policy admits only this source queue, and metrics for the
 * alarms that matter (DLQ depth, age of the oldest message).
 *
 * A FIFO queue always gets a FIFO DLQ.
 *
 * @example
 * const orders = new QueueWithDlq(this, 'Orders', { fifo: true, visibilityTimeout: Duration.seconds(60) });
 * new cloudwatch.Alarm(this, 'OrdersDlqNotEmpty', {
 *   metric: orders.metricDeadLetterQueueDepth(), threshold: 0, evaluationPeriods: 1,
 *   comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
 * });
 */
export class QueueWithDlq extends Construct {
  /** The source queue consumers read from. */
  public readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The redrive policy's `maxReceiveCount` (consumers park on this attempt). */
  public readonly maxReceiveCount: number;
  /** The source queue's visibility timeout, known at synth time. */
  public readonly visibilityTimeout: Duration;
  /** Whether both queues are FIFO. */
  public readonly fifo: boolean;
  /** How long the source queue keeps a message. */
  public readonly retentionPeriod: Duration;
  /** How long the dead-letter queue keeps a message. */
  public readonly deadLetterRetentionPeriod: Duration;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps = {}) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(30);
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? MAX_RETENTION;

    const problems = new PropProblems();
    problems.check(Number.isInteger(maxReceiveCount) && maxReceiveCount >= 1 && maxReceiveCount <= 1000, {
      prop: 'maxReceiveCount',
      value: maxReceiveCount,
      problem: 'must be an integer from 1 to 1000',
      fix: "use at least 5 for a Lambda consumer (AWS's advice), fewer only where a message must leave sooner",
    });
    problems.check(!props.contentBasedDeduplication || fifo, {
      prop: 'contentBasedDeduplication',
      value: props.contentBasedDeduplication,
      problem: 'applies to FIFO queues only',
      fix: 'set fifo: true or drop contentBasedDeduplication',
    });
    for (const [prop, value] of [
      ['retentionPeriod', retentionPeriod],
      ['deadLetterRetentionPeriod', deadLetterRetentionPeriod],
    ] as const) {
      const secs = value.isUnresolved() ? undefined : seconds(value);
      problems.check(
        secs === undefined ||
          (Number.isInteger(secs) && secs >= seconds(MIN_RETENTION) && secs <= seconds(MAX_RETENTION)),
        {
          prop,
          value,
          problem: 'must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days)',
          fix: `use e.g. Duration.days(${prop === 'retentionPeriod' ? 4 : 14})`,
        },
      );
    }
    problems.check(
      fifo ||
        retentionPeriod.isUnresolved() ||
        deadLetterRetentionPeriod.isUnresolved() ||
        seconds(deadLetterRetentionPeriod) > seconds(retentionPeriod),
      {
        prop: 'deadLetterRetentionPeriod',
        value: deadLetterRetentionPeriod,
        problem:
          `must be longer than retentionPeriod (${formatValue(retentionPeriod)}): SQS expires a standard queue's ` +
          'message by its original enqueue time, so one that waited in the source queue would leave the DLQ early',
        fix: 'shorten retentionPeriod, or raise deadLetterRetentionPeriod (up to Duration.days(14))',
      },
    );
    const queueName = props.queueProps?.queueName;
    problems.check(queueName === undefined || fifo === queueName.endsWith('.fifo'), {
      prop: 'queueProps.queueName',
      value: queueName,
      problem: fifo ? 'a FIFO queue name must end in ".fifo"' : 'only a FIFO queue name may end in ".fifo"',
      fix: fifo ? 'append ".fifo" to the name' : 'remove the ".fifo" suffix or set fifo: true',
    });
    problems.throwIfAny(this, 'QueueWithDlq');

    const restrict = props.restrictRedriveToSourceQueue ?? true;
    // A deterministic name lets the DLQ's redrive allow policy name the source
    // queue's ARN without referencing the queue resource (which references the DLQ).
    const sourceQueueName = restrict
      ? (queueName ??
        `${Names.uniqueResourceName(this, { maxLength: fifo ? 75 : 80, separator: '-' })}${fifo ? '.fifo' : ''}`)
      : queueName;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      ...props.deadLetterQueueProps,
      retentionPeriod: deadLetterRetentionPeriod,
      enforceSSL: true,
      fifo: fifo ? true : undefined,
      redriveAllowPolicy:
        restrict && sourceQueueName
          ? {
              redrivePermission: sqs.RedrivePermission.BY_QUEUE,
              sourceQueues: [
                sqs.Queue.fromQueueAttributes(this, 'SourceQueueRef', {
                  queueArn: Stack.of(this).formatArn({ service: 'sqs', resource: sourceQueueName }),
                  fifo: fifo ? true : undefined,
                }),
              ],
            }
          : undefined,
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      ...props.queueProps,
      queueName: sourceQueueName,
      enforceSSL: true,
      fifo: fifo ? true : undefined,
      contentBasedDeduplication: fifo ? (props.contentBasedDeduplication ?? false) : undefined,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.maxReceiveCount = maxReceiveCount;
    this.visibilityTimeout = visibilityTimeout;
    this.fifo = fifo;
    this.retentionPeriod = retentionPeriod;
    this.deadLetterRetentionPeriod = deadLetterRetentionPeriod;
  }

  /**
   * Lets `grantee` send to the source queue: `sqs:SendMessage` only, which
   * also authorises `SendMessageBatch`
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html);
   * not `grantSendMessages`, whose `GetQueueAttributes` and `GetQueueUrl` a
   * sender given the queue URL never calls. A customer managed key (through
   * `queueProps.encryptionMasterKey`) is granted `GenerateDataKey` and `Decrypt` too, what a producer
   * needs (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
   */
  public grantSendMessage(grantee: iam.IGrantable): iam.Grant {
    this.queue.encryptionMasterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return this.queue.grant(grantee, 'sqs:SendMessage');
  }

  /**
   * Messages waiting in the dead-letter queue (`ApproximateNumberOfMessagesVisible`,
   * maximum per minute). Anything above 0 means a message could not be processed.
   */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Age of the oldest message in the source queue (maximum per minute): the backlog's latency. */
  public metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Messages waiting in the source queue (maximum per minute). */
  public metricQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}
