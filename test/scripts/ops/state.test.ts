import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createStateCollector, type OpsTarget, orderOutcome } from '../../../scripts/lib/ops/state';

const sqsMock = mockClient(SQSClient);
const sfnMock = mockClient(SFNClient);
const cwMock = mockClient(CloudWatchClient);
const clients = {
  sqs: new SQSClient({ region: 'us-east-1' }),
  sfn: new SFNClient({ region: 'us-east-1' }),
  cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
};

const ACCOUNT = '123456789012';
const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`;
const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const SM = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:OrderSaga`;
const execArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:execution:OrderSaga:${name}`;

const target: OpsTarget = {
  where: 'AWS us-east-1, stack OrderFlow',
  stateMachineArn: SM,
  queues: [
    { label: 'EmailQueue', url: url('email'), role: 'queue' },
    { label: 'EmailDlq', url: url('email-dlq'), role: 'dlq' },
    { label: 'OrderTimelineQueue', url: url('timeline.fifo'), role: 'queue' },
    // Named like an ordinary queue: it is a DLQ only because the timeline queue's RedrivePolicy targets it.
    { label: 'TimelineParking', url: url('timeline-parking.fifo'), role: 'queue' },
  ],
  notes: [],
};

function queueAttributes(depths: Record<string, [number, number, number]>, redrive: Record<string, string> = {}) {
  for (const ref of target.queues) {
    const name = ref.url.split('/').pop()!;
    const [visible, inFlight, delayed] = depths[name] ?? [0, 0, 0];
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: ref.url }).resolves({
      Attributes: {
        QueueArn: arn(name),
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
        ApproximateNumberOfMessagesDelayed: String(delayed),
        ...(redrive[name]
          ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(redrive[name]), maxReceiveCount: 3 }) }
          : {}),
      },
    });
  }
}

const sagaInput = (orderId: string) => JSON.stringify({ id: 'evt-1', type: 'OrderPlaced', data: { orderId } });
const ok = (detail?: Record<string, unknown>) => ({ outcome: { ok: true, ...(detail ? { detail } : {}) } });
const confirmedOutput = JSON.stringify({
  input: {},
  results: {
    AcceptOrder: ok(),
    ReserveInventory: ok(),
    ChargePayment: ok(),
    ArrangeShipment: ok(),
    ConfirmOrder: ok(),
  },
});
const compensatedOutput = JSON.stringify({
  input: {},
  results: {
    AcceptOrder: ok(),
    ReserveInventory: ok(),
    ChargePayment: { outcome: { ok: false, reason: 'CARD_DECLINED' } },
  },
  failure: { step: 'ChargePayment', reason: 'CARD_DECLINED' },
  compensations: { ReserveInventory: ok() },
});
const stoppedOutput = JSON.stringify({
  input: {},
  results: { AcceptOrder: { outcome: { ok: false, reason: 'DUPLICATE_EXECUTION', compensate: false } } },
});

const t0 = new Date('2026-05-01T10:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

beforeEach(() => {
  sqsMock.reset();
  sfnMock.reset();
  cwMock.reset();
  cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
});

describe('queues', () => {
  it('reports each depth as SQS does, links queues to their DLQs and treats a redrive target as a DLQ', async () => {
    queueAttributes(
      { email: [4, 2, 1], 'email-dlq': [3, 0, 0], 'timeline.fifo': [0, 5, 0], 'timeline-parking.fifo': [7, 1, 0] },
      { email: 'email-dlq', 'timeline.fifo': 'timeline-parking.fifo' },
    );
    const state = await createStateCollector(clients, target)();

    const byLabel = Object.fromEntries(state.queues.map((q) => [q.label, q]));
    expect(byLabel.EmailQueue).toMatchObject({
      kind: 'queue',
      visible: 4,
      inFlight: 2,
      delayed: 1,
      deadLetterQueue: 'EmailDlq',
      fifo: false,
      error: null,
    });
    expect(byLabel.EmailDlq).toMatchObject({ kind: 'dlq', visible: 3, sources: ['EmailQueue'], deadLetterQueue: null });
    expect(byLabel.TimelineParking).toMatchObject({ kind: 'dlq', fifo: true, sources: ['OrderTimelineQueue'] });
    // Queues first, then DLQs, each alphabetical: the page's two tables.
    expect(state.queues.map((q) => q.label)).toEqual([
      'EmailQueue',
      'OrderTimelineQueue',
      'EmailDlq',
      'TimelineParking',
    ]);
    expect(state.summary).toEqual({ visibleMessages: 4, inFlightMessages: 7, deadLetteredMessages: 3 + 7 + 1 });
  });

  it('shows a queue it cannot read with the error, and still shows the others', async () => {
    queueAttributes({ email: [1, 0, 0] });
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: url('email-dlq') })
      .rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }));
    const state = await createStateCollector(clients, target)();

    const dlq = state.queues.find((q) => q.label === 'EmailDlq')!;
    expect(dlq).toMatchObject({ visible: null, inFlight: null, kind: 'dlq' });
    expect(dlq.error).toBe('QueueDoesNotExist: The specified queue does not exist.');
    expect(state.queues.find((q) => q.label === 'EmailQueue')?.visible).toBe(1);
  });

  it("takes the oldest message's age from CloudWatch by queue name, once a minute, and says so when CloudWatch fails", async () => {
    queueAttributes({});
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q1', Values: [42, 30], Timestamps: [at(-60), at(-120)] },
        { Id: 'q0', Values: [], Timestamps: [] },
      ],
    });
    let clock = t0;
    const collect = createStateCollector(clients, target, { now: () => clock });
    const state = await collect();
    expect(state.queues.find((q) => q.label === 'EmailDlq')?.oldestAgeSeconds).toBe(42);
    expect(state.queues.find((q) => q.label === 'EmailQueue')?.oldestAgeSeconds).toBeNull();
    const query = cwMock.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.MetricDataQueries?.[1].MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'QueueName', Value: 'email-dlq' },
    ]);
    expect(query.StartTime).toEqual(at(-15 * 60));

    // One-minute metrics: asked again only after a minute (GetMetricData is billed per metric).
    clock = at(59);
    expect((await collect()).queues.find((q) => q.label === 'EmailDlq')?.oldestAgeSeconds).toBe(42);
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(1);

    clock = at(60);
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    const degraded = await collect();
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect(degraded.queues.every((q) => q.oldestAgeSeconds === null)).toBe(true);
    expect(degraded.notes).toEqual([
      'Oldest message age unavailable (CloudWatch GetMetricData failed): AccessDenied: not authorized',
    ]);
  });
});

describe('executions', () => {
  function listed(items: [name: string, status: string, startedAtSecond: number, stoppedAtSecond?: number][]) {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: items.map(([name, status, start, stop]) => ({
        executionArn: execArn(name),
        stateMachineArn: SM,
        name,
        status: status as 'RUNNING',
        startDate: at(start),
        ...(stop !== undefined ? { stopDate: at(stop) } : {}),
      })),
    });
  }
  function described(name: string, status: string, extra: { output?: string; error?: string; cause?: string } = {}) {
    sfnMock.on(DescribeExecutionCommand, { executionArn: execArn(name) }).resolves({
      executionArn: execArn(name),
      stateMachineArn: SM,
      status: status as 'RUNNING',
      startDate: at(0),
      input: sagaInput(`order-${name}`),
      ...extra,
    });
  }

  it('gives each execution its status, order and outcome, newest first, and counts them', async () => {
    queueAttributes({});
    listed([
      ['confirmed', 'SUCCEEDED', 1, 3],
      ['compensated', 'SUCCEEDED', 2, 5.5],
      ['duplicate', 'SUCCEEDED', 3, 3.2],
      ['running', 'RUNNING', 10],
      ['broken', 'FAILED', 4, 60],
      ['slow', 'TIMED_OUT', 0, 300],
    ]);
    described('confirmed', 'SUCCEEDED', { output: confirmedOutput });
    described('compensated', 'SUCCEEDED', { output: compensatedOutput });
    described('duplicate', 'SUCCEEDED', { output: stoppedOutput });
    described('running', 'RUNNING');
    described('broken', 'FAILED', {
      error: 'CompensationFailed',
      cause: 'A compensation failed after all its retries',
    });
    described('slow', 'TIMED_OUT');

    const { executions } = await createStateCollector(clients, target)();

    expect(executions.error).toBeNull();
    expect(executions.recent.map((e) => e.name)).toEqual([
      'running',
      'broken',
      'duplicate',
      'compensated',
      'confirmed',
      'slow',
    ]);
    const byName = Object.fromEntries(executions.recent.map((e) => [e.name, e]));
    expect(byName.confirmed).toMatchObject({
      status: 'SUCCEEDED',
      outcome: 'Confirmed',
      orderId: 'order-confirmed',
      reason: null,
      durationMs: 2000,
      startDate: at(1).toISOString(),
      stopDate: at(3).toISOString(),
    });
    expect(byName.compensated).toMatchObject({
      outcome: 'Compensated',
      reason: 'ChargePayment: CARD_DECLINED',
      durationMs: 3500,
    });
    expect(byName.duplicate).toMatchObject({ outcome: 'Stopped', reason: 'AcceptOrder: DUPLICATE_EXECUTION' });
    expect(byName.running).toMatchObject({
      status: 'RUNNING',
      outcome: null,
      orderId: 'order-running',
      stopDate: null,
    });
    expect(byName.running.durationMs).toBeNull();
    expect(byName.broken).toMatchObject({
      status: 'FAILED',
      outcome: null,
      reason: 'CompensationFailed: A compensation failed after all its retries',
    });
    expect(byName.slow).toMatchObject({ status: 'TIMED_OUT', reason: null });
    expect(executions.byStatus).toEqual({ RUNNING: 1, SUCCEEDED: 3, FAILED: 1, TIMED_OUT: 1, ABORTED: 0 });
    expect(executions.byOutcome).toEqual({ Confirmed: 1, Compensated: 1, Stopped: 1, Unknown: 0 });
  });

  it('asks ListExecutions for at most the limit and shows no more than that', async () => {
    queueAttributes({});
    listed([
      ['a', 'RUNNING', 1],
      ['b', 'RUNNING', 2],
      ['c', 'RUNNING', 3],
    ]);
    for (const name of ['a', 'b', 'c']) described(name, 'RUNNING');
    const { executions } = await createStateCollector(clients, target, { executionLimit: 2 })();
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({
      stateMachineArn: SM,
      maxResults: 2,
    });
    expect(executions.recent.map((e) => e.name)).toEqual(['c', 'b']);
    expect(executions.limit).toBe(2);
  });

  it('describes an execution once per status, not on every refresh', async () => {
    queueAttributes({});
    listed([['order', 'RUNNING', 1]]);
    described('order', 'RUNNING');
    const collect = createStateCollector(clients, target);
    await collect();
    await collect();
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);

    listed([['order', 'SUCCEEDED', 1, 2]]);
    described('order', 'SUCCEEDED', { output: confirmedOutput });
    const { executions } = await collect();
    await collect();
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    expect(executions.recent[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'Confirmed' });
  });

  it('keeps the row of an execution it could not describe, says why, and tries again next time', async () => {
    queueAttributes({});
    listed([['order', 'SUCCEEDED', 1, 2]]);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const collect = createStateCollector(clients, target);
    const first = await collect();
    expect(first.executions.recent[0]).toMatchObject({
      status: 'SUCCEEDED',
      outcome: null,
      reason: 'DescribeExecution failed: ThrottlingException: Rate exceeded',
    });
    expect(first.executions.byStatus.SUCCEEDED).toBe(1);

    described('order', 'SUCCEEDED', { output: compensatedOutput });
    const second = await collect();
    expect(second.executions.recent[0]).toMatchObject({
      outcome: 'Compensated',
      reason: 'ChargePayment: CARD_DECLINED',
    });
  });

  it('still shows the queues when the executions cannot be listed', async () => {
    queueAttributes({ 'email-dlq': [2, 0, 0] });
    sfnMock
      .on(ListExecutionsCommand)
      .rejects(Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }));
    const state = await createStateCollector(clients, target)();
    expect(state.executions.error).toBe(
      'ListExecutions failed: StateMachineDoesNotExist: State Machine Does Not Exist',
    );
    expect(state.executions.recent).toEqual([]);
    expect(state.summary.deadLetteredMessages).toBe(2);
  });

  it('fails as a whole when neither SQS nor Step Functions answers, so the page shows its error banner', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { name: 'Error' });
    sqsMock.on(GetQueueAttributesCommand).rejects(refused);
    sfnMock.on(ListExecutionsCommand).rejects(refused);
    await expect(createStateCollector(clients, target)()).rejects.toThrow(
      'neither SQS nor Step Functions answered: Error: connect ECONNREFUSED 127.0.0.1:4566; ' +
        'ListExecutions failed: Error: connect ECONNREFUSED 127.0.0.1:4566',
    );
  });

  it('refuses an execution limit ListExecutions cannot serve', () => {
    expect(() => createStateCollector(clients, target, { executionLimit: 0 })).toThrow(
      "executionLimit must be an integer from 1 to 1000 (ListExecutions' page size), got 0",
    );
    expect(() => createStateCollector(clients, target, { executionLimit: 1001 })).toThrow('got 1001');
  });
});

describe('orderOutcome', () => {
  it('reads a technical fault that was caught into compensation', () => {
    const output = JSON.stringify({
      results: { AcceptOrder: ok() },
      failure: { Error: 'Lambda.Unknown', Cause: 'The function timed out' },
    });
    expect(orderOutcome(output)).toEqual({ outcome: 'Compensated', reason: 'Lambda.Unknown: The function timed out' });
  });

  it('says Unknown, with why, for output it cannot read as a saga result', () => {
    expect(orderOutcome('not json')).toEqual({ outcome: 'Unknown', reason: 'the execution output is not JSON' });
    expect(orderOutcome(undefined).outcome).toBe('Unknown');
    expect(orderOutcome(JSON.stringify({ results: { AcceptOrder: ok() } }))).toEqual({
      outcome: 'Unknown',
      reason: 'the output has no failure and no ConfirmOrder result',
    });
  });
});
