import { Duration, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventRouter } from '../../../lib/constructs/event-router';
import { OperationsDashboard } from '../../../lib/constructs/operations-dashboard';
import { QueueWithDlq } from '../../../lib/constructs/queue-with-dlq';
import { Saga } from '../../../lib/constructs/saga';
import { testStack } from '../support/cdk';

describe('OperationsDashboard', () => {
  let template: Template;
  let operations: OperationsDashboard;

  beforeAll(() => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Orders');
    const fn = lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:us-east-1:111122223333:function:fn');
    const saga = new Saga(stack, 'Saga', { steps: [{ name: 'Do', action: fn }] });
    const router = new EventRouter(stack, 'Router');
    router.routeToStateMachine('Start', saga.stateMachine, { eventPattern: { source: ['x'] } });
    operations = new OperationsDashboard(stack, 'Operations', {
      queues: [queue],
      deadLetterQueues: [router.deadLetterQueue],
      functions: [fn],
      stateMachines: [saga],
      rules: [router],
      oldestMessageAgeThreshold: Duration.minutes(10),
    });
    template = Template.fromStack(stack);
  });

  it('creates one alarm per signal: DLQ depth, oldest age, rule-target DLQ, errors, throttles, failed and timed-out executions, failed invocations', () => {
    expect(operations.alarms).toHaveLength(8);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
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

  it('alarms on failed saga executions and failed rule deliveries at 1 or more', () => {
    for (const metric of ['ExecutionsFailed', 'FailedInvocations']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('notifies a KMS-encrypted topic that CloudWatch may publish to', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsAlarmTopic') }],
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]),
      },
    });
  });

  it('draws a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
