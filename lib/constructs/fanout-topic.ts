import {
  type aws_cloudwatch as cloudwatch,
  Duration,
  aws_kms as kms,
  RemovalPolicy,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PropProblems } from './validation';

/** Properties of a {@link FanoutTopic}. */
export interface FanoutTopicProps {
  /**
   * The customer managed KMS key that encrypts the topic. Its policy is left
   * as it is: publishers need `kms:GenerateDataKey` and `kms:Decrypt` on it,
   * which an IAM principal of this account gets through its own policy (e.g.
   * `EventRouter.routeToTopic` grants them to its route's role). An AWS service
   * that publishes as a service principal needs a key policy statement of its
   * own, with an `aws:SourceArn` condition.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   * @default - a new key with rotation enabled and the default key policy (the account may grant its use through IAM)
   */
  readonly masterKey?: kms.IKey;

  /**
   * Removal policy of the key the construct creates (ignored for `masterKey`).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Escape hatch for the topic. Merged as: our defaults, then these props, then
   * what is forced (`masterKey`, `enforceSSL: true`).
   *
   * @default - a standard topic with a generated name
   */
  readonly topicProps?: Omit<sns.TopicProps, 'masterKey' | 'enforceSSL'>;
}

/** Options of {@link FanoutTopic.subscribeQueue}. */
export interface SubscribeQueueOptions {
  /**
   * Filter on message attributes.
   *
   * @default - no attribute filter
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };

  /**
   * Filter on the JSON message body (`FilterPolicyScope: MessageBody`).
   * Mutually exclusive with `filterPolicy`.
   *
   * @see https://docs.aws.amazon.com/sns/latest/api/API_SetSubscriptionAttributes.html (`FilterPolicyScope`)
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html
   * @default - no body filter
   */
  readonly filterPolicyWithMessageBody?: { [key: string]: sns.FilterOrPolicy };

  /**
   * Deliver the message as is instead of wrapped in SNS's notification JSON
   * (`{ Type, MessageId, TopicArn, Message, ... }`).
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
   * @default false
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * Where SNS puts messages it could not deliver to the queue (e.g. the queue
   * was deleted or its policy denies SNS). SNS gets `sqs:SendMessage` on it.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
   * @see https://docs.aws.amazon.com/sns/latest/api/API_SetSubscriptionAttributes.html (`RedrivePolicy`: messages undeliverable through client or server errors)
   * @default - a new SSE-SQS encrypted, TLS-only queue with 14 days' retention
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** What {@link FanoutTopic.subscribeQueue} created. */
export interface QueueSubscription {
  /** The SNS subscription. */
  readonly subscription: sns.Subscription;
  /** The subscription's dead-letter queue (passed in or created). */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * An SNS topic for fan-out (pub/sub): KMS-encrypted with a customer managed key
 * whose policy names no service (publishers are granted through IAM), TLS-only, and a `subscribeQueue()`
 * method that subscribes SQS queues with attribute or payload filters and raw
 * delivery. Every subscription gets a dead-letter queue for messages SNS could
 * not deliver.
 *
 * @example
 * const fanout = new FanoutTopic(this, 'Fanout');
 * fanout.subscribeQueue('Loyalty', loyaltyQueue, {
 *   rawMessageDelivery: true,
 *   filterPolicyWithMessageBody: {
 *     total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThanOrEqualTo: 100 })),
 *   },
 * });
 */
export class FanoutTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  public readonly masterKey: kms.IKey;
  /** Every subscription's dead-letter queue, in subscription order. */
  public readonly subscriptionDeadLetterQueues: sqs.IQueue[] = [];

  constructor(scope: Construct, id: string, props: FanoutTopicProps = {}) {
    super(scope, id);

    this.masterKey =
      props.masterKey ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the SNS topic ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
    this.topic = new sns.Topic(this, 'Topic', {
      ...props.topicProps,
      masterKey: this.masterKey,
      enforceSSL: true,
    });
  }

  /**
   * Subscribes `queue` to the topic (SNS gets `sqs:SendMessage` on it, scoped
   * to this topic) with an optional filter, raw delivery and a dead-letter
   * queue. The subscription is created in this construct with the given `id`;
   * a created DLQ gets the id `<id>DeadLetterQueue`.
   */
  public subscribeQueue(id: string, queue: sqs.IQueue, options: SubscribeQueueOptions = {}): QueueSubscription {
    const problems = new PropProblems();
    problems.check(!(options.filterPolicy && options.filterPolicyWithMessageBody), {
      prop: `subscribeQueue('${id}').filterPolicyWithMessageBody`,
      value: Object.keys(options.filterPolicyWithMessageBody ?? {}),
      problem: 'a subscription filters on attributes or on the body, not both',
      fix: 'keep either filterPolicy or filterPolicyWithMessageBody',
    });
    problems.check(!this.node.tryFindChild(id), {
      prop: `subscribeQueue('${id}').id`,
      value: id,
      problem: 'a subscription with this id already exists on this topic',
      fix: 'give each subscription its own id',
    });
    problems.throwIfAny(this, 'FanoutTopic');

    const deadLetterQueue =
      options.deadLetterQueue ??
      new sqs.Queue(this, `${id}DeadLetterQueue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });

    // Bind through the stock SqsSubscription (queue policy, KMS grants, region),
    // but create the Subscription here so its id is ours and stable.
    const config = new subscriptions.SqsSubscription(queue, {
      rawMessageDelivery: options.rawMessageDelivery,
      filterPolicy: options.filterPolicy,
      filterPolicyWithMessageBody: options.filterPolicyWithMessageBody,
      deadLetterQueue,
    }).bind(this.topic);
    const subscription = new sns.Subscription(this, id, {
      topic: this.topic,
      endpoint: config.endpoint,
      protocol: config.protocol,
      rawMessageDelivery: config.rawMessageDelivery,
      filterPolicy: config.filterPolicy,
      filterPolicyWithMessageBody: config.filterPolicyWithMessageBody,
      region: config.region,
      deadLetterQueue: config.deadLetterQueue,
    });
    if (config.subscriptionDependency) subscription.node.addDependency(config.subscriptionDependency);

    this.subscriptionDeadLetterQueues.push(deadLetterQueue);
    return { subscription, deadLetterQueue };
  }

  /** Messages SNS failed to deliver (sum per minute), across all subscriptions. */
  public metricNumberOfNotificationsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(1), ...props });
  }

  /** Messages dropped by subscription filters (sum per minute). */
  public metricNumberOfNotificationsFilteredOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metricNumberOfNotificationsFilteredOut({ period: Duration.minutes(1), ...props });
  }
}
