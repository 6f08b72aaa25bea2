import { describe, expect, it } from 'vitest';
import { hopsOfStack, parseInternalHops } from '../../../scripts/lib/cost/engine-log';
import { consumedUnits } from '../../../scripts/lib/cost/recorder';
import { countFixedResources, functionSettings } from '../../../scripts/lib/cost/template';
import {
  historyLogEventBytes,
  type PhaseRaw,
  perOrderUsage,
  summariseLambdaLog,
  transitionsOf,
} from '../../../scripts/lib/cost/usage';

describe('engine log: internal hops', () => {
  it('counts rule deliveries, fan-out and poller batches, ignoring everything else', () => {
    const text = [
      '2026-11-23 08:58:47 INFO [events] EventBridge → SQS Flow-Timeline-1.fifo',
      '2026-11-23 08:58:47 INFO [events] EventBridge → Step Functions Flow-Saga-1: dispatched',
      '2026-11-23 08:58:48 INFO [lambda] ESM: Lambda Flow-TimelineFn-1 processed 2 SQS messages from Flow-Timeline-1.fifo',
      '2026-11-23 08:58:49 INFO [lambda] ESM: Lambda Flow-Projector-1 processed 3 DynamoDB stream records from Flow-Events-1',
      '2026-11-23 08:58:50 INFO [events] EventBridge → SNS arn:aws:sns:us-east-1:000000000000:Flow-Topic-1',
      '2026-11-23 08:58:50 INFO [sns] SNS fanout → SQS Flow-Email-1',
      '2026-11-23 08:58:50 INFO [sns] SNS fanout → SQS Flow-Email-1',
      '2026-11-23 08:58:50 INFO [lambda] ESM: Lambda Flow-TimelineFn-1 output:',
      '{"level":"INFO","message":"event processed"}',
      '2026-11-23 08:58:51 WARNING [events] EventBridge → SQS: queue nope not found',
    ].join('\n');
    expect(parseInternalHops(text)).toEqual({
      eventBridgeToSqs: { 'Flow-Timeline-1.fifo': 1 },
      eventBridgeToSns: { 'arn:aws:sns:us-east-1:000000000000:Flow-Topic-1': 1 },
      eventBridgeToStepFunctions: { 'Flow-Saga-1': 1 },
      snsToSqs: { 'Flow-Email-1': 2 },
      esmSqs: { 'Flow-Timeline-1.fifo': { batches: 1, messages: 2 } },
      esmStreams: { 'Flow-Events-1': { batches: 1, records: 3 } },
    });
  });
});

describe('engine log: one stack of two', () => {
  it("keeps only the hops between the measured stack's own resources (OrderFlow- is no prefix of OrderFlowExpress-)", () => {
    const text = [
      'INFO [events] EventBridge → Step Functions OrderFlow-OrderSaga1-AB: dispatched',
      'INFO [events] EventBridge → Step Functions OrderFlowExpress-OrderSaga1-CD: dispatched',
      'INFO [events] EventBridge → SNS arn:aws:sns:us-east-1:000000000000:OrderFlow-FanoutTopic-1',
      'INFO [events] EventBridge → SNS arn:aws:sns:us-east-1:000000000000:OrderFlowExpress-FanoutTopic-2',
      'INFO [sns] SNS fanout → SQS OrderFlowExpress-EmailQueue-2',
      'INFO [lambda] ESM: Lambda OrderFlow-Fn-1 processed 2 SQS messages from OrderFlow-Timeline-1.fifo',
      'INFO [lambda] ESM: Lambda OrderFlowExpress-Projector-2 processed 3 DynamoDB stream records from OrderFlowExpress-Events-2',
    ]
      .map((l) => `2026-12-02 17:00:00 ${l}`)
      .join('\n');
    const all = parseInternalHops(text);
    expect(hopsOfStack(all, 'OrderFlow')).toEqual({
      eventBridgeToSqs: {},
      eventBridgeToSns: { 'arn:aws:sns:us-east-1:000000000000:OrderFlow-FanoutTopic-1': 1 },
      eventBridgeToStepFunctions: { 'OrderFlow-OrderSaga1-AB': 1 },
      snsToSqs: {},
      esmSqs: { 'OrderFlow-Timeline-1.fifo': { batches: 1, messages: 2 } },
      esmStreams: {},
    });
    expect(hopsOfStack(all, 'OrderFlowExpress')).toEqual({
      eventBridgeToSqs: {},
      eventBridgeToSns: { 'arn:aws:sns:us-east-1:000000000000:OrderFlowExpress-FanoutTopic-2': 1 },
      eventBridgeToStepFunctions: { 'OrderFlowExpress-OrderSaga1-CD': 1 },
      snsToSqs: { 'OrderFlowExpress-EmailQueue-2': 1 },
      esmSqs: {},
      esmStreams: { 'OrderFlowExpress-Events-2': { batches: 1, records: 3 } },
    });
  });
});

