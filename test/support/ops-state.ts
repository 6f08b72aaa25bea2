import type { ExecutionSummary, OpsState, QueueState } from '../../scripts/lib/ops/state';

/** A queue row as the collector returns it; override what the test is about. */
export function aQueue(overrides: Partial<QueueState> = {}): QueueState {
  return {
    label: 'EmailQueue',
    name: 'OrderFlow-EmailQueue-1',
    url: 'https://sqs.us-east-1.amazonaws.com/123456789012/OrderFlow-EmailQueue-1',
    kind: 'queue',
    fifo: false,
    visible: 0,
    inFlight: 0,
    delayed: 0,
    oldestAgeSeconds: null,
    deadLetterQueue: 'EmailDlq',
    sources: [],
    error: null,
    ...overrides,
  };
}

export function anExecution(overrides: Partial<ExecutionSummary> = {}): ExecutionSummary {
  return {
    name: 'exec-1',
    arn: 'arn:aws:states:us-east-1:123456789012:execution:OrderSaga:exec-1',
    status: 'SUCCEEDED',
    outcome: 'Confirmed',
    orderId: 'order-1',
    reason: null,
    startDate: '2026-05-01T10:00:00.000Z',
    stopDate: '2026-05-01T10:00:01.500Z',
    durationMs: 1500,
    ...overrides,
  };
}

/** A whole collected state: one queue, its DLQ and the given executions. */
export function aState(overrides: Partial<OpsState> = {}): OpsState {
  return {
    collectedAt: '2026-05-01T10:00:05.000Z',
    tookMs: 120,
    where: 'AWS us-east-1, stack OrderFlow',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:OrderSaga',
    notes: [],
    summary: { visibleMessages: 0, inFlightMessages: 0, deadLetteredMessages: 2 },
    queues: [
      aQueue(),
      aQueue({
        label: 'EmailDlq',
        name: 'OrderFlow-EmailDlq-1',
        kind: 'dlq',
        visible: 2,
        deadLetterQueue: null,
        sources: ['EmailQueue'],
      }),
    ],
    executions: {
      limit: 50,
      recent: [anExecution()],
      byStatus: { RUNNING: 0, SUCCEEDED: 1, FAILED: 0, TIMED_OUT: 0, ABORTED: 0 },
      byOutcome: { Confirmed: 1, Compensated: 0, Stopped: 0, Unknown: 0 },
      error: null,
    },
    ...overrides,
  };
}
