import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { applyEvent, type OrderSummary } from '../../lambdas/projector/order-summary';
import { newEvent, ORDER_SERVICE_SOURCE } from '../../lambdas/shared/envelope';
import { appendPut, storedEnvelope } from '../../lambdas/shared/event-store';
import { anOrder, eventually, finalStatusOf, system } from './support/system';

describe('event store and projection', () => {
  it('rejects a write at a stale version, and the read model equals the fold of the stored events', async () => {
    const sys = system();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 2);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 12.5 }] });
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CONFIRMED');

    const stored = await sys.storedEvents(order.data.orderId);
    expect(stored.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);

    // A writer that still believes the aggregate is at version 2 appends "version 3".
    const stale = newEvent({
      type: 'PaymentRefunded',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: order.data.orderId, paymentId: 'stale', amount: 1 },
    });
    const error = await sys.ddb
      .send(
        new TransactWriteCommand({
          TransactItems: [appendPut(sys.output('EventStoreTableName'), order.data.orderId, 3, stale)],
        }),
      )
      .catch((e: Error) => e);
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect((await sys.storedEvents(order.data.orderId)).find((e) => e.version === 3)?.eventId).toBe(stored[2].eventId);

    const folded = stored.reduce<OrderSummary | undefined>(
      (state, item) => applyEvent(state, storedEnvelope(item), item.version),
      undefined,
    );
    const readModel = await eventually(
      () => sys.readModel(order.data.orderId),
      (item) => item?.lastVersion === 5,
      { what: 'the projector to apply all five events' },
    );
    expect(readModel).toEqual(folded);
  });
});
