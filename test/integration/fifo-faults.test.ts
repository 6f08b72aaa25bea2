import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { type Envelope, newEvent } from '../../lambdas/messages/envelope';
import { consumerDriver, expectParkedByFault, sleep } from '../support/integration/consumer-faults';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

const TIMELINE = 'order-timeline-consumer';

/**
 * Issue 6, scenario 9, on the order-timeline consumer (FIFO queue, message group = order id).
 *
 * The first test runs it on the real route: real orders, whose events the relay sends to the FIFO
 * queue with the order id as message group (lambdas/event-relay/relay.ts), and a fault-injection
 * switch that poisons one event of one order. The second sends the events by hand, to also cover a
 * redrive of the parked event after its successors.
 *
 * What "handles the gap" means here (lambdas/order-timeline-consumer/append-timeline.ts): once the
 * poisoned event is parked, its group moves on; later events are appended in order and the skipped
 * store version is recorded in `missingSequences`, so the timeline says it is incomplete instead of
 * silently looking whole. Entries are never reordered or repeated: when the parked event is redriven
 * after its successors, it goes to `lateEntries` and leaves `missingSequences`; a second copy of it
 * is suppressed.
 */
describe('FIFO consumer faults (issue 6, scenario 9)', () => {
  const sys = system();
  const driver = consumerDriver(sys);

  /** A stored order event as the relay sends it: with its event-store version. */
  const stored = (orderId: string, version: number): Envelope => {
    const metadata = { aggregateVersion: version };
    switch (version) {
      case 1:
        return newEvent({
          type: 'OrderPlaced',
          source: CHECKOUT_SOURCE,
          data: {
            orderId,
            customerId: `customer-${orderId}`,
            items: [{ sku: 'sku-1', quantity: 1, unitPrice: 5 }],
            total: 5,
            currency: 'EUR',
            paymentToken: 'tok_visa',
            shipToCountry: 'DE',
          },
          metadata,
        });
      case 2:
        return newEvent({
          type: 'InventoryReserved',
          source: ORDER_SERVICE_SOURCE,
          data: { orderId, items: [{ sku: 'sku-1', quantity: 1, unitPrice: 5 }] },
          metadata,
        });
      case 3:
        return newEvent({
          type: 'PaymentCharged',
          source: ORDER_SERVICE_SOURCE,
          data: { orderId, paymentId: `pay-${orderId}`, amount: 5 },
          metadata,
        });
      case 4:
        return newEvent({
          type: 'ShipmentArranged',
          source: ORDER_SERVICE_SOURCE,
          data: { orderId, shipmentId: `ship-${orderId}` },
          metadata,
        });
      default:
        return newEvent({
          type: 'OrderConfirmed',
          source: ORDER_SERVICE_SOURCE,
          data: { orderId, customerId: `customer-${orderId}`, total: 5 },
          metadata,
        });
    }
  };
  const message = (event: Envelope) => ({
    body: JSON.stringify(event),
    groupId: (event.data as { orderId: string }).orderId,
  });
  const timeline = async (orderId: string) =>
    (await sys.consumerRecord(keys.timeline(orderId))) as
      | { entries?: string[]; lastSequence?: number; missingSequences?: Set<number>; lateEntries?: string[] }
      | undefined;
  const FULL = ['1:OrderPlaced', '2:InventoryReserved', '3:PaymentCharged', '4:ShipmentArranged', '5:OrderConfirmed'];
  const VERSIONS = [1, 2, 3, 4, 5];

  it("scenario 9 on the real route: one order's poisoned event holds only that order's timeline, is parked in the FIFO DLQ, and leaves a recorded gap", async () => {
    const sku = sys.uniqueId('s9-sku');
    await sys.seedStock(sku, 4);
    const poisoned = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
    const healthy = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
    const a = poisoned.data.orderId;
    const b = healthy.data.orderId;

    // Only A's PaymentCharged (version 3) fails, on every attempt: the rest of A's events are fine.
    const ruleId = sys.uniqueId('s9-route');
    const off = await sys.injectFaults(sys.uniqueId('fifo-faults-route'), [
      { id: ruleId, target: TIMELINE, mode: 'throw', orderIds: [a], eventTypes: ['PaymentCharged'] },
    ]);
    let parked: Message[];
    try {
      await sys.placeOrder(poisoned);
      await sys.placeOrder(healthy);
      expect(await finalStatusOf(sys, a)).toBe('CONFIRMED');
      expect(await finalStatusOf(sys, b)).toBe('CONFIRMED');

      // B's timeline completes, in its own group, while A's waits behind its failing event.
      const done = await eventually(
        () => timeline(b),
        (t) => t?.entries?.length === FULL.length,
        { timeoutMs: 120_000, intervalMs: 1_000, what: `the healthy order ${b} to be applied in full` },
      );
      expect(done?.entries).toEqual(FULL);
      expect(done?.missingSequences).toBeUndefined();
      expect((await sys.consumerRecord(keys.timeline(b)))?.messageGroupIds).toEqual(new Set([b]));
      const waiting = await eventually(
        () => timeline(a),
        (t) => t?.entries?.length === 2,
        { timeoutMs: 30_000, intervalMs: 500, what: `A's events before the poisoned one` },
      );
      expect(waiting?.entries).toEqual(['1:OrderPlaced', '2:InventoryReserved']);
      expect(waiting?.lastSequence).toBe(2);

      parked = await eventually(
        () =>
          driver.parked(
            TIMELINE,
            (m) => (m.Body?.includes(a) ?? false) && (m.Body?.includes('"type":"PaymentCharged"') ?? false),
          ),
        (messages) => messages.length === 1,
        { timeoutMs: 240_000, intervalMs: 5_000, what: `A's poisoned PaymentCharged in the FIFO DLQ` },
      );
    } finally {
      await off();
    }

    expectParkedByFault(parked[0], { ruleId, consumer: TIMELINE, maxReceiveCount: sys.outputs.MaxReceiveCount });
    expect(parked[0].Attributes?.MessageGroupId).toBe(a);

    // A's group moves on past the parked event: its successors are applied in order, and the gap is recorded.
    const gapped = await eventually(
      () => timeline(a),
      (item) => item?.lastSequence === 5,
      { timeoutMs: 120_000, intervalMs: 1_000, what: `A's events after the gap` },
    );
    expect(gapped?.entries).toEqual(['1:OrderPlaced', '2:InventoryReserved', '4:ShipmentArranged', '5:OrderConfirmed']);
    expect(gapped?.missingSequences).toEqual(new Set([3]));
    expect((await sys.consumerRecord(keys.timeline(a)))?.messageGroupIds).toEqual(new Set([a]));
  });

  it('scenario 9 by hand: a failing message blocks only its own group, is parked in the FIFO DLQ, and the gap it leaves is recorded, not reordered', async () => {
    const poisoned = sys.uniqueId('s9-poisoned');
    const healthy = [sys.uniqueId('s9-healthy'), sys.uniqueId('s9-healthy')];
    const a = VERSIONS.map((version) => stored(poisoned, version));

    // The poisoned order's first two events go through before anything fails.
    await driver.send(TIMELINE, [message(a[0]), message(a[1])]);
    await eventually(
      () => timeline(poisoned),
      (item) => item?.entries?.length === 2,
      { what: "the poisoned order's first events" },
    );

    const ruleId = sys.uniqueId('s9');
    const off = await sys.injectFaults(sys.uniqueId('fifo-faults'), [
      { id: ruleId, target: TIMELINE, mode: 'throw', orderIds: [poisoned] },
    ]);
    let parked: Message[];
    try {
      // v3 fails on every attempt. The healthy orders' events follow it into the queue. (Its successors are sent
      // once the rule is off: the rule hits every event of the order, and a successor riding in v3's batches
      // gathers receives with it, so it would be parked too.)
      await driver.send(TIMELINE, [message(a[2])]);
      const others = healthy.flatMap((orderId) => VERSIONS.map((version) => stored(orderId, version)));
      await driver.send(TIMELINE, others.map(message));

      for (const orderId of healthy) {
        const item = await eventually(
          () => timeline(orderId),
          (t) => t?.entries?.length === FULL.length,
          { timeoutMs: 120_000, intervalMs: 1_000, what: `healthy order ${orderId} to be applied in full` },
        );
        expect(item?.entries).toEqual(FULL);
        expect(item?.missingSequences).toBeUndefined();
      }
      // The healthy groups are done; the poisoned group has not moved past its failing message.
      expect((await timeline(poisoned))?.entries).toEqual(['1:OrderPlaced', '2:InventoryReserved']);

      parked = await eventually(
        () => driver.parked(TIMELINE, (m) => m.Body?.includes(a[2].id) ?? false),
        (messages) => messages.length === 1,
        { timeoutMs: 240_000, intervalMs: 5_000, what: 'the poisoned message in the FIFO DLQ' },
      );
    } finally {
      await off();
    }

    expectParkedByFault(parked[0], { ruleId, consumer: TIMELINE, maxReceiveCount: sys.outputs.MaxReceiveCount });
    // The FIFO DLQ keeps the message in its order's group.
    expect(parked[0].Attributes?.MessageGroupId).toBe(poisoned);

    // The group moves on past the parked message: v4 and v5 are applied in order after the gap.
    await driver.send(TIMELINE, [message(a[3]), message(a[4])]);
    const gapped = await eventually(
      () => timeline(poisoned),
      (item) => item?.lastSequence === 5,
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'the events after the gap' },
    );
    expect(gapped?.entries).toEqual(['1:OrderPlaced', '2:InventoryReserved', '4:ShipmentArranged', '5:OrderConfirmed']);
    expect(gapped?.missingSequences).toEqual(new Set([3]));

    // Redriven after its successors (twice, as a crashed redrive would), the parked event is late: kept apart, once.
    await driver.send(TIMELINE, [{ body: parked[0].Body ?? '', groupId: poisoned }]);
    await driver.send(TIMELINE, [{ body: parked[0].Body ?? '', groupId: poisoned }]);
    const filled = await eventually(
      () => timeline(poisoned),
      (item) => item?.lateEntries !== undefined,
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'the redriven event to be applied' },
    );
    await sleep(3_000);
    const final = await timeline(poisoned);
    expect(final?.entries).toEqual(gapped?.entries);
    expect(final?.lateEntries).toEqual(['3:PaymentCharged']);
    expect(final?.missingSequences).toBeUndefined();
    expect(filled?.lastSequence).toBe(5);
  });
});
