import { aws_cloudwatch as cloudwatch, Duration, aws_dynamodb as dynamodb, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventRouter } from '../../../lib/constructs/event-router';
import { QueueWithDlq } from '../../../lib/constructs/queue-with-dlq';
import { Saga } from '../../../lib/constructs/saga';
import { StreamConsumer } from '../../../lib/constructs/stream-consumer';
import { OperationsMonitoring, type OperationsMonitoringProps } from '../../../lib/monitoring/operations-monitoring';
import { NOOP_ENTRY, testStack } from '../../support/cdk/cdk';
import { arnInThisAccount, onBehalfOfThisAccount } from '../../support/template-arns';

/** The dashboard's body as one string (its `Fn::Join` parts, tokens included). */
function dashboardBody(template: Template): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  return JSON.stringify(dashboard.Properties.DashboardBody);
}

/** A stack with one of each watched construct and an OperationsMonitoring over them. */
function dashboardStack(overrides: Partial<OperationsMonitoringProps> = {}) {
  const { stack } = testStack();
  const queue = new QueueWithDlq(stack, 'Orders');
  const fn = lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:us-east-1:111122223333:function:fn');
  const saga = new Saga(stack, 'Saga', { steps: [{ name: 'Do', action: fn }] });
  const router = new EventRouter(stack, 'Router');
  router.routeToStateMachine('Start', saga.stateMachine, { eventPattern: { source: ['x'] } });
  const events = new dynamodb.Table(stack, 'Events', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_IMAGE,
  });
  const projector = new StreamConsumer(stack, 'Projector', {
    entry: NOOP_ENTRY,
    timeout: Duration.seconds(10),
    table: events,
  });
  const compensated = new cloudwatch.Metric({ namespace: 'Shop', metricName: 'OrdersCompensated' });
  const operations = new OperationsMonitoring(stack, 'Operations', {
    queues: [queue],
    streamConsumers: [projector],
    deadLetterQueues: [router.deadLetterQueue],
    functions: [fn],
    stateMachines: [saga],
    rules: [router],
    businessMetrics: [new cloudwatch.Metric({ namespace: 'Shop', metricName: 'OrdersPlaced' }), compensated],
    compensationMetric: compensated,
    thresholds: { oldestMessageAge: Duration.minutes(10), compensations: 7 },
    ...overrides,
  });
  return { stack, operations, template: Template.fromStack(stack) };
}

