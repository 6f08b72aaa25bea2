import { describe, expect, it } from 'vitest';
import { describeMessage, truncateBody } from '../../../scripts/lib/dlq/describe';
import { parkAttributes } from '../../support/fake-queues';

const s = (v: string) => ({ DataType: 'String', StringValue: v });

describe('describeMessage', () => {
  it('reads the reason a consumer parked a message with, and keeps the original attributes apart', () => {
    const report = describeMessage(
      { MessageId: 'm1', Body: '{"id":"e1"}', MessageAttributes: parkAttributes('src-1'), Attributes: {} },
      { hasSourceQueue: true },
    );
    expect(report).toMatchObject({
      origin: 'parked-by-consumer',
      reason: 'IdempotencyAlreadyInProgressError: There is already an execution in progress',
      attempts: 3,
      firstFailureAt: '2026-11-23T08:00:00.000Z',
      lastFailureAt: '2026-11-23T08:01:00.000Z',
      consumer: 'analytics-consumer',
      sourceMessageId: 'src-1',
      originalAttributes: { traceparent: '00-abc-def-01' },
    });
  });

  it('shows receive count and first receive for a message the redrive policy moved', () => {
    const report = describeMessage(
      {
        MessageId: 'm2',
        Body: '{}',
        Attributes: {
          ApproximateReceiveCount: '4',
          ApproximateFirstReceiveTimestamp: '1700000000000',
          SentTimestamp: '1699999999000',
        },
      },
      { hasSourceQueue: true },
    );
    expect(report).toMatchObject({
      origin: 'sqs-redrive-policy',
      attempts: 4,
      firstFailureAt: '2023-11-14T22:13:20.000Z',
      details: { sentAt: '2023-11-14T22:13:19.000Z' },
    });
  });

  it("shows EventBridge's own attributes for the rule-target DLQ", () => {
    const report = describeMessage(
      {
        MessageId: 'm3',
        Body: '{"detail-type":"OrderPlaced"}',
        MessageAttributes: {
          ERROR_CODE: s('SDK_CLIENT_ERROR'),
          ERROR_MESSAGE: s('State machine does not exist'),
          EXHAUSTED_RETRY_CONDITION: s('MaximumRetryAttempts'),
          RETRY_ATTEMPTS: s('8'),
          RULE_ARN: s('arn:aws:events:us-east-1:1:rule/orders/OrderPlacedToSaga'),
          TARGET_ARN: s('arn:aws:states:us-east-1:1:stateMachine:saga'),
        },
      },
      { hasSourceQueue: false },
    );
    expect(report.origin).toBe('eventbridge-target');
    expect(report.reason).toBe('SDK_CLIENT_ERROR: State machine does not exist');
    expect(report.attempts).toBe(8);
    expect(report.details).toMatchObject({
      RULE_ARN: expect.stringContaining('OrderPlacedToSaga'),
      TARGET_ARN: expect.stringContaining('saga'),
    });
    expect(report.originalAttributes).toEqual({});
  });

  it('describes a stream batch from a failure queue', () => {
    const body = JSON.stringify({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:1:function:projector',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      timestamp: '2026-11-23T08:05:00.000Z',
      DDBStreamBatchInfo: {
        shardId: 'shard-1',
        startSequenceNumber: '100',
        endSequenceNumber: '104',
        approximateArrivalOfFirstRecord: '2026-11-23T08:00:00Z',
        approximateArrivalOfLastRecord: '2026-11-23T08:00:01Z',
        batchSize: 5,
        streamArn: 'arn:aws:dynamodb:us-east-1:1:table/events/stream/x',
      },
    });
    const report = describeMessage({ MessageId: 'm4', Body: body }, { hasSourceQueue: false });
    expect(report.origin).toBe('stream-failure');
    expect(report.reason).toBe('stream batch of 5 record(s) given up: RetryAttemptsExhausted (Unhandled)');
    expect(report.attempts).toBe(11);
    expect(report.details).toMatchObject({
      shardId: 'shard-1',
      sequenceNumbers: '100 … 104',
      function: expect.stringContaining('projector'),
    });
  });

  it('says so when a message without a source queue carries no reason', () => {
    expect(describeMessage({ MessageId: 'm5', Body: 'plain' }, { hasSourceQueue: false }).origin).toBe(
      'no-reason-recorded',
    );
  });
});

describe('truncateBody', () => {
  it('puts a body on one line and cuts it at the limit, saying how long it was', () => {
    expect(truncateBody('{\n  "a": 1\n}', 100)).toBe('{ "a": 1 }');
    expect(truncateBody('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}… (50 chars; --max-body 0 shows all)`);
    expect(truncateBody('x'.repeat(50), 0)).toHaveLength(50);
  });
});