describe('Lambda log: invocations, durations and bytes', () => {
  it('reads durations from REPORT lines and leaves out the local-only Node 20 notice', () => {
    const messages = [
      'START RequestId: r1 Version: $LATEST',
      '(node:30844) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)',
      'versions published after the first week of January 2027',
      'will require node >=22. You are running node v20.20.2.',
      '',
      '{"level":"INFO","message":"saga task done"}',
      'END RequestId: r1',
      'REPORT RequestId: r1\tDuration: 12.4 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 0 MB',
      'REPORT RequestId: r2\tDuration: 7 ms\tBilled Duration: 7 ms\tMemory Size: 256 MB\tMax Memory Used: 0 MB',
    ];
    const counted = [messages[0], messages[5], messages[6], messages[7], messages[8]];
    expect(summariseLambdaLog(messages)).toEqual({
      invocations: 2,
      durationMs: 19.4,
      billedMs: 20,
      logEvents: 5,
      logBytes: counted.reduce((n, m) => n + Buffer.byteLength(m), 0),
    });
  });
});

describe('Step Functions history', () => {
  it('counts every state entered and each retried task attempt as a transition', () => {
    const history = [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskFailed',
      'TaskScheduled',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'ExecutionSucceeded',
    ].map((type) => ({ type }));
    expect(transitionsOf(history)).toEqual({ transitions: 5, retries: 1 });
  });

  it('sizes a history log event without its input and output payloads', () => {
    const event = {
      id: 3,
      type: 'PassStateExited',
      stateExitedEventDetails: { name: 'Start', output: 'x'.repeat(5000) },
    };
    const bytes = historyLogEventBytes(event, 'arn:exec');
    expect(bytes).toBe(
      Buffer.byteLength(
        JSON.stringify({
          id: 3,
          type: 'PassStateExited',
          stateExitedEventDetails: { name: 'Start' },
          execution_arn: 'arn:exec',
        }),
      ),
    );
  });
});

describe('history log bytes with execution data (the Express saga logs it)', () => {
  it('keeps the input and output payloads', () => {
    const event = {
      id: 3,
      type: 'PassStateExited',
      stateExitedEventDetails: { name: 'Start', output: 'x'.repeat(5000) },
    };
    expect(historyLogEventBytes(event, 'arn:exec', true)).toBe(
      Buffer.byteLength(JSON.stringify({ ...event, execution_arn: 'arn:exec' })),
    );
    expect(historyLogEventBytes(event, 'arn:exec', true)).toBeGreaterThan(
      historyLogEventBytes(event, 'arn:exec') + 5000,
    );
  });
});

describe('DynamoDB consumed capacity', () => {
  it('sums a single figure or a per-table list, and says when there is none', () => {
    expect(consumedUnits({ ConsumedCapacity: { TableName: 't', CapacityUnits: 2 } })).toBe(2);
    expect(consumedUnits({ ConsumedCapacity: [{ CapacityUnits: 4 }, { CapacityUnits: 2 }] })).toBe(6);
    expect(consumedUnits({ Item: {} })).toBeUndefined();
  });
});

