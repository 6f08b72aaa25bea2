import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN, LOYALTY_MIN_TOTAL } from '../../lambdas/contracts/order-rules';
import { anOrder, eventually, finalStatusOf, type System, system } from './support/system';

/**
 * The saga end to end on the local engine: EventBridge starts it, each step
 * writes real state to DynamoDB, outcomes go back to the bus through the event
 * store's stream and fan out through SNS to the consumers.
 */
describe('order saga', () => {
  let sys: System;
  beforeAll(() => {
    sys = system();
  });

  it('confirms an order: stock decremented once, one payment, every fan-out consumer ran, loyalty only for a big order', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const big = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 75 }] });
    const small = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 20 }] });
    expect(big.data.total).toBeGreaterThanOrEqual(LOYALTY_MIN_TOTAL);
    expect(small.data.total).toBeLessThan(LOYALTY_MIN_TOTAL);
    await Promise.all([sys.placeOrder(big), sys.placeOrder(small)]);

    expect(await finalStatusOf(sys, big.data.orderId)).toBe('CONFIRMED');
    expect(await finalStatusOf(sys, small.data.orderId)).toBe('CONFIRMED');
    expect(await sys.stockOf(sku)).toBe(10 - 2 - 1);
    expect(await sys.serviceRecord(keys.payment(big.data.orderId))).toMatchObject({ status: 'CHARGED', amount: 150 });
    expect(await sys.serviceRecord(keys.shipment(big.data.orderId))).toMatchObject({ status: 'ARRANGED' });

    for (const order of [big, small]) {
      const email = await eventually(
        () => sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed')),
        (item) => item !== undefined,
        { what: `the confirmation e-mail of ${order.data.orderId}` },
      );
      expect(email?.sends).toBe(1);
      const analytics = await eventually(
        () => sys.consumerRecord(keys.analytics(order.data.orderId)),
        (item) => item !== undefined,
        { what: `analytics of ${order.data.orderId}` },
      );
      expect(analytics?.events).toBe(1);
    }
    const loyalty = await eventually(
      () => sys.consumerRecord(keys.loyalty(big.data.customerId)),
      (item) => item !== undefined,
      { what: 'loyalty points for the big order' },
    );
    expect(loyalty).toMatchObject({ points: 150, orders: 1 });
    // The small order's confirmation reached the other consumers above, so the
    // loyalty queue had the same chance to receive it: the filter kept it out.
    expect(await sys.consumerRecord(keys.loyalty(small.data.customerId))).toBeUndefined();

    const [execution] = await sys.executionsOf(big.data.orderId);
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('compensates a declined card: stock restored, no payment stands, order cancelled, cancellation fanned out', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 3, unitPrice: 10 }], paymentToken: DECLINED_PAYMENT_TOKEN });
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(5);
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toMatchObject({ status: 'DECLINED' });
    expect(await sys.serviceRecord(keys.reservation(order.data.orderId))).toMatchObject({ status: 'RELEASED' });
    const email = await eventually(
      () => sys.consumerRecord(keys.email(order.data.orderId, 'OrderCancelled')),
      (item) => item !== undefined,
      { what: 'the cancellation e-mail' },
    );
    expect(email?.sends).toBe(1);
    const types = (await sys.storedEvents(order.data.orderId)).map((e) => e.type);
    expect(types).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentDeclined',
      'InventoryReleased',
      'OrderCancelled',
    ]);
  });

  it('refunds and releases when shipping fails after the payment', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 40 }], shipToCountry: 'AQ' });
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(5);
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toMatchObject({ status: 'REFUNDED', amount: 40 });
    const types = (await sys.storedEvents(order.data.orderId)).map((e) => e.type);
    expect(types).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentCharged',
      'ShipmentRejected',
      'PaymentRefunded',
      'InventoryReleased',
      'OrderCancelled',
    ]);
  });

  it('rejects an order for a SKU out of stock without touching stock or payment', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 1);
    const order = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 10 }] });
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(1);
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toBeUndefined();
    const readModel = await eventually(
      () => sys.readModel(order.data.orderId),
      (item) => item?.status === 'CANCELLED',
      { what: 'the read model to show the cancellation' },
    );
    expect(readModel?.cancelReason).toBe(`ReserveInventory: OUT_OF_STOCK: ${sku}`);
  });
});
