import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/contracts/keys';
import { storedEnvelope } from '../../../lambdas/event-store/event-store';
import { contentFingerprint } from '../../../lambdas/messages/fingerprint';
import {
  acceptOrder,
  cancelOrder,
  DUPLICATE_ORDER,
  judgeSecondStart,
  markNeedsAttention,
  ORDER_ID_CONFLICT,
} from '../../../lambdas/order-service/order-lifecycle';
import { orderOutcomeMetrics } from '../../../lambdas/order-service/order-metrics';
import type { SagaDeps } from '../../../lambdas/runtime/saga/operation';
import { orderPlaced } from '../../support/events';
import { inMemoryEventStore } from '../../support/in-memory-event-store';

const accept = { step: 'AcceptOrder', phase: 'action' } as const;

describe('judgeSecondStart (a saga start that found the order recorded)', () => {
  const order = orderPlaced({ orderId: 'o-1' });
  const other = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 9, unitPrice: 30 }] });

  it("is the execution's own retry when it owns the record, whatever the content", () => {
    const record = { sagaExecutionId: 'exec-1', fingerprint: contentFingerprint(other) };
    expect(judgeSecondStart(record, order, 'exec-1')).toEqual({ verdict: 'own' });
  });

  it('is a duplicate when another execution owns it with the same content', () => {
    const record = { sagaExecutionId: 'exec-1', fingerprint: contentFingerprint(order) };
    // Same content under a new event id (a producer retry with a fresh id) is still the same order.
    expect(judgeSecondStart(record, orderPlaced({ orderId: 'o-1' }, 'new-id'), 'exec-2')).toEqual({
      verdict: 'duplicate',
    });
  });

  it('is a conflict when another execution owns it with other content, naming the new fingerprint', () => {
    const record = { sagaExecutionId: 'exec-1', fingerprint: contentFingerprint(order) };
    expect(judgeSecondStart(record, other, 'exec-2')).toEqual({
      verdict: 'conflict',
      fingerprint: contentFingerprint(other),
    });
  });

  it('cannot tell, so says duplicate as before, for a record without a fingerprint or no record at all', () => {
    expect(judgeSecondStart({ sagaExecutionId: 'exec-1' }, other, 'exec-2')).toEqual({ verdict: 'duplicate' });
    expect(judgeSecondStart(undefined, other, 'exec-2')).toEqual({ verdict: 'duplicate' });
  });
});

describe('acceptOrder: first accepted wins', () => {
  let db: ReturnType<typeof inMemoryEventStore>;
  let deps: SagaDeps;
  const first = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 10 }] }, 'event-a');
  const second = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 10 }] }, 'event-b');
  const stored = () => db.items('events').map((i) => storedEnvelope(i as never));

  beforeEach(() => {
    db = inMemoryEventStore();
    deps = { ddb: db.ddb, eventStore: { eventTable: 'events' }, orderServiceTable: 'state', now: () => new Date(0) };
  });

  it('records the first order with the fingerprint of its content and the event it came in', async () => {
    await expect(acceptOrder({ order: first, executionId: 'exec-1' }, deps)).resolves.toEqual({
      ok: true,
      detail: { recorded: true },
    });
    const record = await deps.ddb.send(new GetCommand({ TableName: 'state', Key: keys.order('o-1') }));
    expect(record.Item).toMatchObject({
      status: 'PENDING',
      sagaExecutionId: 'exec-1',
      fingerprint: contentFingerprint(first),
      acceptedEventId: 'event-a',
    });
  });

  it('answers the same content again as a duplicate, recording nothing more', async () => {
    await acceptOrder({ order: first, executionId: 'exec-1' }, deps);
    const again = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 10 }] }, 'event-a2');
    const result = await acceptOrder({ order: again, executionId: 'exec-2' }, deps);
    expect(result).toEqual({ ok: false, reason: `${DUPLICATE_ORDER}: already handled by exec-1`, compensate: false });
    expect(orderOutcomeMetrics(accept, result)).toEqual(['DuplicatesSuppressed']);
    expect(stored().map((e) => e.type)).toEqual(['OrderPlaced']);
  });

  it('refuses other content under the same id as a conflict: event, kept payload, metric; the first order stands', async () => {
    await acceptOrder({ order: first, executionId: 'exec-1' }, deps);
    const result = await acceptOrder({ order: second, executionId: 'exec-2' }, deps);
    expect(result).toMatchObject({ ok: false, compensate: false, detail: { recorded: true } });
    expect(!result.ok && result.reason).toMatch(new RegExp(`^${ORDER_ID_CONFLICT}: order o-1 was accepted by exec-1`));
    expect(orderOutcomeMetrics(accept, result)).toEqual(['OrderConflicts']);

    const events = stored();
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderConflictRejected']);
    // The stream's OrderPlaced is the first one: the winner's content is not replaced.
    expect(events[0].id).toBe('event-a');
    expect(events[1]).toMatchObject({
      source: 'shop.orders',
      causationId: 'event-b',
      data: {
        orderId: 'o-1',
        acceptedFingerprint: contentFingerprint(first),
        rejectedFingerprint: contentFingerprint(second),
        acceptedEventId: 'event-a',
        acceptedExecutionId: 'exec-1',
        rejectedEventId: 'event-b',
        rejectedExecutionId: 'exec-2',
        customerId: 'customer-1',
        total: 20,
      },
    });

    const kept = (
      await deps.ddb.send(new GetCommand({ TableName: 'state', Key: keys.orderConflict('o-1', 'event-b') }))
    ).Item;
    expect(JSON.parse(String(kept?.rejectedEnvelope))).toEqual(second);
    expect(kept).toMatchObject({ rejectedFingerprint: contentFingerprint(second), conflictEventId: events[1].id });
    const order = (await deps.ddb.send(new GetCommand({ TableName: 'state', Key: keys.order('o-1') }))).Item;
    expect(order).toMatchObject({ sagaExecutionId: 'exec-1', fingerprint: contentFingerprint(first) });
  });

  it('reports a refused event once: its duplicate delivery ends the same way and counts as a duplicate', async () => {
    await acceptOrder({ order: first, executionId: 'exec-1' }, deps);
    await acceptOrder({ order: second, executionId: 'exec-2' }, deps);
    const repeat = await acceptOrder({ order: second, executionId: 'exec-3' }, deps);
    expect(repeat).toMatchObject({ ok: false, compensate: false, detail: { recorded: false } });
    expect(!repeat.ok && repeat.reason).toMatch(new RegExp(`^${ORDER_ID_CONFLICT}:`));
    expect(orderOutcomeMetrics(accept, repeat)).toEqual(['DuplicatesSuppressed']);
    expect(stored().map((e) => e.type)).toEqual(['OrderPlaced', 'OrderConflictRejected']);
  });

  it('lets the owning execution carry on when its own AcceptOrder runs again', async () => {
    await acceptOrder({ order: first, executionId: 'exec-1' }, deps);
    await expect(acceptOrder({ order: first, executionId: 'exec-1' }, deps)).resolves.toEqual({
      ok: true,
      detail: { recorded: false },
    });
  });
});

