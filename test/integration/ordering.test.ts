import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

/**
 * The relay sends every stored event of an order to the timeline FIFO queue with the order id as
 * message group (lambdas/event-relay/relay.ts): on AWS and on the engine alike, since the relay
 * sets the group itself (SendMessageBatch), rather than an event bus rule whose target group is one
 * fixed string.
 */
describe('ordered consumer (FIFO queue, message group = order id)', () => {
  const expected = [
    '1:OrderPlaced',
    '2:InventoryReserved',
    '3:PaymentCharged',
    '4:ShipmentArranged',
    '5:OrderConfirmed',
  ];
  let orderId: string;
  let timeline: Record<string, unknown> | undefined;

  beforeAll(async () => {
    const sys = system();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 3);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
    orderId = order.data.orderId;
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');
    timeline = await eventually(
      () => sys.consumerRecord(keys.timeline(orderId)),
      (item) => (item?.entries as string[] | undefined)?.length === expected.length,
      { what: 'the ordered consumer to see all five events' },
    );
  });

  it('receives the events of one order in the order they happened', () => {
    // Every event carries its event-store version (OrderPlaced is version 1), so the
    // list shows order and completeness at once.
    expect(timeline?.entries).toEqual(expected);
  });

  it('delivers every event of the order in the message group named by its order id', () => {
    expect(timeline?.messageGroupIds).toEqual(new Set([orderId]));
    expect(timeline?.missingSequences).toBeUndefined();
  });
});
