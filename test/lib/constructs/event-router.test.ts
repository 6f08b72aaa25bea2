import {
  CfnCondition,
  CfnParameter,
  Duration,
  Fn,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventRouter } from '../../../lib/constructs/event-router';
import { testStack } from '../../support/cdk/cdk';
import { arnInThisAccount, onBehalfOfThisAccount } from '../../support/template-arns';

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
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true, contentBasedDeduplication: true });
    router.routeToTopic('ToTopic', topic, { eventPattern: { source: ['a'] } });
    router.routeToFifoQueue('ToFifo', fifo, { eventPattern: { source: ['b'] }, messageGroupId: 'all-b-events' });
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

  it('sends to a FIFO queue in the one fixed message group given', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: 'all-b-events' } })],
    });
  });

  it('invokes the SNS target through a role only rules on this bus in this account may assume', () => {
    // routeToStateMachine uses the same role (targetRole); the FIFO queue target needs none.
    const roles = template.findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toEqual([expect.stringMatching(/^RouterToTopicRole/)]);
    for (const role of Object.values(roles)) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          // Rules on this bus only: arn:<partition>:events:<region>:<account>:rule/<bus>/*.
          Condition: onBehalfOfThisAccount(
            arnInThisAccount('events', ':rule/', { Ref: expect.stringMatching(/^RouterBus/) }, '/*'),
          ),
        },
      ]);
    }
    // No resource policy of the topic names EventBridge.
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
  });

  it("grants an encrypted topic's route exactly sns:Publish and the two KMS actions SNS needs, on that topic and key", () => {
    const { stack } = testStack();
    const router = new EventRouter(stack, 'Router');
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    router.routeToTopic('ToTopic', topic, { eventPattern: { source: ['a'] } });
    const encrypted = Template.fromStack(stack);
    encrypted.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: encrypted.getResourceId('AWS::SNS::Topic') } },
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [encrypted.getResourceId('AWS::KMS::Key'), 'Arn'] },
          },
        ],
      },
    });
    const keyPolicy = Object.values(encrypted.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy;
    expect(JSON.stringify(keyPolicy)).not.toContain('events.amazonaws.com');
    encrypted.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RouterToTopicRole'), 'Arn'] } })],
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

describe('EventRouter and FIFO message groups (a rule target sends MessageGroupId as a fixed string)', () => {
  const reason =
    "is a JSON path, but an event bus rule's SQS target sends MessageGroupId as a fixed string " +
    '(AWS::Events::Rule SqsParameters, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-events-rule-sqsparameters.html; ' +
    'aws/aws-cdk#32965): on AWS every event would share the one group named by this literal, so one stuck message would hold them all. ' +
    'Fix: set the group per message where it is sent: a producer calling SendMessage/SendMessageBatch with MessageGroupId, ' +
    'an EventBridge Pipe (its SQS target takes a JSON path, see aws-samples/serverless-patterns eventbridge-pipes-dynamic-message-group-id), ' +
    'or a Step Functions sqs:sendMessage task; or pass a plain name for one group on purpose';

  it('refuses a JSON path as routeToFifoQueue message group id, with the reason and the fix', () => {
    const { stack } = testStack();
    const router = new EventRouter(stack, 'Router');
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true, contentBasedDeduplication: true });
    expect(() =>
      router.routeToFifoQueue('PerOrder', fifo, {
        eventPattern: { source: ['x'] },
        messageGroupId: '$.detail.data.orderId',
      }),
    ).toThrow(
      `EventRouter at Test/Router: 1 invalid prop:\n  - routeToFifoQueue('PerOrder').messageGroupId = "$.detail.data.orderId": ${reason}`,
    );
  });

  it('refuses at synth a JSON-path message group on a FIFO target added through addRoute', () => {
    const { app, stack } = testStack();
    const router = new EventRouter(stack, 'Router');
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true, contentBasedDeduplication: true });
    router.addRoute('ByHand', {
      eventPattern: { source: ['x'] },
      target: (props) => new targets.SqsQueue(fifo, { ...props, messageGroupId: '$.detail.data.orderId' }),
    });
    expect(() => app.synth()).toThrow(
      `EventRouter at Test/Router: 1 invalid prop:\n  - route 'ByHand' target 'Target0' SqsParameters.MessageGroupId = "$.detail.data.orderId": ${reason}`,
    );
  });

  it('synthesizes a fixed message group through addRoute', () => {
    const { app, stack } = testStack();
    const router = new EventRouter(stack, 'Router');
    const fifo = new sqs.Queue(stack, 'Fifo', { fifo: true, contentBasedDeduplication: true });
    router.addRoute('OneGroup', {
      eventPattern: { source: ['x'] },
      target: (props) => new targets.SqsQueue(fifo, { ...props, messageGroupId: 'everything' }),
    });
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: 'everything' } })],
    });
  });

  it('refuses a FIFO queue without content-based deduplication, and an imported one whose setting synth cannot read', () => {
    const { stack } = testStack();
    const router = new EventRouter(stack, 'Router');
    const problem =
      'has no content-based deduplication (or, imported, none that synth can see); what deduplication id a rule target sends without it is not documented (unverified, see aws/aws-cdk#36498). ' +
      'Fix: create the queue here with contentBasedDeduplication: true, or send to it yourself with a MessageDeduplicationId';
    const plain = new sqs.Queue(stack, 'Plain', { fifo: true });
    expect(() => router.routeToFifoQueue('A', plain, { eventPattern: { source: ['x'] }, messageGroupId: 'g' })).toThrow(
      `EventRouter at Test/Router: 1 invalid prop:\n  - routeToFifoQueue('A').queue = "Test/Plain": ${problem}`,
    );
    const imported = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:imported.fifo',
      fifo: true,
    });
    expect(() =>
      router.routeToFifoQueue('B', imported, { eventPattern: { source: ['x'] }, messageGroupId: 'g' }),
    ).toThrow(
      `EventRouter at Test/Router: 1 invalid prop:\n  - routeToFifoQueue('B').queue = "Test/Imported": ${problem}`,
    );
  });
});
