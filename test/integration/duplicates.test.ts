import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

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
    // One execution ran the order; the other found it taken and stopped without compensating.
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const outputs = executions.map((e) => JSON.stringify(JSON.parse(e.output ?? '{}').results?.AcceptOrder ?? {}));
    expect(outputs.filter((o) => o.includes('DUPLICATE_ORDER'))).toHaveLength(1);

    expect(await sys.stockOf(sku)).toBe(6);
    const types = (await sys.storedEvents(order.data.orderId)).map((e) => e.type);
    expect(types).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed']);

    await eventually(
      () => sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed')),
      (item) => item !== undefined,
      { what: 'the confirmation e-mail' },
    );
    // Give a second delivery, if there were one, time to land before asserting there was none.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await sys.consumerRecord(keys.loyalty(order.data.customerId))).toMatchObject({ points: 200, orders: 1 });
    expect(await sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed'))).toMatchObject({ sends: 1 });
  });
});