describe('OperationsMonitoring', () => {
  let template: Template;
  let operations: OperationsMonitoring;

  beforeAll(() => {
    ({ template, operations } = dashboardStack());
  });

  it('creates one alarm per signal, each with a stable name of prefix, construct path and signal', () => {
    expect(operations.alarms).toHaveLength(11);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(names.sort()).toEqual(
      [
        'Test-Orders-DlqDepth',
        'Test-Orders-OldestMessageAge',
        'Test-RouterDeadLetterQueue-Depth',
        'Test-Fn-Errors',
        'Test-Fn-Throttles',
        'Test-Saga-ExecutionsFailed',
        'Test-Saga-ExecutionsTimedOut',
        'Test-Orders-Compensated',
        'Test-RouterStart-FailedInvocations',
        'Test-RouterStart-InvocationsFailedToBeSentToDlq',
        'Test-Projector-IteratorAge',
      ].sort(),
    );
  });

  it('scopes every alarm under the watched construct: <monitoring>/<its path below the stack>/<kind>', () => {
    expect(operations.alarms.map((a) => a.node.path)).toEqual([
      'Test/Operations/Saga/ExecutionsFailed',
      'Test/Operations/Saga/ExecutionsTimedOut',
      'Test/Operations/Orders/Compensated',
      'Test/Operations/Orders/DlqDepth',
      'Test/Operations/Orders/OldestMessageAge',
      'Test/Operations/Router/DeadLetterQueue/Depth',
      'Test/Operations/Fn/Errors',
      'Test/Operations/Fn/Throttles',
      'Test/Operations/Router/Start/FailedInvocations',
      'Test/Operations/Router/Start/InvocationsFailedToBeSentToDlq',
      'Test/Operations/Projector/IteratorAge',
    ]);
  });

  it('keeps two watched constructs with the same id apart (each consumer has a `Function`)', () => {
    const { stack } = testStack();
    const fn = (parent: string) =>
      lambda.Function.fromFunctionArn(
        new Construct(stack, parent),
        'Function',
        `arn:aws:lambda:us-east-1:111122223333:function:${parent}`,
      );
    const operations = new OperationsMonitoring(stack, 'Operations', { functions: [fn('Email'), fn('Loyalty')] });
    expect(operations.alarms.map((a) => [a.node.path, (a.node.defaultChild as cloudwatch.CfnAlarm).alarmName])).toEqual(
      [
        ['Test/Operations/Email/Function/Errors', 'Test-EmailFunction-Errors'],
        ['Test/Operations/Email/Function/Throttles', 'Test-EmailFunction-Throttles'],
        ['Test/Operations/Loyalty/Function/Errors', 'Test-LoyaltyFunction-Errors'],
        ['Test/Operations/Loyalty/Function/Throttles', 'Test-LoyaltyFunction-Throttles'],
      ],
    );
  });

  it('alarms on a DLQ holding any message within one minute', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Period: 60,
    });
  });

  it('alarms on the oldest message age at the configured threshold', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 600,
    });
  });

  it('alarms on failed saga executions, failed rule deliveries and lost rule events above 0', () => {
    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'FailedInvocations',
      'InvocationsFailedToBeSentToDlq',
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('alarms on compensations per 5 minutes above the configured threshold, on the plain metric', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-Orders-Compensated',
      Namespace: 'Shop',
      MetricName: 'OrdersCompensated',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 7,
    });
  });

  it('makes every alarm a single-metric alarm (no metric math), which every engine deploys', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.absent(),
      MetricName: Match.anyValue(),
    });
  });

  it('notifies a KMS-encrypted topic that CloudWatch may publish to', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsAlarmTopic') }],
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    // On both the key and the topic, only on behalf of an alarm of this account and region.
    const fromThisAccountsAlarms = onBehalfOfThisAccount(arnInThisAccount('cloudwatch', ':alarm:*'));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: fromThisAccountsAlarms,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: fromThisAccountsAlarms,
          }),
        ]),
      },
    });
  });

  it('subscribes no one by default, and the given e-mail address when asked', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = dashboardStack({ alarmEmail: 'oncall@example.com' }).template;
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('draws one dashboard with the business figures, rule and function rows', () => {
    const body = dashboardBody(template);
    for (const text of [
      'OrdersPlaced',
      'OrdersCompensated',
      'InvocationsSentToDlq',
      'MatchedEvents',
      'ConcurrentExecutions',
    ]) {
      expect(body).toContain(text);
    }
  });

  it('lays the sections out top to bottom: business, sagas, queues, other DLQs, stream consumers, functions, rules, alarms', () => {
    const body = dashboardBody(template);
    const positions = [
      '### Business',
      '### Saga Saga',
      '### Queues',
      'Other dead-letter queues',
      '### Stream consumers',
      '### Functions',
      '### Rules',
      'Alarms',
    ].map((text) => body.indexOf(text));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('reports every invalid prop at once', () => {
    expect(() =>
      dashboardStack({
        thresholds: { oldestMessageAge: Duration.seconds(30), functionErrors: -1 },
        alarmEmail: 'oncall',
        compensationMetric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'X', label: 'x' }),
      }),
    ).toThrow(
      [
        'OperationsMonitoring at Test/Operations: 4 invalid props:',
        '  - thresholds.oldestMessageAge = 30 s: must be at least 60 seconds (SQS publishes the metric once a minute). Fix: use e.g. Duration.minutes(5)',
        '  - thresholds.functionErrors = -1: must be a number of 0 or more. Fix: use 0 to alarm on the first occurrence',
        '  - alarmEmail = "oncall": must be one e-mail address. Fix: use e.g. "oncall@example.com"',
        '  - compensationMetric = "x": must carry no label (CloudWatch would render the alarm as metric math). Fix: pass the metric without `label`',
      ].join('\n'),
    );
  });
});
