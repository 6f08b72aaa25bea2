import {
  ArnFormat,
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  type aws_lambda as lambda,
  RemovalPolicy,
  Stack,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  type aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
  Token,
} from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { PropProblems } from './validation';

/** A source queue with its DLQ and metrics; a `QueueWithDlq` is one. */
export interface MonitoredQueue extends IConstruct {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  metricQueueDepth(): cloudwatch.Metric;
  metricOldestMessageAge(): cloudwatch.Metric;
  metricDeadLetterQueueDepth(): cloudwatch.Metric;
}

/** A state machine to watch; a `Saga` is one. */
export interface MonitoredStateMachine extends IConstruct {
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * Rules and their failure metric; an `EventRouter` is one. The other
 * AWS/Events metrics of a rule (matched events, events sent to the DLQ) are
 * read with the same namespace and dimensions as `metricFailedInvocations`.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
export interface MonitoredRules extends IConstruct {
  readonly rules: readonly events.IRule[];
  metricFailedInvocations(rule: events.IRule): cloudwatch.Metric;
}

/**
 * Alarm thresholds. Each alarm fires when its metric is **above** the
 * threshold in one evaluation period (1 minute; 5 minutes for compensations),
 * and treats missing data as not breaching, so idle resources stay OK.
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
}

/** Properties of an {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /**
   * Queues with a DLQ: messages visible and in flight, age of the oldest
   * message and DLQ depth; alarms on DLQ depth and oldest message age.
   *
   * @default - none
   */
  readonly queues?: MonitoredQueue[];
  /**
   * Dead-letter queues that are not behind a `queues` entry (rule-target,
   * subscription and event-source failure queues): depth widget and alarm.
   *
   * @default - none
   */
  readonly deadLetterQueues?: sqs.IQueue[];
  /**
   * Functions: invocations, errors, throttles, duration p99 and concurrency
   * widgets; alarms on errors and throttles.
   *
   * @default - none
   */
  readonly functions?: lambda.IFunction[];
  /**
   * State machines (sagas): started, succeeded, failed, timed out and duration
   * widgets; alarms on failed and on timed-out executions.
   *
   * @default - none
   */
  readonly stateMachines?: MonitoredStateMachine[];
  /**
   * Event rules: matched events, failed invocations, events sent to the DLQ
   * and events that failed to reach it; alarms on the last two failures.
   *
   * @default - none
   */
  readonly rules?: MonitoredRules[];
  /**
   * Tables: read and write throttle events, consumed read and write capacity.
   * No alarms of their own: an on-demand table throttles rarely (past the
   * table's throughput quota, on a hot partition, or when traffic more than
   * doubles its previous peak within 30 minutes), and the functions' error
   * alarms catch what a throttle breaks.
   *
   * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingThrottlingOnDemand.html
   * @default - none
   */
  readonly tables?: dynamodb.ITable[];
  /**
   * Business figures for the dashboard's top row (custom metrics, e.g. EMF),
   * shown as totals over the dashboard's time range and as a graph. Labels
   * are the metric names.
   *
   * @default - no business row
   */
  readonly businessMetrics?: cloudwatch.Metric[];
  /**
   * Compensated sagas, e.g. a business metric counted by the last
   * compensation. Alarmed above `thresholds.compensations` per 5 minutes. It
   * must carry no label (a labelled metric makes a metric-math alarm).
   *
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html (an EMF record's metric can be alarmed on)
   * @default - no compensation alarm
   */
  readonly compensationMetric?: cloudwatch.Metric;
  /**
   * Orders moved to a "needs attention" state because a compensation failed
   * after all its retries (money or stock may still be held). Alarmed above
   * `thresholds.ordersNeedingAttention` per 5 minutes. It must carry no label.
   *
   * @default - no needs-attention alarm
   */
  readonly needsAttentionMetric?: cloudwatch.Metric;
  /**
   * Alarm thresholds.
   *
   * @default - see {@link OperationsAlarmThresholds}
   */
  readonly thresholds?: OperationsAlarmThresholds;
  /**
   * Where every alarm sends its notification.
   *
   * @default - a new topic encrypted with a new rotating KMS key that CloudWatch may use for this account's alarms only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An e-mail address to subscribe to the alarm topic (the recipient confirms
   * the subscription once).
   *
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Removal policy of the KMS key created for the alarm topic.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Start of every alarm name: `<prefix>-<resource>-<signal>`, where
   * `<resource>` is the watched construct's path below its stack without
   * separators (e.g. `EmailConsumerFunction`). Alarm names are physical names:
   * they must be unique in the account and region.
   *
   * @default - the stack's name
   */
  readonly alarmNamePrefix?: string;
  /**
   * The dashboard's name.
   *
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
}

/** How the operator reads each alarm, set once per signal. */
interface AlarmSpec {
  readonly signal: string;
  readonly metric: cloudwatch.Metric;
  readonly threshold: number;
  readonly description: string;
}

/**
 * A CloudWatch dashboard and the alarms an operator needs over an event-driven
 * system, drawn per component: business figures, sagas, queues and their
 * DLQs, other DLQs, functions, rules and tables. Every alarm has a stable
 * name derived from construct ids, fires when its metric is above a threshold
 * in one period, treats missing data as not breaching, and notifies one SNS
 * topic (passed in, or created KMS-encrypted, optionally with an e-mail
 * subscription).
 *
 * Every alarm watches one plain metric (no metric math, no composite alarms),
 * so engines that support only `AWS::CloudWatch::Alarm` on a single metric
 * deploy it too; the widgets may use anything.
 *
 * The inputs are interfaces the blueprint's constructs satisfy (`QueueWithDlq`,
 * `Saga`, `EventRouter`), so any construct with the same shape works.
 *
 * @example
 * new OperationsDashboard(this, 'Operations', {
 *   queues: [ordersQueue],
 *   functions: [ordersConsumer.fn],
 *   stateMachines: [saga],
 *   rules: [router],
 *   thresholds: { oldestMessageAge: Duration.minutes(10) },
 *   alarmEmail: 'oncall@example.com',
 * });
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm created, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The topic alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  private readonly action: actions.SnsAction;
  private readonly alarmNamePrefix: string;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const thresholds: Required<OperationsAlarmThresholds> = {
      deadLetterQueueMessages: t.deadLetterQueueMessages ?? 0,
      oldestMessageAge: t.oldestMessageAge ?? Duration.minutes(5),
      functionErrors: t.functionErrors ?? 0,
      functionThrottles: t.functionThrottles ?? 0,
      sagaFailures: t.sagaFailures ?? 0,
      compensations: t.compensations ?? 5,
      ordersNeedingAttention: t.ordersNeedingAttention ?? 0,
      ruleTargetFailures: t.ruleTargetFailures ?? 0,
    };
    this.alarmNamePrefix = props.alarmNamePrefix ?? Stack.of(this).stackName;
    validate(this, props, thresholds, this.alarmNamePrefix);

    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic(props.removalPolicy ?? RemovalPolicy.RETAIN);
    if (props.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.action = new actions.SnsAction(this.alarmTopic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const minute = { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM };

    // 1. Business figures: totals over the time range, then the trend.
    if (props.businessMetrics && props.businessMetrics.length > 0) {
      const labelled = props.businessMetrics.map((m) => m.with({ label: m.metricName }));
      this.section('Business', 'Orders placed, completed and compensated; duplicate deliveries suppressed.');
      this.dashboard.addWidgets(
        new cloudwatch.SingleValueWidget({
          title: 'Business figures (time range total)',
          metrics: labelled.map((m) => m.with({ statistic: cloudwatch.Stats.SUM })),
          setPeriodToTimeRange: true,
          width: 12,
          height: 4,
        }),
        new cloudwatch.GraphWidget({ title: 'Business figures', left: labelled, width: 12, height: 4 }),
      );
    }

    // 2. Sagas: outcomes and duration; alarms on failed and timed-out executions and on compensations.
    for (const machine of props.stateMachines ?? []) {
      const label = labelOf(machine);
      const sm = machine.stateMachine;
      const failed = sm.metricFailed(minute);
      const timedOut = sm.metricTimedOut(minute);
      this.alarm(label, {
        signal: 'ExecutionsFailed',
        metric: failed,
        threshold: thresholds.sagaFailures,
        description: 'executions failed (a compensation exhausted its retries). Money or stock may be held.',
      });
      this.alarm(label, {
        signal: 'ExecutionsTimedOut',
        metric: timedOut,
        threshold: thresholds.sagaFailures,
        description: 'executions timed out without compensating.',
      });
      this.section(`Saga ${label}`, 'Started, succeeded, failed and timed-out executions; execution time.');
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${label}: executions`,
          left: [
            sm.metricStarted({ ...minute, label: 'started' }),
            sm.metricSucceeded({ ...minute, label: 'succeeded' }),
          ],
          right: [failed.with({ label: 'failed' }), timedOut.with({ label: 'timed out' })],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${label}: duration (ms)`,
          left: [
            sm.metricTime({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(50), label: 'p50' }),
            sm.metricTime({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(99), label: 'p99' }),
          ],
          width: 12,
        }),
      );
    }
    if (props.compensationMetric) {
      this.alarm('Orders', {
        signal: 'Compensated',
        metric: props.compensationMetric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: thresholds.compensations,
        description: 'orders compensated in 5 minutes: more declines or failures than usual.',
      });
    }
    if (props.needsAttentionMetric) {
      this.alarm('Orders', {
        signal: 'NeedAttention',
        metric: props.needsAttentionMetric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: thresholds.ordersNeedingAttention,
        description:
          'orders need attention: a compensation failed after all its retries (e.g. a refund), so money or stock ' +
          'may still be held. Find them (order record status NEEDS_ATTENTION, OrderNeedsAttention events, the ' +
          'failed saga executions), fix the cause, re-run the failed compensation, then check the order audit.',
      });
    }

    // 3. Queues: backlog and dead letters.
    if (props.queues && props.queues.length > 0) {
      this.section('Queues', 'Messages visible and in flight, age of the oldest message, dead letters.');
    }
    for (const q of props.queues ?? []) {
      const label = labelOf(q);
      this.alarm(label, {
        signal: 'DlqDepth',
        metric: q.metricDeadLetterQueueDepth(),
        threshold: thresholds.deadLetterQueueMessages,
        description: 'messages in the dead-letter queue. Read their x-error-* attributes, fix the cause, then redrive.',
      });
      this.alarm(label, {
        signal: 'OldestMessageAge',
        metric: q.metricOldestMessageAge(),
        threshold: thresholds.oldestMessageAge.toSeconds(),
        description: 'the oldest message waited too long (seconds); consumers fall behind or fail.',
      });
      this.dashboard.addWidgets(
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
      );
    }

    // 4. Stand-alone dead-letter queues (rule targets, subscriptions, event sources).
    const dlqMetrics: cloudwatch.IMetric[] = [];
    for (const dlq of props.deadLetterQueues ?? []) {
      const label = labelOf(dlq);
      const metric = dlq.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      });
      dlqMetrics.push(metric.with({ label }));
      this.alarm(label, {
        signal: 'Depth',
        metric,
        threshold: thresholds.deadLetterQueueMessages,
        description: 'undeliverable messages parked. Inspect them, fix the cause, then redrive.',
      });
    }
    if (dlqMetrics.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Other dead-letter queues', left: dlqMetrics, width: 24 }),
      );
    }

    // 5. Functions: one graph per signal, one line per function.
    const fns = props.functions ?? [];
    if (fns.length > 0) {
      const lines = (metricOf: (fn: lambda.IFunction) => cloudwatch.Metric) =>
        fns.map((fn) => metricOf(fn).with({ label: labelOf(fn) }));
      for (const fn of fns) {
        const label = labelOf(fn);
        this.alarm(label, {
          signal: 'Errors',
          metric: fn.metricErrors(minute),
          threshold: thresholds.functionErrors,
          description: 'invocations failed. Its log, filtered by correlationId, shows which order and why.',
        });
        this.alarm(label, {
          signal: 'Throttles',
          metric: fn.metricThrottles(minute),
          threshold: thresholds.functionThrottles,
          description: 'invocations throttled (concurrency limit reached).',
        });
      }
      this.section('Functions', 'Invocations, errors, throttles, duration p99 and concurrent executions.');
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Invocations',
          left: lines((fn) => fn.metricInvocations(minute)),
          width: 8,
        }),
        new cloudwatch.GraphWidget({ title: 'Errors', left: lines((fn) => fn.metricErrors(minute)), width: 8 }),
        new cloudwatch.GraphWidget({ title: 'Throttles', left: lines((fn) => fn.metricThrottles(minute)), width: 8 }),
        new cloudwatch.GraphWidget({
          title: 'Duration p99 (ms)',
          left: lines((fn) => fn.metricDuration({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(99) })),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Concurrent executions',
          left: lines((fn) =>
            fn.metric('ConcurrentExecutions', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
          ),
          width: 12,
        }),
      );
    }

    // 6. Rules: matched, failed, dead-lettered, lost.
    const ruleLines: Record<string, cloudwatch.IMetric[]> = {
      MatchedEvents: [],
      FailedInvocations: [],
      InvocationsSentToDlq: [],
      InvocationsFailedToBeSentToDlq: [],
    };
    for (const router of props.rules ?? []) {
      for (const rule of router.rules) {
        const label = labelOf(rule);
        const failedInvocations = router.metricFailedInvocations(rule);
        const metric = (metricName: string) => sibling(failedInvocations, metricName);
        this.alarm(label, {
          signal: 'FailedInvocations',
          metric: failedInvocations,
          threshold: thresholds.ruleTargetFailures,
          description:
            'EventBridge could not deliver to the target after its retries; the events are in the rule-target DLQ.',
        });
        this.alarm(label, {
          signal: 'InvocationsFailedToBeSentToDlq',
          metric: metric('InvocationsFailedToBeSentToDlq'),
          threshold: thresholds.ruleTargetFailures,
          description: 'events neither delivered nor dead-lettered: they are lost. Check the DLQ policy and key.',
        });
        for (const name of Object.keys(ruleLines)) ruleLines[name].push(metric(name).with({ label }));
      }
    }
    if (ruleLines.MatchedEvents.length > 0) {
      this.section('Rules', 'Matched events, failed target invocations, events dead-lettered and events lost.');
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Matched events', left: ruleLines.MatchedEvents, width: 6 }),
        new cloudwatch.GraphWidget({ title: 'Failed invocations', left: ruleLines.FailedInvocations, width: 6 }),
        new cloudwatch.GraphWidget({ title: "DLQ'd (sent to DLQ)", left: ruleLines.InvocationsSentToDlq, width: 6 }),
        new cloudwatch.GraphWidget({
          title: 'Lost (failed to reach DLQ)',
          left: ruleLines.InvocationsFailedToBeSentToDlq,
          width: 6,
        }),
      );
    }

    // 7. Tables: throttles and consumed capacity.
    const tables = props.tables ?? [];
    if (tables.length > 0) {
      const lines = (metricName: string, what: string) =>
        tables.map((table) => table.metric(metricName, { ...minute, label: `${labelOf(table)} ${what}` }));
      this.section('Tables', 'Throttle events and consumed capacity units.');
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Throttle events',
          left: [...lines('ReadThrottleEvents', 'read'), ...lines('WriteThrottleEvents', 'write')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Consumed capacity units',
          left: lines('ConsumedReadCapacityUnits', 'read'),
          right: lines('ConsumedWriteCapacityUnits', 'write'),
          width: 12,
        }),
      );
    }

    // 8. Every alarm at a glance.
    if (this.alarms.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 8 }),
      );
    }
  }

  /**
   * One alarm on one plain metric, named `<prefix>-<label>-<signal>`. The
   * metric carries no label, so the alarm is a single-metric alarm, never
   * metric math.
   */
  private alarm(label: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${label}${spec.signal}`, {
      alarmName: `${this.alarmNamePrefix}-${label}-${spec.signal}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${label}: ${spec.description} Fires above ${spec.threshold} in a ${spec.metric.period.toMinutes()}-minute period.`,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** A full-width heading that says what the widgets below it show. */
  private section(title: string, description: string): void {
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `### ${title}\n${description}`, width: 24, height: 2 }),
    );
  }

  private createAlarmTopic(removalPolicy: RemovalPolicy): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm topic of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic, on behalf of an alarm of
    // this account and region only (confused-deputy protection on the key and the topic alike).
    const stack = Stack.of(this);
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        // What SNS's key-management guide asks for an AWS service publishing to an encrypted topic:
        // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    return topic;
  }
}

