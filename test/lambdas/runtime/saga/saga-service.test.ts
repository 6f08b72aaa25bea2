import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../../../lambdas/contracts/events';
import { BUSINESS_METRICS_NAMESPACE } from '../../../../lambdas/contracts/metrics';
import { failureReason, SAGA_STEPS, type SagaTaskInput, type StepResult } from '../../../../lambdas/contracts/saga';
import { newEvent } from '../../../../lambdas/messages/envelope';
import { orderOutcomeMetrics } from '../../../../lambdas/order-service/order-metrics';
import { BusinessMetrics } from '../../../../lambdas/platform/metrics';
import type { SagaDeps } from '../../../../lambdas/runtime/saga/operation';
import { createSagaService, dispatchSagaTask } from '../../../../lambdas/runtime/saga/saga-service';
import { captureJsonLines, emfTotals } from '../../../support/capture-output';
import { orderPlaced } from '../../../support/events';
import { inMemoryIdempotency } from '../../../support/in-memory-idempotency';

const deps: SagaDeps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  eventStore: { eventTable: 'events' },
  orderServiceTable: 'state',
  now: () => new Date(0),
};
const operations = {
  Charge: {
    action: async () => ({ ok: true as const, detail: { ran: 'action' } }),
    compensation: async () => ({ ok: true as const, detail: { ran: 'compensation' } }),
  },
};

const confirmedOrder = () =>
  newEvent({
    type: 'OrderConfirmed',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId: 'o-1', customerId: 'c-1', total: 10 },
  });

describe('dispatchSagaTask', () => {
  it('runs the operation for the step and phase', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Charge', phase: 'compensation', input: orderPlaced(), executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).resolves.toEqual({
      ok: true,
      detail: { ran: 'compensation' },
    });
  });

  it('rejects an invalid order as a business outcome, so the saga compensates instead of retrying', async () => {
    const result = await dispatchSagaTask(
      { step: 'Charge', phase: 'action', input: { id: 'x' }, executionId: 'exec-1' },
      operations,
      deps,
    );
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.reason).toMatch(/^INVALID_ORDER/);
  });

  it('rejects a valid event of another type than OrderPlaced as INVALID_ORDER, naming the type', async () => {
    const result = await dispatchSagaTask(
      { step: 'Charge', phase: 'action', input: confirmedOrder(), executionId: 'exec-1' },
      operations,
      deps,
    );
    expect(result).toEqual({
      ok: false,
      reason: 'INVALID_ORDER: saga input only handles OrderPlaced, got OrderConfirmed',
    });
  });

  it('treats a compensation for an invalid order as a no-op', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Charge', phase: 'compensation', input: 'garbage', executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).resolves.toMatchObject({ ok: true });
  });

  it('throws for a step the service does not offer (a wiring fault, not a business outcome)', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Ship', phase: 'action', input: orderPlaced(), executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).rejects.toThrow('No action for step "Ship" in this service');
  });
});

describe('failureReason', () => {
  it('names the step and reason of a business rejection', () => {
    expect(failureReason({ step: 'ChargePayment', reason: 'CARD_DECLINED' })).toBe('ChargePayment: CARD_DECLINED');
  });

  it('falls back to the Step Functions error of a technical fault', () => {
    expect(failureReason({ Error: 'States.Timeout', Cause: 'took too long' })).toBe('States.Timeout: took too long');
  });
});

