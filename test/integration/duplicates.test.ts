import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/shared/keys';
import { anOrder, eventually, finalStatusOf, system } from './support/system';

describe('duplicate delivery', () => {
  it('applies every side effect once when the same OrderPlaced event (same id) is delivered twice', async () => {
    const sys = system();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const order = anOrder(sys, { items: [{ sku, quantity: 4, unitPrice: 50 }] });
    // Two deliveries of one event, as an at-least-once producer retry would make them.
    await sys.placeOrder(order);
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CONFIRMED');
    // Both saga executions must have finished before counting effects.
    const executions = await eventually(
      () => sys.executionsOf(order.data.orderId),
      (list) => list.length === 2 && list.every((e) => e.status !== 'RUNNING'),
      { what: 'both saga executions to finish' },
    );
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);

    expect(await sys.stockOf(sku)).toBe(6);
    const types = (await sys.storedEvents(order.data.orderId)).map((e) => e.type);
    expect(types).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed']);

    const loyalty = await eventually(
      () => sys.consumerRecord(keys.loyalty(order.data.customerId)),
      (item) => item !== undefined,
      { what: 'loyalty points' },
    );
    const email = await eventually(
      () => sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed')),
      (item) => item !== undefined,
      { what: 'the confirmation e-mail' },
    );
    // Give any second delivery time to land before asserting it did not.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await sys.consumerRecord(keys.loyalty(order.data.customerId)))?.points).toBe(200);
    expect((await sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed')))?.sends).toBe(1);
    expect(loyalty?.orders).toBe(1);
    expect(email?.sends).toBe(1);
  });
});
