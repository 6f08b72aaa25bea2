import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueWithDlq } from '../../../lib/constructs/queue-with-dlq';
import { testStack } from '../support/cdk';

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

  it('gives a standard queue a standard DLQ with 14 days of retention and the default maxReceiveCount 3', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 45,
      FifoQueue: Match.absent(),
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: Match.anyValue() },
    });
    template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { MessageRetentionPeriod: 14 * 24 * 3600, RedriveAllowPolicy: Match.anyValue() },
      2,
    );
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
        '  - maxReceiveCount = 0: must be an integer from 1 to 1000. Fix: use 3 to 5 for a consumer that retries transient faults\n' +
        '  - contentBasedDeduplication = true: applies to FIFO queues only. Fix: set fifo: true or drop contentBasedDeduplication',
    );
  });
});
