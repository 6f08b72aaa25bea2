import { type CfnElement, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueWithDlq } from '../../../lib/constructs/queue-with-dlq';
import { testStack } from '../../support/cdk/cdk';

describe('QueueWithDlq', () => {
  let template: Template;
  let fifo: QueueWithDlq;

  beforeAll(() => {
    const { stack } = testStack();
    new QueueWithDlq(stack, 'Standard', { visibilityTimeout: Duration.seconds(45) });
    fifo = new QueueWithDlq(stack, 'Ordered', { fifo: true, maxReceiveCount: 5 });
    template = Template.fromStack(stack);
  });

  it('forces a FIFO dead-letter queue behind a FIFO queue', () => {
    const dlqId = template.getResourceId('AWS::SQS::Queue', {
      Properties: Match.objectLike({ RedriveAllowPolicy: Match.anyValue(), FifoQueue: true }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(fifo.fifo).toBe(true);
  });

  it('gives a standard queue a standard DLQ with 14 days of retention and the default maxReceiveCount 5', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 45,
      FifoQueue: Match.absent(),
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { MessageRetentionPeriod: 14 * 24 * 3600, RedriveAllowPolicy: Match.anyValue() },
      2,
    );
  });

  it("sets the source queues' retention explicitly (4 days by default), shorter than their DLQs' 14 days", () => {
    const sources = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    expect(Object.keys(sources)).toHaveLength(2);
    for (const queue of Object.values(sources)) expect(queue.Properties.MessageRetentionPeriod).toBe(4 * 24 * 3600);
    expect(fifo.retentionPeriod.toDays()).toBe(4);
    expect(fifo.deadLetterRetentionPeriod.toDays()).toBe(14);
  });

  it('takes the retention of both queues from its props', () => {
    const { stack } = testStack();
    const queue = new QueueWithDlq(stack, 'Short', {
      retentionPeriod: Duration.hours(1),
      deadLetterRetentionPeriod: Duration.days(7),
    });
    const json = Template.fromStack(stack).toJSON();
    expect(json.Resources[stack.getLogicalId(queue.queue.node.defaultChild as CfnElement)].Properties).toMatchObject({
      MessageRetentionPeriod: 3600,
    });
    expect(
      json.Resources[stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as CfnElement)].Properties,
    ).toMatchObject({ MessageRetentionPeriod: 7 * 24 * 3600 });
  });

  it("refuses a standard queue's DLQ retention that is not longer than the source's, and retention out of range", () => {
    const { stack } = testStack();
    expect(
      () =>
        new QueueWithDlq(stack, 'Equal', {
          retentionPeriod: Duration.days(14),
          deadLetterRetentionPeriod: Duration.days(14),
        }),
    ).toThrow(
      'QueueWithDlq at Test/Equal: 1 invalid prop:\n' +
        "  - deadLetterRetentionPeriod = 1209600 s: must be longer than retentionPeriod (1209600 s): SQS expires a standard queue's " +
        'message by its original enqueue time, so one that waited in the source queue would leave the DLQ early. ' +
        'Fix: shorten retentionPeriod, or raise deadLetterRetentionPeriod (up to Duration.days(14))',
    );
    expect(
      () =>
        new QueueWithDlq(stack, 'Range', {
          retentionPeriod: Duration.seconds(30),
          deadLetterRetentionPeriod: Duration.days(15),
        }),
    ).toThrow(
      'QueueWithDlq at Test/Range: 2 invalid props:\n' +
        '  - retentionPeriod = 30 s: must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days). Fix: use e.g. Duration.days(4)\n' +
        '  - deadLetterRetentionPeriod = 1296000 s: must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days). Fix: use e.g. Duration.days(14)',
    );
    // A FIFO queue's message gets a new enqueue time in its DLQ, so equal retention is fine there.
    const ordered = new QueueWithDlq(stack, 'OrderedEqual', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      deadLetterRetentionPeriod: Duration.days(14),
    });
    expect(ordered.deadLetterRetentionPeriod.toDays()).toBe(14);
  });

  it("restricts each DLQ's redrive allow policy to its own source queue", () => {
    const queues = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    for (const queue of Object.values(queues)) {
      const name = queue.Properties.QueueName as string;
      const dlqId = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      const allow = template.toJSON().Resources[dlqId].Properties.RedriveAllowPolicy;
      expect(allow.redrivePermission).toBe('byQueue');
      expect(JSON.stringify(allow.sourceQueueArns)).toContain(`:${name}"`);
    }
  });

  it('encrypts both queues with SSE-SQS and denies non-TLS access to both', () => {
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 4);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('exposes metrics for DLQ depth and oldest message age', () => {
    expect(fifo.metricDeadLetterQueueDepth().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(fifo.metricOldestMessageAge().metricName).toBe('ApproximateAgeOfOldestMessage');
  });

  it('reports every invalid prop in one error', () => {
    const { stack } = testStack();
    expect(() => new QueueWithDlq(stack, 'Bad', { maxReceiveCount: 0, contentBasedDeduplication: true })).toThrow(
      'QueueWithDlq at Test/Bad: 2 invalid props:\n' +
        "  - maxReceiveCount = 0: must be an integer from 1 to 1000. Fix: use at least 5 for a Lambda consumer (AWS's advice), fewer only where a message must leave sooner\n" +
        '  - contentBasedDeduplication = true: applies to FIFO queues only. Fix: set fifo: true or drop contentBasedDeduplication',
    );
  });
});
