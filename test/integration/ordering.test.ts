import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/shared/keys';
import { knownEngineGap } from './support/engine-gaps';
import { anOrder, eventually, finalStatusOf, system } from './support/system';

describe('ordered consumer (FIFO queue, message group = order id)', () => {
  const expected = [
    '-:OrderPlaced',
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
    // OrderPlaced comes straight from checkout (no store version); the rest carry
    // their event-store version, so the list shows order and completeness at once.
    expect(timeline?.entries).toEqual(expected);
  });

  knownEngineGap('eventbridge-fifo-message-group-path', ['ministack'])(
    'delivers every event of the order in the message group named by its order id',
    () => {
      // AWS resolves the target's MessageGroupId path `$.detail.data.orderId` per event.
      expect(timeline?.messageGroupIds).toEqual(new Set([orderId]));
    },
  );
});
