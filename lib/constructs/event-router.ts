import {
  ArnFormat,
  type CfnCondition,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_events as events,
  aws_iam as iam,
  Names,
  Stack,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  aws_sqs as sqs,
  Token,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PropProblems } from './validation';

/** Properties of an {@link EventRouter}. */
export interface EventRouterProps {
  /**
   * Escape hatch for the custom event bus.
   *
   * @default - a custom bus with a generated name
   */
  readonly eventBusProps?: events.EventBusProps;

  /**
   * How long the archive keeps events for replay. `Duration.days(0)` keeps them forever.
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateArchive.html (`RetentionDays`: 0 keeps events indefinitely)
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;

  /**
   * The archive's physical name (1 to 48 of `A-Z a-z 0-9 . - _`). It is a
   * plain string, never a token, so tooling that creates the archive outside
   * CloudFormation (see `archiveCondition`) can read it at synth time.
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateArchive.html (`ArchiveName`)
   * @default - derived from the construct path: `<Stack>-<Path>-<hash>-archive`
   */
  readonly archiveName?: string;

  /**
   * Which events the archive keeps.
   *
   * @default - every event on the bus (`{ source: [{ prefix: '' }] }`)
   */
  readonly archiveEventPattern?: events.EventPattern;

  /**
   * A CloudFormation condition on the archive resource. Engines without an
   * `AWS::Events::Archive` provisioner (MiniStack 1.5.33) refuse a template
   * that declares one unconditionally; deploy there with the condition false
   * and create the archive through the EventBridge `CreateArchive` API using
   * {@link EventRouter.archiveName}. Nothing in the template may reference the
   * archive then, and nothing here does.
   *
   * @default - the archive is created unconditionally
   */
  readonly archiveCondition?: CfnCondition;

  /**
   * Retries per target for a failed delivery (0 to 185).
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
   * @default 8
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge keeps retrying an event before it goes to the DLQ
   * (60 seconds to 24 hours).
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;

  /**
   * Escape hatch for the shared rule-target dead-letter queue. Merged as: our
   * defaults (SSE-SQS, 14 days' retention), these props, then `enforceSSL: true`.
   * It must stay a standard queue: EventBridge cannot use a FIFO queue as a DLQ.
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html
   * @default - the defaults above
   */
  readonly deadLetterQueueProps?: Omit<sqs.QueueProps, 'enforceSSL'>;
}

/** What every route takes. */
export interface RouteOptions {
  /** The events this route matches. */
  readonly eventPattern: events.EventPattern;
  /**
   * The rule's description.
   *
   * @default - no description
   */
  readonly description?: string;
}

/** A route to any target: `target` builds it from the router's retry and DLQ settings. */
export interface AddRouteOptions extends RouteOptions {
  /** Builds the target; pass `targetProps` on so it retries and dead-letters like every other target. */
  readonly target: (targetProps: targets.TargetBaseProps) => events.IRuleTarget;
}

/** A route to a FIFO queue. */
export interface FifoQueueRouteOptions extends RouteOptions {
  /**
   * The message group: a JSON path into the event (e.g. `$.detail.data.orderId`)
   * that EventBridge resolves per event, or a constant.
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html#targets-specifics-sqs
   */
  readonly messageGroupId: string;
}

/**
 * A custom EventBridge bus for routing events by pattern, with an archive of
 * every event for replay, and one shared dead-letter queue for all rule
 * targets. Every target added through this router retries (`retryAttempts`,
 * `maxEventAge`) and then dead-letters; helpers cover Step Functions, SNS and
 * FIFO SQS targets, each receiving the event's `detail` only. On AWS a target
 * that no longer exists, or that EventBridge may not invoke, is not retried:
 * the event goes to the DLQ at once, with `RULE_ARN`, `TARGET_ARN`,
 * `ERROR_CODE` and `ERROR_MESSAGE` attributes.
 *
 * Step Functions and SNS targets are invoked through a role per route that
 * only EventBridge, on behalf of a rule on this bus in this account, may
 * assume (confused-deputy protection); nothing grants `events.amazonaws.com`
 * on the target's own resource policy or key policy.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 *
 * @example
 * const router = new EventRouter(this, 'Router');
 * router.routeToStateMachine('OrderPlaced', saga.stateMachine, {
 *   eventPattern: { source: ['shop.checkout'], detailType: ['OrderPlaced'] },
 * });
 */
