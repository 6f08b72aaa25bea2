import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { BUSINESS_METRIC, BUSINESS_METRICS_SERVICE, type BusinessMetricName } from '../../lambdas/contracts/metrics';
import { type Envelope, newEvent, type TypedEnvelope } from '../../lambdas/messages/envelope';
import { contentFingerprint } from '../../lambdas/messages/fingerprint';
import { engineClientConfig } from '../../localstack/engine';
import { auditOrder } from '../../scripts/lib/order-audit';
import { sagaServiceLogGroup } from '../support/integration/saga-services';
import { anOrder, eventually, finalStatusOf, type System, system } from '../support/integration/system';
import { SAGA_EVENTS } from '../support/saga-events';

/** The default stack the global setup deployed (the saga services' function names start with it). */
const STACK = 'OrderFlow';

/**
 * Issue 17, at the saga's start: an OrderPlaced that reuses an order id is a
 * duplicate when its content is the same (same fingerprint) and a conflict
 * when it differs. First accepted wins; the other execution ends as
 * DUPLICATE_ORDER or ORDER_ID_CONFLICT and nothing is reserved, charged or
 * shipped for it. (docs/failure-modes.md, row "Order id reused".)
 */
describe('order id reused', () => {
  let sys: System;
  let lambda: LambdaClient;
  let logs: CloudWatchLogsClient;
  beforeAll(() => {
    sys = system();
    lambda = new LambdaClient(engineClientConfig(inject('awsEnv')));
    logs = new CloudWatchLogsClient(engineClientConfig(inject('awsEnv')));
  });

  /** The same order content as `order`, under a new event id (and its own time and correlation id). */
  const redelivered = (order: TypedEnvelope<'OrderPlaced'>, data = order.data) =>
    newEvent({ type: 'OrderPlaced', source: order.source, data });
  const bothExecutionsEnded = (orderId: string) =>
    eventually(
      () => sys.executionsOf(orderId),
      (list) => list.length === 2 && list.every((e) => e.status !== 'RUNNING'),
      { timeoutMs: 180_000, intervalMs: 1_000, what: `both saga executions of ${orderId} to end` },
    );
  const acceptOutcomes = (executions: { output?: string }[]) =>
    executions.map((e) => JSON.stringify(JSON.parse(e.output ?? '{}').results?.AcceptOrder ?? {}));
  const envelopes = async (orderId: string) =>
    (await sys.storedEvents(orderId)).map((e) => JSON.parse(e.envelope) as Envelope);
  /** The order service's EMF records counting `figure`, written since `since`. */
  const emfRecords = async (figure: BusinessMetricName, since: number, atLeast: number) => {
    const group = await sagaServiceLogGroup(lambda, STACK, 'OrderService');
    return eventually(
      async () => {
        const page = await logs.send(
          new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${figure}"`, startTime: since }),
        );
        return (page.events ?? [])
          .map((e) => {
            try {
              return JSON.parse(e.message ?? '') as Record<string, unknown>;
            } catch {
              return undefined;
            }
          })
          .filter((r) => r?._aws !== undefined && r[figure] !== undefined);
      },
      (list) => list.length >= atLeast,
      { timeoutMs: 60_000, intervalMs: 1_000, what: `${atLeast} ${figure} EMF record(s)` },
    );
  };

  it('same id, same content under a new event id: one order, the second start a counted duplicate', async () => {
    const startedAt = Date.now();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 10 }] });
    const { orderId } = order.data;
    await sys.placeOrder(order);
    await sys.placeOrder(redelivered(order));

    expect(await finalStatusOf(sys, orderId, 120_000)).toBe('CONFIRMED');
    const outcomes = acceptOutcomes(await bothExecutionsEnded(orderId));
    expect(outcomes.filter((o) => o.includes('DUPLICATE_ORDER'))).toHaveLength(1);
    expect(outcomes.filter((o) => o.includes('ORDER_ID_CONFLICT'))).toHaveLength(0);
    expect((await sys.storedEvents(orderId)).map((e) => e.type)).toEqual(SAGA_EVENTS.confirmed);
    expect(await sys.stockOf(sku)).toBe(9);
    expect(await sys.serviceRecord(keys.order(orderId))).toMatchObject({ fingerprint: contentFingerprint(order) });

    const records = await emfRecords(BUSINESS_METRIC.DuplicatesSuppressed, startedAt, 1);
    expect(records[0]).toMatchObject({ service: BUSINESS_METRICS_SERVICE, function: 'order-service' });
    // No conflict was counted for a duplicate.
    const group = await sagaServiceLogGroup(lambda, STACK, 'OrderService');
    const conflicts = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        filterPattern: `"${BUSINESS_METRIC.OrderConflicts}"`,
        startTime: startedAt,
      }),
    );
    expect(conflicts.events ?? []).toEqual([]);
  });

  describe('same id, different content', () => {
    const sku = `sku-conflict-${Date.now().toString(36)}`;
    let first: TypedEnvelope<'OrderPlaced'>;
    let second: TypedEnvelope<'OrderPlaced'>;
    let orderId: string;
    let startedAt: number;

    beforeAll(async () => {
      startedAt = Date.now();
      await sys.seedStock(sku, 10);
      // As in the issue: 1 unit for 10, then 2 units for 20, under one order id.
      first = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 10 }] });
      ({ orderId } = first.data);
      second = redelivered(first, { ...first.data, items: [{ sku, quantity: 2, unitPrice: 10 }], total: 20 });
      await sys.placeOrder(first);
      // The second is sent once the first is accepted, so which one was accepted first is known.
      await eventually(
        () => sys.serviceRecord(keys.order(orderId)),
        (item) => item !== undefined,
        { timeoutMs: 60_000, what: `order ${orderId} to be accepted` },
      );
      await sys.placeOrder(second);
      await bothExecutionsEnded(orderId);
    }, 300_000);

    it('keeps the first accepted order: confirmed with its content, charged and reserved once, for it only', async () => {
      expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');
      expect(await sys.serviceRecord(keys.order(orderId))).toMatchObject({
        fingerprint: contentFingerprint(first),
        acceptedEventId: first.id,
        total: 10,
      });
      const stored = await envelopes(orderId);
      expect(stored.filter((e) => e.type !== 'OrderConflictRejected').map((e) => e.type)).toEqual(
        SAGA_EVENTS.confirmed,
      );
      expect(stored[0]).toMatchObject({ id: first.id, data: { total: 10 } });
      // Nothing for the loser: one reservation of 1 unit, one charge of 10.
      expect(await sys.stockOf(sku)).toBe(9);
      expect(stored.filter((e) => e.type === 'PaymentCharged')).toHaveLength(1);
      expect(await sys.serviceRecord(keys.payment(orderId))).toMatchObject({ amount: 10 });
      expect(await sys.serviceRecord(keys.reservation(orderId))).toMatchObject({
        items: [{ sku, quantity: 1, unitPrice: 10 }],
      });
      const audit = auditOrder({
        orderId,
        events: (await sys.storedEvents(orderId)).map((e) => ({ version: e.version, type: e.type })),
        recordStatus: 'CONFIRMED',
      });
      expect(audit.violations).toEqual([]);
    });

    it('ends the second execution with ORDER_ID_CONFLICT, without compensating', async () => {
      const executions = await bothExecutionsEnded(orderId);
      expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const outcomes = acceptOutcomes(executions);
      expect(outcomes.filter((o) => o.includes('ORDER_ID_CONFLICT'))).toHaveLength(1);
      expect(outcomes.filter((o) => o.includes('DUPLICATE_ORDER'))).toHaveLength(0);
      const loser = executions.find((e) => acceptOutcomes([e])[0].includes('ORDER_ID_CONFLICT'));
      expect(JSON.parse(loser?.input ?? '{}').id).toBe(second.id);
    });

    it('appends one OrderConflictRejected with both fingerprints and the refused event id', async () => {
      const conflicts = (await envelopes(orderId)).filter((e) => e.type === 'OrderConflictRejected');
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({
        source: 'shop.orders',
        causationId: second.id,
        data: {
          orderId,
          acceptedFingerprint: contentFingerprint(first),
          rejectedFingerprint: contentFingerprint(second),
          acceptedEventId: first.id,
          rejectedEventId: second.id,
          total: 20,
        },
      });
      expect(contentFingerprint(first)).not.toBe(contentFingerprint(second));
    });

    it('keeps the refused payload in the order-service table for an operator', async () => {
      const kept = await sys.serviceRecord(keys.orderConflict(orderId, second.id));
      expect(kept).toMatchObject({
        rejectedEventId: second.id,
        rejectedFingerprint: contentFingerprint(second),
        acceptedFingerprint: contentFingerprint(first),
      });
      expect(JSON.parse(String(kept?.rejectedEnvelope))).toMatchObject({ id: second.id, data: second.data });
    });

    it('publishes it: the timeline receives it and the read model lists the conflict', async () => {
      const summary = await eventually(
        () => sys.readModel(orderId),
        (item) => Array.isArray(item?.conflicts) && item.conflicts.length === 1 && item.status === 'CONFIRMED',
        { timeoutMs: 120_000, what: 'the read model to list the conflict' },
      );
      expect(summary?.conflicts).toEqual([
        expect.objectContaining({
          rejectedEventId: second.id,
          rejectedFingerprint: contentFingerprint(second),
          acceptedFingerprint: contentFingerprint(first),
          total: 20,
        }),
      ]);
      expect(summary?.total).toBe(10);
      const timeline = await eventually(
        () => sys.consumerRecord(keys.timeline(orderId)),
        (item) => ((item?.entries as string[] | undefined) ?? []).some((e) => e.endsWith(':OrderConflictRejected')),
        { timeoutMs: 120_000, what: 'the timeline consumer to receive OrderConflictRejected' },
      );
      expect(timeline?.entries).toEqual(expect.arrayContaining([expect.stringMatching(/:OrderConflictRejected$/)]));
    });

    it('counts OrderConflicts once, in an EMF record of the order service', async () => {
      const records = await emfRecords(BUSINESS_METRIC.OrderConflicts, startedAt, 1);
      // No other order of this file conflicts, so every such record since this scenario began is this order's.
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        [BUSINESS_METRIC.OrderConflicts]: 1,
        service: BUSINESS_METRICS_SERVICE,
        function: 'order-service',
      });
    });
  });
});
