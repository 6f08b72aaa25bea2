import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { FAULT_MODES, type FaultMode, type FaultRule } from '../../lambdas/contracts/fault-switch';
import { keys } from '../../lambdas/contracts/keys';
import { newEvent, type TypedEnvelope } from '../../lambdas/messages/envelope';
import { type ConsumerName, consumerDriver, expectParkedByFault, sleep } from '../support/integration/consumer-faults';
import { expectInvariants } from '../support/integration/invariants';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

/**
 * Consumer fault scenarios of issue 6 (1 to 6), driven by sending envelopes
 * straight to a consumer's queue and switching faults on for this file's own
 * orders only (lambdas/platform/fault-injection.ts). Locally a consumer times
 * out after 5 s, a message comes back 30 s after a failed attempt and is
 * parked on its 3rd. Every scenario asserts the effect counter (exactly 1),
 * the Powertools idempotency record and, where it matters, the DLQ.
 *
 * The scenarios run concurrently: each waits on redeliveries, not on the others.
 */
describe.concurrent('consumer faults (issue 6, scenarios 1-6)', () => {
  const sys = system();
  const driver = consumerDriver(sys);
  const ANALYTICS: ConsumerName = 'analytics-consumer';

  const confirmed = (orderId: string): TypedEnvelope<'OrderConfirmed'> =>
    newEvent({
      type: 'OrderConfirmed',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, customerId: sys.uniqueId('customer'), total: 42 },
    });

  /** Runs `body` with `rules` switched on under a switch of its own, and always off afterwards. */
  async function withFaults<T>(rules: FaultRule[], body: () => Promise<T>): Promise<T> {
    const off = await sys.injectFaults(sys.uniqueId('consumer-faults'), rules);
    try {
      return await body();
    } finally {
      await off();
    }
  }

  const analyticsEvents = async (orderId: string) =>
    (await sys.consumerRecord(keys.analytics(orderId)))?.events as number | undefined;
  const bodyHas = (needle: string) => (m: Message) => m.Body?.includes(needle) ?? false;
  const redelivery = { timeoutMs: 150_000, intervalMs: 2_000 };
  /** The one fired-fault line a rule with `attempts: 1` leaves for one event (scripts/lib/faults/fired.ts). */
  const firedOnce = (faultMode: FaultMode, orderId: string, eventId: string) =>
    expect.objectContaining({
      faultMode,
      faultPoint: FAULT_MODES[faultMode],
      faultTarget: ANALYTICS,
      orderId,
      eventId,
      eventType: 'OrderConfirmed',
      attempt: 1,
    });

  it('scenario 1: SQS redelivers an already-processed message: the duplicate is suppressed, no second effect', async ({
    expect,
  }) => {
    const since = Date.now();
    const orderId = sys.uniqueId('s1-order');
    const ruleId = sys.uniqueId('s1');
    const event = confirmed(orderId);
    await withFaults(
      [{ id: ruleId, target: ANALYTICS, mode: 'fail-before-ack', orderIds: [orderId], attempts: 1 }],
      async () => {
        await driver.send(ANALYTICS, [{ body: JSON.stringify(event) }]);
        // Attempt 1 applies and records the event, then fails before the ack; SQS redelivers it.
        await eventually(
          () => driver.logLines(ANALYTICS, since, event.id, 'duplicate event suppressed'),
          (lines) => lines.length > 0,
          { ...redelivery, what: 'the redelivered message to be suppressed as a duplicate' },
        );
      },
    );
    expect(await analyticsEvents(orderId)).toBe(1);
    expect(await driver.idempotencyRecord(ANALYTICS, event.id)).toMatchObject({ status: 'COMPLETED' });
    // Attempt 1 did the work and failed at the ack, the only failure.
    expect(await driver.logLines(ANALYTICS, since, event.id, 'event failed')).toHaveLength(1);
    expect(await driver.logLines(ANALYTICS, since, event.id, 'event failed', 'injected: fail-before-ack')).toHaveLength(
      1,
    );
    // The function's own fired-fault line: one firing, on the first attempt, before the acknowledgement.
    expect(await driver.fired(ANALYTICS, since, ruleId)).toEqual([firedOnce('fail-before-ack', orderId, event.id)]);
    expect(await driver.parked(ANALYTICS, bodyHas(event.id))).toEqual([]);
  });

  it('scenario 2: one event reaching a queue as two different SQS messages applies once (key = event id)', async ({
    expect,
  }) => {
    const since = Date.now();
    const orderId = sys.uniqueId('s2-order');
    const event = confirmed(orderId);
    // The same event in two SNS notifications with their own message ids, as an SNS or EventBridge retry makes them.
    const notification = (messageId: string) =>
      JSON.stringify({ Type: 'Notification', MessageId: messageId, Message: JSON.stringify(event) });
    await driver.send('email-consumer', [{ body: notification(sys.uniqueId('sns')) }]);
    await driver.send('email-consumer', [{ body: notification(sys.uniqueId('sns')) }]);
    await eventually(
      () => driver.logLines('email-consumer', since, event.id, 'duplicate event suppressed'),
      (lines) => lines.length > 0,
      { ...redelivery, what: 'the second message to be suppressed as a duplicate' },
    );
    expect((await sys.consumerRecord(keys.email(orderId, 'OrderConfirmed')))?.sends).toBe(1);
    expect(await driver.marker('email-consumer', event.id)).toMatchObject({ eventId: event.id });
    expect(await driver.logLines('email-consumer', since, event.id, 'event processed')).toHaveLength(1);
  });

  it('scenario 3: a crash after the effect leaves an expiring in-progress record; the retry does not repeat the effect', async ({
    expect,
  }) => {
    const since = Date.now();
    const orderId = sys.uniqueId('s3-order');
    const ruleId = sys.uniqueId('s3');
    const event = confirmed(orderId);
    await withFaults(
      [{ id: ruleId, target: ANALYTICS, mode: 'crash-after-effect', orderIds: [orderId], attempts: 1 }],
      async () => {
        await driver.send(ANALYTICS, [{ body: JSON.stringify(event) }]);
        // Attempt 1 applies the effect, then the process dies before the idempotency record completes.
        await eventually(
          () => analyticsEvents(orderId),
          (count) => count === 1,
          {
            timeoutMs: 60_000,
            intervalMs: 200,
            what: 'the first attempt to apply the effect',
          },
        );
        // The retry is a visibility timeout (30 s) away: the crash left the record INPROGRESS, with an expiry
        // (Powertools: the invocation's deadline, in ms; 5 s function timeout locally) so it cannot block for ever.
        const inProgress = await driver.idempotencyRecord(ANALYTICS, event.id);
        expect(inProgress?.status).toBe('INPROGRESS');
        expect(inProgress?.in_progress_expiration).toBeGreaterThan(Date.now() - 60_000);
        expect(inProgress?.in_progress_expiration).toBeLessThanOrEqual(Date.now() + 15_000);
        await eventually(
          () => driver.idempotencyRecord(ANALYTICS, event.id),
          (record) => record?.status === 'COMPLETED',
          { ...redelivery, what: 'the retry to complete the idempotency record' },
        );
      },
    );
    expect(await analyticsEvents(orderId)).toBe(1);
    // The fired line is written before the crash, so the function's log still says what happened.
    expect(await driver.fired(ANALYTICS, since, ruleId)).toEqual([firedOnce('crash-after-effect', orderId, event.id)]);
    // Only the retry got as far as logging: it ran the operation again, and the effect's marker stopped the double.
    expect(await driver.logLines(ANALYTICS, since, event.id, 'event processed')).toHaveLength(1);
    expect(await driver.marker(ANALYTICS, event.id)).toMatchObject({ eventId: event.id });
    expect(await driver.parked(ANALYTICS, bodyHas(event.id))).toEqual([]);
  });

  it('scenario 4: a handler that runs past its timeout gets the message back after the visibility timeout; applied once', async ({
    expect,
  }) => {
    const since = Date.now();
    const orderId = sys.uniqueId('s4-order');
    const ruleId = sys.uniqueId('s4');
    const event = confirmed(orderId);
    await withFaults(
      [{ id: ruleId, target: ANALYTICS, mode: 'timeout', orderIds: [orderId], attempts: 1 }],
      async () => {
        await driver.send(ANALYTICS, [{ body: JSON.stringify(event) }]);
        await eventually(
          () => driver.idempotencyRecord(ANALYTICS, event.id),
          (record) => record?.status === 'COMPLETED',
          { ...redelivery, what: 'the message to come back and be processed' },
        );
      },
    );
    expect(await analyticsEvents(orderId)).toBe(1);
    expect(await driver.fired(ANALYTICS, since, ruleId)).toEqual([firedOnce('timeout', orderId, event.id)]);
    expect(await driver.logLines(ANALYTICS, since, event.id, 'event processed')).toHaveLength(1);
    expect(await driver.parked(ANALYTICS, bodyHas(event.id))).toEqual([]);
  });

  it('scenario 5: one bad record in a batch of ten: only it is reported failed and retried, the nine are not reprocessed', async ({
    expect,
  }) => {
    const since = Date.now();
    const direct = Array.from({ length: 10 }, () => confirmed(sys.uniqueId('s5-direct')));
    const queued = Array.from({ length: 10 }, () => confirmed(sys.uniqueId('s5-queued')));
    const bad = [direct[6], queued[3]];
    await withFaults(
      [
        { id: sys.uniqueId('s5-direct'), target: ANALYTICS, mode: 'throw', orderIds: [bad[0].data.orderId] },
        {
          id: sys.uniqueId('s5-queued'),
          target: ANALYTICS,
          mode: 'throw',
          orderIds: [bad[1].data.orderId],
          attempts: 1,
        },
      ],
      async () => {
        // 1. The function itself, given one batch of ten as its event source mapping would hand it over.
        const records: SQSRecord[] = direct.map((event, n) => syntheticRecord(`s5-${n}-${event.id}`, event));
        const response = await driver.invoke(ANALYTICS, { Records: records } as SQSEvent);
        expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[6].messageId }]);
        for (const event of direct) {
          expect(await analyticsEvents(event.data.orderId)).toBe(event === bad[0] ? undefined : 1);
        }

        // 2. Through the real queue: the bad record fails once, comes back alone and is applied.
        await driver.send(
          ANALYTICS,
          queued.map((event) => ({ body: JSON.stringify(event) })),
        );
        await eventually(
          () => Promise.all(queued.map((event) => analyticsEvents(event.data.orderId))),
          (counts) => counts.every((count) => count !== undefined),
          { ...redelivery, what: 'all ten queued events to be applied' },
        );
      },
    );
    for (const event of queued) {
      expect(await analyticsEvents(event.data.orderId)).toBe(1);
      // Once processed, never seen again: a re-run of the whole batch would log a suppressed duplicate.
      expect(await driver.logLines(ANALYTICS, since, event.id, 'event processed')).toHaveLength(1);
      expect(await driver.logLines(ANALYTICS, since, event.id, 'duplicate event suppressed')).toEqual([]);
    }
    expect(await driver.logLines(ANALYTICS, since, bad[1].id, 'event failed')).toHaveLength(1);
  });

  it('scenario 6: poison messages reach the DLQ with their reason after maxReceiveCount; the others flow', async ({
    expect,
  }) => {
    const since = Date.now();
    const poison = [confirmed(sys.uniqueId('s6-poison')), confirmed(sys.uniqueId('s6-poison'))];
    const good = [0, 1, 2].map(() => confirmed(sys.uniqueId('s6-good')));
    const ruleId = sys.uniqueId('s6');
    const parked = await withFaults(
      [{ id: ruleId, target: ANALYTICS, mode: 'throw', orderIds: poison.map((e) => e.data.orderId) }],
      async () => {
        await driver.send(
          ANALYTICS,
          [poison[0], good[0], good[1], poison[1], good[2]].map((event) => ({ body: JSON.stringify(event) })),
        );
        await eventually(
          () => Promise.all(good.map((event) => analyticsEvents(event.data.orderId))),
          (counts) => counts.every((count) => count === 1),
          { ...redelivery, what: 'the good messages to be applied' },
        );
        return eventually(
          () => driver.parked(ANALYTICS, (m) => poison.some((event) => bodyHas(event.id)(m))),
          (messages) => messages.length === poison.length,
          { timeoutMs: 240_000, intervalMs: 5_000, what: 'both poison messages in the DLQ' },
        );
      },
    );
    const maxReceiveCount = sys.outputs.MaxReceiveCount;
    for (const message of parked) expectParkedByFault(message, { ruleId, consumer: ANALYTICS, maxReceiveCount });
    for (const event of poison) expect(await analyticsEvents(event.data.orderId)).toBeUndefined();
    // Give a late duplicate of a good message the time to land before counting.
    await sleep(2_000);
    for (const event of good) {
      expect(await analyticsEvents(event.data.orderId)).toBe(1);
      // They flowed on their first attempt: never failed, never held back by the poison ones.
      expect(await driver.logLines(ANALYTICS, since, event.id, 'event failed')).toEqual([]);
    }
  });

  it('scenarios 1, 3 and 4 through the whole flow: a real order whose consumers fail before the ack, crash after the effect and time out still applies every effect once (issue-6 invariants)', async ({
    expect,
  }) => {
    const sku = sys.uniqueId('faults-sku');
    await sys.seedStock(sku, 10);
    // Total ≥ 100, so the loyalty subscription's filter lets the confirmation through.
    const order = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 60 }] });
    const { orderId, customerId } = order.data;
    const rule = (target: ConsumerName, mode: FaultRule['mode']): FaultRule => ({
      id: sys.uniqueId(`flow-${mode}`),
      target,
      mode,
      orderIds: [orderId],
      attempts: 1,
    });
    await withFaults(
      [
        rule('email-consumer', 'fail-before-ack'),
        rule(ANALYTICS, 'crash-after-effect'),
        rule('loyalty-consumer', 'timeout'),
      ],
      async () => {
        await sys.placeOrder(order);
        expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');
        // Wait for the retries: each faulted consumer completes its idempotency record only on attempt 2.
        const confirmation = (await sys.storedEvents(orderId)).find((e) => e.type === 'OrderConfirmed');
        const eventId = confirmation?.eventId ?? (JSON.parse(confirmation?.envelope ?? '{}') as { id: string }).id;
        for (const consumer of ['email-consumer', ANALYTICS, 'loyalty-consumer'] as const) {
          await eventually(
            () => driver.idempotencyRecord(consumer, eventId),
            (record) => record?.status === 'COMPLETED',
            { ...redelivery, what: `${consumer} to complete the confirmation on its retry` },
          );
        }
      },
    );
    // Polls until every message is applied once or parked; fails at once on a double.
    const report = await expectInvariants(sys, [orderId], { stockBefore: { [sku]: 10 } });
    expect(report.orders[0]).toMatchObject({ finalStatus: 'CONFIRMED', lost: [], doubleApplied: [], parked: [] });
    expect((await sys.consumerRecord(keys.email(orderId, 'OrderConfirmed')))?.sends).toBe(1);
    expect(await analyticsEvents(orderId)).toBe(1);
    expect(await sys.consumerRecord(keys.loyalty(customerId))).toMatchObject({ points: 120, orders: 1 });
  });
});

/** An SQS record as the event source mapping hands one to the function (first receive). */
function syntheticRecord(messageId: string, event: unknown): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: `synthetic-${messageId}`,
    body: JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'integration-test',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:synthetic',
    awsRegion: 'us-east-1',
  };
}
