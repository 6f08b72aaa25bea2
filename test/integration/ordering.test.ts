import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/shared/keys';
import { anOrder, eventually, finalStatusOf, system } from './support/system';

describe('ordered consumer (FIFO queue, message group = order id)', () => {
  it('receives the events of one order in the order they happened', async () => {
    const sys = system();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 3);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CONFIRMED');

    const expected = ['-:OrderPlaced', '2:InventoryReserved', '3:PaymentCharged', '4:ShipmentArranged', '5:OrderConfirmed'];
    const timeline = await eventually(
      () => sys.consumerRecord(keys.timeline(order.data.orderId)),
      (item) => (item?.entries as string[] | undefined)?.length === expected.length,
      { what: 'the ordered consumer to see all five events' },
    );
    // OrderPlaced comes straight from checkout (no store version); the rest carry
    // their event-store version, so the list shows order and completeness at once.
    expect(timeline?.entries).toEqual(expected);
  });
});