describe('per-order usage from a phase', () => {
  const resources = countFixedResources({
    Resources: {
      OrderService1A: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512, Architectures: ['arm64'] } },
      Topic9F: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'arn:key' } },
    },
  });
  const raw: PhaseRaw = {
    kind: 'confirmed',
    orders: 2,
    wallMs: 1000,
    clientEntryBytes: [400, 70_000],
    calls: {
      'events:PutEvents': {
        calls: 2,
        bytes: 900,
        chunks: 6,
        capacityUnits: 0,
        callsWithCapacity: 0,
        failed: 0,
        targets: {},
      },
      'dynamodb:TransactWriteItems': {
        calls: 4,
        bytes: 4000,
        chunks: 4,
        capacityUnits: 16,
        callsWithCapacity: 4,
        failed: 0,
        targets: {},
      },
      'dynamodb:GetItem': {
        calls: 2,
        bytes: 200,
        chunks: 2,
        capacityUnits: 2,
        callsWithCapacity: 2,
        failed: 0,
        targets: {},
      },
    },
    hops: {
      eventBridgeToSqs: { 'q.fifo': 8 },
      eventBridgeToSns: { 'arn:aws:sns:us-east-1:0:Flow-Topic9F-XYZ': 2 },
      eventBridgeToStepFunctions: { saga: 2 },
      snsToSqs: { email: 2, loyalty: 1 },
      esmSqs: {
        'q.fifo': { batches: 4, messages: 8 },
        email: { batches: 2, messages: 2 },
        loyalty: { batches: 1, messages: 1 },
      },
      esmStreams: { events: { batches: 10, records: 12 } },
    },
    lambda: {
      'Flow-OrderService1A-ABC': {
        invocations: 4,
        durationMs: 399,
        billedMs: 400,
        logBytes: 2000,
        logEvents: 8,
        localMemoryMb: 256,
      },
    },
    executions: [
      { status: 'SUCCEEDED', transitions: 12, retries: 0, durationMs: 1234, historyEvents: 36, historyLogBytes: 9000 },
      { status: 'SUCCEEDED', transitions: 14, retries: 1, durationMs: 800, historyEvents: 40, historyLogBytes: 10000 },
    ],
  };

  it('divides by the orders and applies chunking, poller requests and the template sizes', () => {
    const u = perOrderUsage(raw, resources, 'ALL');
    // 1 + 2 chunks from the client (70,000 bytes is two chunks) + 6 relayed, over 2 orders
    expect(u.eventBridge.customEventChunks).toBe(4.5);
    expect(u.sns).toEqual({ publishChunks: 1, sqsDeliveries: 1.5, publishesToCmkTopics: 1 });
    // FIFO: 8 sends + 4 receives + 4 deletes; standard: 3 deliveries + 3 receives + 3 deletes
    expect(u.sqs.fifoRequests).toBe(8);
    expect(u.sqs.standardRequests).toBe(4.5);
    expect(u.dynamodb.writeUnits).toBe(8);
    expect(u.dynamodb.readUnits).toBe(1);
    expect(u.lambda.OrderService1A).toEqual({
      invocations: 2,
      billedMs: 200,
      memoryMb: 512,
      architecture: 'arm64',
      logBytes: 1000,
    });
    expect(u.stepFunctions.transitions).toBe(13);
    // 1,300 ms and 800 ms at 64 MB
    expect(u.stepFunctions.expressGbSeconds).toBeCloseTo((0.0625 * 1.3 + 0.0625 * 0.8) / 2, 12);
    expect(u.stepFunctions.logBytes).toBe(9500);
  });

  it('records which workflow type the executions ran as (Standard unless told)', () => {
    expect(perOrderUsage(raw, resources, 'ALL').stepFunctions.type).toBe('STANDARD');
    expect(perOrderUsage(raw, resources, 'ALL', 'EXPRESS').stepFunctions.type).toBe('EXPRESS');
  });

  it('prices a function by the logical id the measurement read from the stack, whatever its name', () => {
    const named = {
      ...raw,
      lambda: { 'Flow-Cut-XYZ': { ...raw.lambda['Flow-OrderService1A-ABC'], logicalId: 'OrderService1A' } },
    };
    expect(perOrderUsage(named, resources, 'ALL').lambda.OrderService1A).toMatchObject({
      memoryMb: 512,
      architecture: 'arm64',
    });
  });

  it('counts no saga log bytes when the state machine does not log every event', () => {
    expect(perOrderUsage(raw, resources, 'OFF').stepFunctions.logBytes).toBe(0);
  });

  it('refuses a phase without orders', () => {
    expect(() => perOrderUsage({ ...raw, orders: 0 }, resources)).toThrow('phase confirmed has no orders to divide by');
  });
});

describe('a function found in the template by its generated name', () => {
  const resources = countFixedResources({
    Resources: {
      OrderTimelineConsumerFunctionAF386935: {
        Type: 'AWS::Lambda::Function',
        Properties: { MemorySize: 256, Architectures: ['arm64'] },
      },
      OrderService34E51BCF: {
        Type: 'AWS::Lambda::Function',
        Properties: { MemorySize: 512, Architectures: ['arm64'] },
      },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128 } },
    },
  });

  it('finds the whole logical id between dashes', () => {
    expect(functionSettings(resources, 'OrderFlow-OrderService34E51BCF-6A4EE93EE4AE0')?.logicalId).toBe(
      'OrderService34E51BCF',
    );
  });

  it('finds a logical id the 64-character limit cut short (the Express copy on the engine)', () => {
    expect(functionSettings(resources, 'OrderFlowExpress-OrderTimelineConsumerFunctionAF386196473D79B057')).toEqual({
      logicalId: 'OrderTimelineConsumerFunctionAF386935',
      memoryMb: 256,
      architecture: 'arm64',
    });
  });

  it('finds nothing on a short or shared start rather than guess', () => {
    expect(functionSettings(resources, 'OrderFlow-OrderXYZ-1')).toBeUndefined();
    expect(functionSettings(resources, 'Other-Thing-1')).toBeUndefined();
  });
});
