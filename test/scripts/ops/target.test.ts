import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STACK_OUTPUT_KEYS } from '../../../lambdas/contracts/stack-outputs';
import { connectOps, queueRefs } from '../../../scripts/lib/ops/target';

const q = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;

describe('queueRefs', () => {
  it('labels output queues by output key and the rest by logical id, each queue once, DLQs by name', () => {
    const refs = queueRefs(
      {
        EmailQueueUrl: q('OrderFlow-EmailQueue-1'),
        EmailDlqUrl: q('OrderFlow-EmailDlq-1'),
        OrderTimelineQueueUrl: q('OrderFlow-Timeline-1.fifo'),
        FanoutTopicArn: 'arn:aws:sns:eu-west-1:123456789012:topic',
        MaxReceiveCount: '3',
      },
      [
        // The same queue as an output, spelled with another host (engines do that): not listed twice.
        { logicalId: 'EmailQueueD178CC6A', url: 'http://localhost:4566/123456789012/OrderFlow-EmailQueue-1' },
        { logicalId: 'FanoutEmailDeadLetterQueue91ED53C5', url: q('OrderFlow-FanoutEmailDlq-1') },
        { logicalId: 'EventRelayFailureQueueD8805961', url: q('OrderFlow-EventRelayFailure-1') },
      ],
    );
    expect(refs).toEqual([
      { label: 'EmailQueue', url: q('OrderFlow-EmailQueue-1'), role: 'queue' },
      { label: 'EmailDlq', url: q('OrderFlow-EmailDlq-1'), role: 'dlq' },
      { label: 'OrderTimelineQueue', url: q('OrderFlow-Timeline-1.fifo'), role: 'queue' },
      { label: 'FanoutEmailDeadLetterQueue', url: q('OrderFlow-FanoutEmailDlq-1'), role: 'dlq' },
      { label: 'EventRelayFailureQueue', url: q('OrderFlow-EventRelayFailure-1'), role: 'dlq' },
    ]);
  });
});

describe('connectOps against AWS (--target aws)', () => {
  const cfnMock = mockClient(CloudFormationClient);
  beforeEach(() => {
    cfnMock.reset();
    vi.stubEnv('AWS_REGION', 'eu-west-1');
  });
  afterEach(() => vi.unstubAllEnvs());

  /** Every output the contract requires, as a placeholder that is not a queue URL, overridden by `outputs`. */
  const complete = (outputs: Record<string, string>) => ({
    ...Object.fromEntries(STACK_OUTPUT_KEYS.map((key) => [key, `placeholder-${key}`])),
    ...outputs,
  });
  const stack = (outputs: Record<string, string>) =>
    cfnMock.on(DescribeStacksCommand, { StackName: 'OrderFlow' }).resolves({
      Stacks: [
        {
          StackName: 'OrderFlow',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });

  it('reads the outputs with DescribeStacks and every stack queue with ListStackResources, page by page', async () => {
    stack(
      complete({
        StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Saga',
        EmailQueueUrl: q('email'),
      }),
    );
    cfnMock
      .on(ListStackResourcesCommand)
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'EmailQueueD178CC6A',
            PhysicalResourceId: q('email'),
            ResourceType: 'AWS::SQS::Queue',
            LastUpdatedTimestamp: new Date(),
            ResourceStatus: 'CREATE_COMPLETE',
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'ProjectorFailureQueue882061A7',
            PhysicalResourceId: q('projector-failures'),
            ResourceType: 'AWS::SQS::Queue',
            LastUpdatedTimestamp: new Date(),
            ResourceStatus: 'CREATE_COMPLETE',
          },
          {
            LogicalResourceId: 'FanoutTopicF7F675DF',
            PhysicalResourceId: 'arn:aws:sns:eu-west-1:123456789012:topic',
            ResourceType: 'AWS::SNS::Topic',
            LastUpdatedTimestamp: new Date(),
            ResourceStatus: 'CREATE_COMPLETE',
          },
        ],
      });

    const { target } = await connectOps('aws', 'OrderFlow');

    expect(target).toEqual({
      where: 'AWS eu-west-1, stack OrderFlow',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Saga',
      queues: [
        { label: 'EmailQueue', url: q('email'), role: 'queue' },
        { label: 'ProjectorFailureQueue', url: q('projector-failures'), role: 'dlq' },
      ],
      notes: [],
    });
    expect(cfnMock.commandCalls(ListStackResourcesCommand)[1].args[0].input).toEqual({
      StackName: 'OrderFlow',
      NextToken: 'page-2',
    });
  });

  it('falls back to the output queues, and says so, when the stack resources cannot be listed', async () => {
    stack(complete({ StateMachineArn: 'arn:sm', EmailQueueUrl: q('email') }));
    cfnMock.on(ListStackResourcesCommand).rejects(new Error('not authorized to perform ListStackResources'));
    const { target } = await connectOps('aws', 'OrderFlow');
    expect(target.queues.map((r) => r.label)).toEqual(['EmailQueue']);
    expect(target.notes).toEqual([
      'Only the queues in the stack outputs are shown: ListStackResources failed: not authorized to perform ListStackResources',
    ]);
  });

  it('fails naming what is missing when the stack lacks outputs the contract requires', async () => {
    const { StateMachineArn: _, DashboardName: __, ...rest } = complete({});
    stack(rest);
    await expect(connectOps('aws', 'OrderFlow')).rejects.toThrow(
      'Stack outputs missing from CloudFormation stack OrderFlow: StateMachineArn, DashboardName.',
    );
  });
});
