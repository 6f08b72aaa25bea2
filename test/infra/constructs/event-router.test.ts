import { CfnCondition, CfnParameter, Duration, Fn, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventRouter } from '../../../lib/constructs/event-router';
import { testStack } from '../support/cdk';

describe('EventRouter', () => {
  let template: Template;
  let router: EventRouter;

  beforeAll(() => {
    const { stack } = testStack();
    const create = new CfnParameter(stack, 'CreateEventArchive', { allowedValues: ['true', 'false'], default: 'true' });
    const archiveCondition = new CfnCondition(stack, 'CreateEventArchiveCondition', {
      expression: Fn.conditionEquals(create.valueAsString, 'true'),
    });
    router = new EventRouter(stack, 'Router', { archiveCondition });
    const topic = new sns.Topic(stack, 'Topic');
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true });
    router.routeToTopic('ToTopic', topic, { eventPattern: { source: ['a'] } });
    router.routeToFifoQueue('ToFifo', fifo, {
      eventPattern: { source: ['b'] },
      messageGroupId: '$.detail.data.orderId',
    });
    template = Template.fromStack(stack);
  });

  it('archives every event for 30 days, under the given condition, with a literal name', () => {
    template.hasResource('AWS::Events::Archive', {
      Condition: 'CreateEventArchiveCondition',
      Properties: Match.objectLike({
        ArchiveName: router.archiveName,
        RetentionDays: 30,
        EventPattern: { source: [{ prefix: '' }] },
      }),
    });
    expect(router.archiveName).toMatch(/^Test-Router-[0-9A-F]{8}-archive$/);
  });

  it('gives every target a retry policy (8 attempts, 2 hours) and the shared DLQ', () => {
    const dlqId = template.getResourceId('AWS::SQS::Queue', {
      Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
    });
    template.allResourcesProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          InputPath: '$.detail',
        }),
      ],
    });
  });

  it('sends to a FIFO queue in the message group named by the JSON path', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: '$.detail.data.orderId' } })],
    });
  });

  it('measures FailedInvocations per rule and bus', () => {
    const metric = router.metricFailedInvocations(router.rules[0]);
    expect(metric.namespace).toBe('AWS/Events');
    expect(metric.metricName).toBe('FailedInvocations');
    expect(Object.keys(metric.dimensions ?? {}).sort()).toEqual(['EventBusName', 'RuleName']);
  });

  it('refuses a standard queue as a FIFO route and invalid retry settings, all in one error each', () => {
    const { stack } = testStack();
    expect(() => new EventRouter(stack, 'Bad', { retryAttempts: 200, maxEventAge: Duration.seconds(10) })).toThrow(
      'EventRouter at Test/Bad: 2 invalid props:\n' +
        '  - retryAttempts = 200: must be an integer from 0 to 185. Fix: use a small number such as 8; maxEventAge bounds the total time anyway\n' +
        '  - maxEventAge = 10 s: must be from 60 seconds to 24 hours. Fix: use e.g. Duration.hours(2)',
    );
    const ok = new EventRouter(stack, 'Ok');
    const standard = new sqs.Queue(stack, 'Standard');
    expect(() => ok.routeToFifoQueue('X', standard, { eventPattern: { source: ['x'] }, messageGroupId: 'g' })).toThrow(
      /routeToFifoQueue\('X'\)\.queue = "Test\/Standard": is not a FIFO queue/,
    );
  });
});