export class EventRouter extends Construct {
  /** The custom bus. */
  public readonly eventBus: events.EventBus;
  /** The archive of the bus (possibly conditional, see `archiveCondition`). */
  public readonly archive: events.Archive;
  /** The archive's physical name, a plain string known at synth time. */
  public readonly archiveName: string;
  /** The archive's event pattern, as given to the archive. */
  public readonly archiveEventPattern: events.EventPattern;
  /** The rule targets' shared dead-letter queue. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Every rule added through this router, in order. */
  public readonly rules: events.Rule[] = [];
  private readonly targetProps: targets.TargetBaseProps;

  constructor(scope: Construct, id: string, props: EventRouterProps = {}) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 8;
    const maxEventAge = props.maxEventAge ?? Duration.hours(2);
    const archiveRetention = props.archiveRetention ?? Duration.days(30);
    const archiveName =
      props.archiveName ?? `${Names.uniqueResourceName(this, { maxLength: 40, separator: '-' })}-archive`;

    const problems = new PropProblems();
    problems.check(Number.isInteger(retryAttempts) && retryAttempts >= 0 && retryAttempts <= 185, {
      prop: 'retryAttempts',
      value: retryAttempts,
      problem: 'must be an integer from 0 to 185',
      fix: 'use a small number such as 8; maxEventAge bounds the total time anyway',
    });
    problems.check(maxEventAge.isUnresolved() || (maxEventAge.toSeconds() >= 60 && maxEventAge.toSeconds() <= 86_400), {
      prop: 'maxEventAge',
      value: maxEventAge,
      problem: 'must be from 60 seconds to 24 hours',
      fix: 'use e.g. Duration.hours(2)',
    });
    problems.check(!Token.isUnresolved(archiveName) && /^[.\-_A-Za-z0-9]{1,48}$/.test(archiveName), {
      prop: 'archiveName',
      value: archiveName,
      problem: 'must be a literal of 1 to 48 characters from A-Z a-z 0-9 . - _ (not a token)',
      fix: 'pass a literal name or leave it out to derive one from the construct path',
    });
    problems.throwIfAny(this, 'EventRouter');

    this.eventBus = new events.EventBus(this, 'Bus', props.eventBusProps);