/**
 * A second execution for an order id whose AcceptOrder failed technically
 * compensates from AcceptOrder: its CancelOrder (and, should that fail, its
 * NEEDS_ATTENTION report) must not move the order another execution owns.
 */
describe("compensations of an execution that does not own the order leave the owner's order as it is", () => {
  let db: ReturnType<typeof inMemoryEventStore>;
  let deps: SagaDeps;
  const first = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 10 }] }, 'event-a');
  const sameContent = orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 10 }] }, 'event-c');
  const otherContent = orderPlaced(
    { orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 10 }] },
    'event-b',
  );
  const failure = { step: 'AcceptOrder', Error: 'States.TaskFailed', Cause: 'throttled' };
  const orderRecord = async () =>
    (await deps.ddb.send(new GetCommand({ TableName: 'state', Key: keys.order('o-1') }))).Item;
  const types = () => db.items('events').map((i) => storedEnvelope(i as never).type);

  beforeEach(async () => {
    db = inMemoryEventStore();
    deps = { ddb: db.ddb, eventStore: { eventTable: 'events' }, orderServiceTable: 'state', now: () => new Date(0) };
    await acceptOrder({ order: first, executionId: 'exec-1' }, deps);
  });

  it('CancelOrder of a duplicate execution cancels nothing and says whose order it is', async () => {
    const result = await cancelOrder({ order: sameContent, executionId: 'exec-2', failure }, deps);
    expect(result).toEqual({
      ok: true,
      detail: { status: 'PENDING', recorded: false, ownedBy: 'exec-1', notOwner: DUPLICATE_ORDER },
    });
    expect(await orderRecord()).toMatchObject({ status: 'PENDING', sagaExecutionId: 'exec-1' });
    expect(types()).toEqual(['OrderPlaced']);
    expect(orderOutcomeMetrics({ step: 'AcceptOrder', phase: 'compensation' }, result)).toEqual([]);
  });

  it('CancelOrder of a conflicting execution cancels nothing and reports the conflict once', async () => {
    const result = await cancelOrder({ order: otherContent, executionId: 'exec-2', failure }, deps);
    expect(result).toEqual({
      ok: true,
      detail: {
        status: 'PENDING',
        recorded: false,
        ownedBy: 'exec-1',
        notOwner: ORDER_ID_CONFLICT,
        conflictRecorded: true,
      },
    });
    expect(orderOutcomeMetrics({ step: 'AcceptOrder', phase: 'compensation' }, result)).toEqual(['OrderConflicts']);
    expect(await orderRecord()).toMatchObject({ status: 'PENDING', sagaExecutionId: 'exec-1' });
    expect(types()).toEqual(['OrderPlaced', 'OrderConflictRejected']);
    const kept = (
      await deps.ddb.send(new GetCommand({ TableName: 'state', Key: keys.orderConflict('o-1', 'event-b') }))
    ).Item;
    expect(kept).toMatchObject({
      rejectedExecutionId: 'exec-2',
      rejectedFingerprint: contentFingerprint(otherContent),
    });

    // Run again (a retry): nothing more is recorded or counted.
    const again = await cancelOrder({ order: otherContent, executionId: 'exec-2', failure }, deps);
    expect(again).toMatchObject({ ok: true, detail: { conflictRecorded: false } });
    expect(orderOutcomeMetrics({ step: 'AcceptOrder', phase: 'compensation' }, again)).toEqual([]);
    expect(types()).toEqual(['OrderPlaced', 'OrderConflictRejected']);
  });

  it("the NEEDS_ATTENTION report of a non-owner leaves the owner's order as it is", async () => {
    const result = await markNeedsAttention('AcceptOrder')(
      { order: sameContent, executionId: 'exec-2', failure, compensationFailure: { Error: 'Error', Cause: 'x' } },
      deps,
    );
    expect(result).toEqual({
      ok: true,
      detail: { step: 'AcceptOrder', status: 'PENDING', recorded: false, ownedBy: 'exec-1', notOwner: DUPLICATE_ORDER },
    });
    expect(orderOutcomeMetrics({ step: 'AcceptOrder', phase: 'compensationFailure' }, result)).toEqual([]);
    expect(await orderRecord()).toMatchObject({ status: 'PENDING' });
    expect(types()).toEqual(['OrderPlaced']);
  });
});