describe('createSagaService telemetry (order-service outcomes)', () => {
  const context = { getRemainingTimeInMillis: () => 10_000, functionName: 'order-service' } as unknown as Context;
  const order = orderPlaced({ orderId: 'order-telemetry' });
  const task = (step: string, phase: 'action' | 'compensation', executionId = 'exec-1'): SagaTaskInput<unknown> => ({
    step,
    phase,
    input: order,
    executionId,
    ...(phase === 'compensation' ? { failure: { step: 'ChargePayment', reason: 'CARD_DECLINED' } } : {}),
  });

  /** The order service's runner with operations that answer like order-lifecycle does. */
  function orderService(answers: Record<string, StepResult>, logLevel: 'SILENT' | 'INFO' = 'SILENT') {
    const operation = (key: string) => async () => answers[key];
    return createSagaService(
      'order-service',
      {
        [SAGA_STEPS.AcceptOrder]: { action: operation('accept'), compensation: operation('cancel') },
        [SAGA_STEPS.ConfirmOrder]: { action: operation('confirm') },
      },
      {
        saga: deps,
        logger: new Logger({ serviceName: 'order-service', logLevel }),
        metrics: new BusinessMetrics('order-service'),
        idempotency: inMemoryIdempotency('[input.data.orderId, step, phase, executionId]'),
      },
      { outcomeMetrics: orderOutcomeMetrics },
    );
  }

  async function figuresOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
    const { lines } = await captureJsonLines(async () => {
      await run();
    });
    return emfTotals(lines, BUSINESS_METRICS_NAMESPACE);
  }

  it('counts OrdersPlaced once when AcceptOrder records a new order, and a replayed task as a duplicate', async () => {
    const handler = orderService({ accept: { ok: true, detail: { recorded: true } } });
    expect(await figuresOf(() => handler(task('AcceptOrder', 'action'), context))).toEqual({ OrdersPlaced: 1 });
    // The same task again (Step Functions retried it after a lost response): answered from the store.
    expect(await figuresOf(() => handler(task('AcceptOrder', 'action'), context))).toEqual({
      DuplicatesSuppressed: 1,
    });
  });

  it('counts a second saga execution for one order as a suppressed duplicate, not a placed order', async () => {
    const handler = orderService({
      accept: { ok: false, reason: 'DUPLICATE_ORDER: already handled by exec-1', compensate: false },
    });
    expect(await figuresOf(() => handler(task('AcceptOrder', 'action', 'exec-2'), context))).toEqual({
      DuplicatesSuppressed: 1,
    });
  });

  it('counts OrdersCompleted when ConfirmOrder confirms, and OrdersCompensated when CancelOrder cancels', async () => {
    const handler = orderService({
      confirm: { ok: true, detail: { recorded: true } },
      cancel: { ok: true, detail: { status: 'CANCELLED', recorded: true } },
    });
    expect(await figuresOf(() => handler(task('ConfirmOrder', 'action'), context))).toEqual({ OrdersCompleted: 1 });
    expect(await figuresOf(() => handler(task('AcceptOrder', 'compensation'), context))).toEqual({
      OrdersCompensated: 1,
    });
  });

  it('counts nothing when a retried step finds its own earlier write', async () => {
    const handler = orderService({
      accept: { ok: true, detail: { recorded: false } },
      cancel: { ok: true, detail: { status: 'CANCELLED', recorded: false } },
    });
    expect(await figuresOf(() => handler(task('AcceptOrder', 'action'), context))).toEqual({});
    expect(await figuresOf(() => handler(task('AcceptOrder', 'compensation'), context))).toEqual({});
  });

  it('counts a retry of a task that threw as a fresh run, not as a duplicate', async () => {
    let calls = 0;
    const accept = async (): Promise<StepResult> => {
      calls++;
      if (calls === 1) throw new Error('transient');
      return { ok: true, detail: { recorded: true } };
    };
    const handler = createSagaService(
      'order-service',
      { [SAGA_STEPS.AcceptOrder]: { action: accept } },
      {
        saga: deps,
        logger: new Logger({ serviceName: 'order-service', logLevel: 'SILENT' }),
        metrics: new BusinessMetrics('order-service'),
        idempotency: inMemoryIdempotency('[input.data.orderId, step, phase, executionId]'),
      },
      { outcomeMetrics: orderOutcomeMetrics },
    );
    expect(
      await figuresOf(() => handler(task('AcceptOrder', 'action'), context).catch((error: Error) => error.message)),
    ).toEqual({});
    expect(await figuresOf(() => handler(task('AcceptOrder', 'action'), context))).toEqual({ OrdersPlaced: 1 });
    expect(calls).toBe(2);
  });

  it("logs each task with the order's envelope keys, step and phase, and leaks none into the next task", async () => {
    const handler = orderService({ accept: { ok: true, detail: { recorded: true } } }, 'INFO');
    const { lines } = await captureJsonLines(async () => {
      await handler(task('AcceptOrder', 'action'), context);
      await handler({ step: 'ConfirmOrder', phase: 'action', input: 'garbage', executionId: 'exec-1' }, context);
    });
    const [done, invalid] = lines.filter((l) => l.message === 'saga task done');
    expect(done).toMatchObject({
      correlationId: order.correlationId,
      eventId: order.id,
      eventType: 'OrderPlaced',
      orderId: 'order-telemetry',
      step: 'AcceptOrder',
      phase: 'action',
      function_name: 'order-service',
    });
    expect(invalid).toMatchObject({ step: 'ConfirmOrder', phase: 'action' });
    for (const key of ['correlationId', 'eventId', 'eventType', 'orderId']) expect(invalid).not.toHaveProperty(key);
  });
});