    this.archiveName = archiveName;
    this.archiveEventPattern = props.archiveEventPattern ?? { source: events.Match.prefix('') };
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      archiveName,
      description: `Every event on ${this.node.path}, for replay`,
      eventPattern: this.archiveEventPattern,
      retention: archiveRetention,
    });
    if (props.archiveCondition) {
      (this.archive.node.defaultChild as events.CfnArchive).cfnOptions.condition = props.archiveCondition;
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      ...props.deadLetterQueueProps,
      enforceSSL: true,
    });

    this.targetProps = { deadLetterQueue: this.deadLetterQueue, retryAttempts, maxEventAge };
  }

  /**
   * Adds a rule on the bus whose target is built by `options.target` from the
   * router's retry and dead-letter settings. The rule is created in this
   * construct with the given `id`.
   */
  public addRoute(id: string, options: AddRouteOptions): events.Rule {
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      eventPattern: options.eventPattern,
      description: options.description,
      targets: [options.target(this.targetProps)],
    });
    this.rules.push(rule);
    return rule;
  }

  /**
   * Starts an execution of `stateMachine` per matching event, with the event's
   * `detail` as input, through the route's role (`states:StartExecution` on it).
   */
  public routeToStateMachine(id: string, stateMachine: sfn.IStateMachine, options: RouteOptions): events.Rule {
    const role = this.targetRole(id);
    return this.addRoute(id, {
      ...options,
      target: (targetProps) =>
        new targets.SfnStateMachine(stateMachine, {
          ...targetProps,
          role,
          input: events.RuleTargetInput.fromEventPath('$.detail'),
        }),
    });
  }

  /**
   * Publishes the event's `detail` to `topic` through the route's role, which
   * gets `sns:Publish` on the topic and, for a topic with a `masterKey` known
   * to CDK, `kms:GenerateDataKey` and `kms:Decrypt` on that key (through the
   * key policy's account statement, so the key policy names no service). The
   * key of an imported topic must let the role use it.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html (it asks
   * `kms:GenerateDataKey*` and `kms:Decrypt` of publishers)
   * @see https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-sns-creating-role.html
   * (an AWS example granting a publisher to an encrypted topic only `kms:GenerateDataKey` and `kms:Decrypt`)
   */
  public routeToTopic(id: string, topic: sns.ITopic, options: RouteOptions): events.Rule {
    const role = this.targetRole(id);
    // Not topic.grantPublish(role): on an encrypted topic it also grants `kms:GenerateDataKey*`, a
    // wildcard action. SNS's key-management guide asks `kms:GenerateDataKey*` and `kms:Decrypt` of a
    // publisher; AWS's own examples grant the plain action (see the doc comment above).
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    topic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    const message = events.RuleTargetInput.fromEventPath('$.detail');
    return this.addRoute(id, {
      ...options,
      // Hand-written rather than targets.SnsTopic: the stock target either adds an unconditioned
      // `events.amazonaws.com` statement to the topic policy, or grants its role `kms:GenerateDataKey*`.
      target: (targetProps) => ({
        bind: (rule) => {
          if (targetProps.deadLetterQueue)
            targets.addToDeadLetterQueueResourcePolicy(rule, targetProps.deadLetterQueue);
          return {
            ...targets.bindBaseTargetConfig(targetProps),
            arn: topic.topicArn,
            input: message,
            role,
            targetResource: topic,
          };
        },
      }),
    });
  }

  /**
   * The role EventBridge assumes to invoke the target of route `id`. Its trust
   * policy admits `events.amazonaws.com` only for a rule on this bus in this
   * account: the rule's own ARN cannot be named there, because the rule names
   * the role (a CloudFormation dependency cycle).
   */
  private targetRole(id: string): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(this, `${id}Role`, {
      description: `EventBridge invokes the target of route ${id} on ${this.node.path} with this role`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: `${this.eventBus.eventBusName}/*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        },
      }),
    });
  }

  /**
   * Sends the event's `detail` to a FIFO queue in the message group named by
   * `messageGroupId`. Without content-based deduplication on the queue,
   * EventBridge supplies the deduplication id.
   */
  public routeToFifoQueue(id: string, queue: sqs.IQueue, options: FifoQueueRouteOptions): events.Rule {
    const problems = new PropProblems();
    problems.check(queue.fifo, {
      prop: `routeToFifoQueue('${id}').queue`,
      value: queue.node.path,
      problem: 'is not a FIFO queue',
      fix: 'pass a FIFO queue, or use addRoute() with targets.SqsQueue for a standard queue',
    });
    problems.check(options.messageGroupId.length > 0, {
      prop: `routeToFifoQueue('${id}').messageGroupId`,
      value: options.messageGroupId,
      problem: 'must not be empty',
      fix: 'pass a JSON path such as $.detail.data.orderId',
    });
    problems.throwIfAny(this, 'EventRouter');
    return this.addRoute(id, {
      eventPattern: options.eventPattern,
      description: options.description,
      target: (targetProps) =>
        new targets.SqsQueue(queue, {
          ...targetProps,
          message: events.RuleTargetInput.fromEventPath('$.detail'),
          messageGroupId: options.messageGroupId,
        }),
    });
  }

  /**
   * Failed target invocations of `rule` (AWS/Events `FailedInvocations`, sum per
   * minute): deliveries that failed permanently (retries exhausted, or not
   * retriable).
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricFailedInvocations(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensionsMap: { EventBusName: this.eventBus.eventBusName, RuleName: rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Events waiting in the rule-target dead-letter queue (maximum per minute). */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}
