import {
  type aws_cloudwatch as cloudwatch,
  type aws_dynamodb as dynamodb,
  type aws_lambda as lambda,
  type RemovalPolicy,
  Stack,
  type aws_sns as sns,
  type aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
  Token,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PropProblems } from '../constructs/validation';
import { AlarmFactory } from './alarm-factory';
import { AlarmTopic } from './alarm-topic';
import { MonitoringDashboard } from './dashboard';
import { monitorBusiness } from './monitors/business';
import { monitorDeadLetterQueues } from './monitors/dead-letter-queues';
import { monitorFunctions } from './monitors/functions';
import { type MonitoredQueue, monitorQueues } from './monitors/queues';
import { type MonitoredRules, monitorRules } from './monitors/rules';
import { type MonitoredStateMachine, monitorStateMachines } from './monitors/state-machines';
import { type MonitoredStreamConsumer, monitorStreamConsumers } from './monitors/stream-consumers';
import { monitorTables } from './monitors/tables';
import { severities } from './severity';
import { type AlarmThresholds, checkThresholds, type OperationsAlarmThresholds, resolveThresholds } from './thresholds';

/** Properties of an {@link OperationsMonitoring}. */
export interface OperationsMonitoringProps {
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
   * Functions fed by a stream (e.g. `StreamConsumer`s): iterator age widget and a warning alarm above
   * `thresholds.streamIteratorAge`. Their errors and throttles are watched only if they are in `functions` too.
   *
   * @default - none
   */
  readonly streamConsumers?: MonitoredStreamConsumer[];
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
   * Tables: read and write throttle events, consumed read and write capacity; no alarms (see `monitorTables`).
   *
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
   * Orders refused because their id was reused with different content (the
   * first accepted order stands). Alarmed above 0 per 5 minutes: each one is a
   * customer's order refused. It must carry no label.
   *
   * @default - no order-conflict alarm
   */
  readonly orderConflictsMetric?: cloudwatch.Metric;
  /**
   * Alarm thresholds.
   *
   * @default - see {@link OperationsAlarmThresholds}
   */
  readonly thresholds?: OperationsAlarmThresholds;
  /**
   * Where every alarm sends its notification.
   *
   * @default - a new {@link AlarmTopic}: encrypted with a new rotating KMS key that CloudWatch may use for this account's alarms only
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

/**
 * The alarms and the dashboard an operator needs over an event-driven system, in layers: one monitor per kind
 * of resource (`monitors/`) turns the metrics the watched constructs expose into alarms and dashboard sections;
 * thresholds and severities (`thresholds.ts`, `severity.ts`) decide when an alarm fires and whom it notifies;
 * an {@link AlarmTopic} receives every notification; a {@link MonitoringDashboard} only lays the sections out.
 *
 * Dashboard, top to bottom: business figures, sagas, queues and their DLQs, other DLQs, stream consumers,
 * functions, rules, tables, the state of every alarm. Each alarm is scoped under the watched construct
 * (`<this>/<watched path>/<kind>`, see {@link AlarmFactory}) and watches one plain metric (no metric math, no
 * composite alarms), so engines that support only `AWS::CloudWatch::Alarm` on a single metric deploy it too.
 *
 * The inputs are interfaces the blueprint's constructs satisfy (`QueueWithDlq`, `Saga`, `EventRouter`,
 * `StreamConsumer`), so any construct with the same shape works.
 *
 * @example
 * new OperationsMonitoring(this, 'Operations', {
 *   queues: [ordersQueue],
 *   functions: [ordersConsumer.fn],
 *   stateMachines: [saga],
 *   rules: [router],
 *   thresholds: { oldestMessageAge: Duration.minutes(10) },
 *   alarmEmail: 'oncall@example.com',
 * });
 */
export class OperationsMonitoring extends Construct {
  /** The dashboard. */
  public readonly dashboard: MonitoringDashboard;
  /** Every alarm created, in creation order. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The topic alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const thresholds = resolveThresholds(props.thresholds);
    const alarmNamePrefix = props.alarmNamePrefix ?? Stack.of(this).stackName;
    validate(this, props, thresholds, alarmNamePrefix);

    this.alarmTopic = props.alarmTopic ?? new AlarmTopic(this, 'AlarmTopic', { removalPolicy: props.removalPolicy });
    if (props.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const alarms = new AlarmFactory(this, {
      alarmNamePrefix,
      severities: severities({ critical: this.alarmTopic }),
    });
    this.dashboard = new MonitoringDashboard(this, 'Dashboard', { dashboardName: props.dashboardName });

    // Monitors in the order their alarms are listed (the alarm status widget keeps it) ...
    const sagas = monitorStateMachines(alarms, props.stateMachines ?? [], thresholds);
    const business = monitorBusiness(
      alarms,
      {
        metrics: props.businessMetrics,
        compensations: props.compensationMetric,
        ordersNeedingAttention: props.needsAttentionMetric,
        orderConflicts: props.orderConflictsMetric,
      },
      thresholds,
    );
    const queues = monitorQueues(alarms, props.queues ?? [], thresholds);
    const deadLetterQueues = monitorDeadLetterQueues(alarms, props.deadLetterQueues ?? [], thresholds);
    const functions = monitorFunctions(alarms, props.functions ?? [], thresholds);
    const rules = monitorRules(alarms, props.rules ?? [], thresholds);
    const streams = monitorStreamConsumers(alarms, props.streamConsumers ?? [], thresholds);
    const tables = monitorTables(props.tables ?? []);

    // ... and laid out top to bottom from the business figures down.
    for (const monitor of [business, sagas, queues, deadLetterQueues, streams, functions, rules, tables]) {
      this.dashboard.addSections(monitor.sections);
    }
    this.alarms = alarms.alarms;
    this.dashboard.addAlarmStatus(this.alarms);
  }
}

/** Every invalid prop at once. */
function validate(
  scope: Construct,
  props: OperationsMonitoringProps,
  thresholds: AlarmThresholds,
  alarmNamePrefix: string,
): void {
  const problems = new PropProblems();
  checkThresholds(problems, thresholds);
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
  for (const prop of ['compensationMetric', 'needsAttentionMetric', 'orderConflictsMetric'] as const) {
    problems.check(props[prop]?.label === undefined, {
      prop,
      value: props[prop]?.label,
      problem: 'must carry no label (CloudWatch would render the alarm as metric math)',
      fix: 'pass the metric without `label`',
    });
  }
  problems.throwIfAny(scope, 'OperationsMonitoring');
}
