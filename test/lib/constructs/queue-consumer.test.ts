import { Duration, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueConsumer } from '../../../lib/constructs/queue-consumer';
import { QueueWithDlq } from '../../../lib/constructs/queue-with-dlq';
import { NOOP_ENTRY, PROJECT_FUNCTION_PROPERTIES, testStack } from '../../support/cdk/cdk';

describe('QueueConsumer', () => {
  let template: Template;

  beforeAll(() => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Orders', { visibilityTimeout: Duration.seconds(60) });
    new QueueConsumer(stack, 'Consumer', {
      queue,
      entry: NOOP_ENTRY,
      timeout: Duration.seconds(10),
      grantSendToDeadLetterQueue: true,
      environment: { DEAD_LETTER_QUEUE_URL: queue.deadLetterQueue.queueUrl },
    });
    template = Template.fromStack(stack);
  });

  it('throws the documented message when the visibility timeout is below 6 × the function timeout', () => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Orders');
    expect(
      () => new QueueConsumer(stack, 'Consumer', { queue, entry: NOOP_ENTRY, timeout: Duration.seconds(10) }),
    ).toThrow(
      'QueueConsumer at Test/Consumer: 1 invalid prop:\n' +
        "  - timeout = 10 s: needs a queue visibility timeout of at least 60 s (6 × timeout + maxBatchingWindow 0 s), but the queue's visibility timeout is 30 s. " +
        "Fix: set the queue's visibilityTimeout to at least 60 s, or lower timeout to at most 5 s",
    );
  });

  it('counts the batching window in the rule and checks a plain sqs.Queue too', () => {
    const { stack } = testStack();
    const queue = new sqs.Queue(stack, 'Plain', { visibilityTimeout: Duration.seconds(60) });
    expect(
      () =>
        new QueueConsumer(stack, 'Consumer', {
          queue,
          entry: NOOP_ENTRY,
          timeout: Duration.seconds(10),
          maxBatchingWindow: Duration.seconds(5),
        }),
    ).toThrow(/at least 65 s \(6 × timeout \+ maxBatchingWindow 5 s\), but the queue's visibility timeout is 60 s/);
  });

  it('refuses a reserved concurrency below the maximum concurrency of its event source', () => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Orders');
    expect(
      () =>
        new QueueConsumer(stack, 'Consumer', {
          queue,
          entry: NOOP_ENTRY,
          maxConcurrency: 5,
          functionProps: { reservedConcurrentExecutions: 2 },
        }),
    ).toThrow(
      'QueueConsumer at Test/Consumer: 1 invalid prop:\n' +
        '  - functionProps.reservedConcurrentExecutions = 2: is below maxConcurrency 5: the event source would start ' +
        'invocations that Lambda throttles, and each throttled batch counts as a receive towards the DLQ. ' +
        'Fix: reserve at least 5, or lower maxConcurrency to at most 2',
    );
  });

  it('accepts a reserved concurrency equal to the maximum concurrency', () => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Orders');
    new QueueConsumer(stack, 'Consumer', {
      queue,
      entry: NOOP_ENTRY,
      maxConcurrency: 5,
      functionProps: { reservedConcurrentExecutions: 5 },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 5 });
  });

  it('warns instead when the queue is imported and its visibility timeout unknown', () => {
    const { stack } = testStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:111122223333:imported');
    new QueueConsumer(stack, 'Consumer', { queue, entry: NOOP_ENTRY });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Consumer',
      Match.stringLikeRegexp('visibility timeout of Test/Imported is unknown'),
    );
  });

  it('wires the SQS event source with partial batch responses, batch size 10 and max concurrency 5', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('runs Node.js 22 on arm64 with 256 MB, X-Ray tracing and its own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...PROJECT_FUNCTION_PROPERTIES,
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('uses no AWS-managed policy for logging', () => {
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  // npm run verify:access found GetQueueAttributes and GetQueueUrl on the DLQ, which parking never calls (issue 12).
  it('parks with sqs:SendMessage alone on the DLQ', () => {
    const dlqId = template.getResourceId('AWS::SQS::Queue', {
      Properties: Match.objectLike({ RedriveAllowPolicy: Match.anyValue() }),
    });
    const onDlq = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [dlqId, 'Arn'] }),
      ),
    );
    expect(onDlq.map((s) => s.Action)).toEqual(['sqs:SendMessage']);
  });
});