/** Every invalid prop at once. */
function validate(
  scope: Construct,
  props: OperationsDashboardProps,
  thresholds: Required<OperationsAlarmThresholds>,
  alarmNamePrefix: string,
): void {
  const problems = new PropProblems();
  const age = thresholds.oldestMessageAge;
  problems.check(age.isUnresolved() || age.toSeconds() >= 60, {
    prop: 'thresholds.oldestMessageAge',
    value: age,
    problem: 'must be at least 60 seconds (SQS publishes the metric once a minute)',
    fix: 'use e.g. Duration.minutes(5)',
  });
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
  problems.check(!Token.isUnresolved(alarmNamePrefix) && /^[A-Za-z0-9._-]{1,100}$/.test(alarmNamePrefix), {
    prop: 'alarmNamePrefix',
    value: alarmNamePrefix,
    problem: 'must be 1 to 100 letters, digits, ".", "_" or "-", known at synth time (alarm names are stable names)',
    fix: 'pass a literal such as "OrderFlow"',
  });
  problems.check(props.alarmEmail === undefined || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail), {
    prop: 'alarmEmail',
    value: props.alarmEmail,
    problem: 'must be one e-mail address',
    fix: 'use e.g. "oncall@example.com"',
  });
  problems.check(props.compensationMetric?.label === undefined, {
    prop: 'compensationMetric',
    value: props.compensationMetric?.label,
    problem: 'must carry no label (CloudWatch would render the alarm as metric math)',
    fix: 'pass the metric without `label`',
  });
  problems.check(props.needsAttentionMetric?.label === undefined, {
    prop: 'needsAttentionMetric',
    value: props.needsAttentionMetric?.label,
    problem: 'must carry no label (CloudWatch would render the alarm as metric math)',
    fix: 'pass the metric without `label`',
  });
  problems.throwIfAny(scope, 'OperationsDashboard');
}

/** Another metric of the same namespace and dimensions as `metric` (e.g. a rule's other AWS/Events metrics). */
function sibling(metric: cloudwatch.Metric, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metric.namespace,
    metricName,
    dimensionsMap: metric.dimensions as cloudwatch.DimensionsMap | undefined,
    statistic: metric.statistic,
    period: metric.period,
  });
}

/** A short, stable label from a construct's path below its stack: `Orders/Consumer/Function` → `OrdersConsumerFunction`. */
function labelOf(construct: IConstruct): string {
  const stackPath = Stack.of(construct).node.path;
  const path = construct.node.path.startsWith(`${stackPath}/`)
    ? construct.node.path.slice(stackPath.length + 1)
    : construct.node.path;
  return path
    .split('/')
    .map((part) => part.replace(/[^A-Za-z0-9]/g, ''))
    .join('');
}
