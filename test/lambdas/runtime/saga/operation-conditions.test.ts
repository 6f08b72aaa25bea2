import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN, UNSERVICEABLE_COUNTRIES } from '../../../../lambdas/contracts/order-rules';
import { storedEnvelope } from '../../../../lambdas/event-store/event-store';
import { releaseInventory, reserveInventory } from '../../../../lambdas/inventory-service/stock';
import {
  acceptOrder,
  cancelOrder,
  confirmOrder,
  markNeedsAttention,
} from '../../../../lambdas/order-service/order-lifecycle';
import { chargePayment, refundPayment } from '../../../../lambdas/payment-service/payments';
import type { SagaDeps, SagaOperation, SagaOperationInput } from '../../../../lambdas/runtime/saga/operation';
import { arrangeShipment, cancelShipment } from '../../../../lambdas/shipping-service/shipments';
import { orderPlaced } from '../../../support/events';
import { inMemoryEventStore } from '../../../support/in-memory-event-store';

/**
 * The write conditions of every saga operation (lambdas/runtime/saga/service-records.ts
 * `putIfAbsent` / `transitionStatus`, and the stock decrement's `available >= :q`),
 * each both holding and failing, against the in-memory event store that applies
 * them as DynamoDB would (all or nothing per transaction). A failing condition is
 * reached the way it is in production: by the record being there already, in the
 * wrong status, or written by a concurrent attempt between the operation's read
 * and its transaction (two calls at once: both read "absent", one transaction wins).
 * The integration tests (test/integration/order-saga.test.ts, saga-faults.test.ts)
 * run the same code on the engine.
 */

let db: ReturnType<typeof inMemoryEventStore>;
let deps: SagaDeps;
const STATE = 'state';

beforeEach(() => {
  db = inMemoryEventStore();
  deps = { ddb: db.ddb, eventStore: { eventTable: 'events' }, orderServiceTable: STATE, now: () => new Date(0) };
});

const input = (overrides: Parameters<typeof orderPlaced>[0] = {}, executionId = 'exec-1'): SagaOperationInput => ({
  order: orderPlaced({ orderId: 'o-1', ...overrides }),
  executionId,
});
const record = async (key: { pk: string; sk: string }) =>
  (await deps.ddb.send(new GetCommand({ TableName: STATE, Key: key }))).Item;
const events = () => db.items('events').map((i) => storedEnvelope(i as never).type);
const seed = (key: { pk: string; sk: string }, item: Record<string, unknown>) =>
  db.put(STATE, { ...key, ...item } as never);
const stock = async (sku: string) => (await record(keys.stock(sku)))?.available;
/** Two calls at once: both read before either writes, so one transaction meets the other's record. */
const race = (operation: SagaOperation, a: SagaOperationInput, b: SagaOperationInput = a) =>
  Promise.all([operation(a, deps), operation(b, deps)]);

describe('reserve (ReserveInventory): reservation absent, and stock ≥ quantity per SKU', () => {
  const items = [
    { sku: 'A', quantity: 2, unitPrice: 1 },
    { sku: 'B', quantity: 1, unitPrice: 1 },
  ];

  it('holds: reserves every SKU and records the reservation with InventoryReserved', async () => {
    seed(keys.stock('A'), { available: 2 });
    seed(keys.stock('B'), { available: 5 });
    await expect(reserveInventory(input({ items }), deps)).resolves.toEqual({ ok: true });
    expect([await stock('A'), await stock('B')]).toEqual([0, 4]);
    expect(await record(keys.reservation('o-1'))).toMatchObject({ status: 'RESERVED', items });
    expect(events()).toEqual(['InventoryReserved']);
  });

  it('fails on one short SKU: nothing is taken from any SKU, the rejection is recorded instead', async () => {
    seed(keys.stock('A'), { available: 1 });
    seed(keys.stock('B'), { available: 5 });
    await expect(reserveInventory(input({ items }), deps)).resolves.toEqual({ ok: false, reason: 'OUT_OF_STOCK: A' });
    expect([await stock('A'), await stock('B')]).toEqual([1, 5]);
    expect(await record(keys.reservation('o-1'))).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK: A' });
    expect(events()).toEqual(['InventoryRejected']);
  });

  it('fails for a SKU that has no stock record at all', async () => {
    seed(keys.stock('A'), { available: 9 });
    await expect(reserveInventory(input({ items }), deps)).resolves.toEqual({ ok: false, reason: 'OUT_OF_STOCK: B' });
    expect(await stock('A')).toBe(9);
  });

  it('fails when a concurrent attempt reserved first: stock is taken once, both answer the same', async () => {
    seed(keys.stock('A'), { available: 10 });
    seed(keys.stock('B'), { available: 10 });
    const results = await race(reserveInventory, input({ items }));
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect([await stock('A'), await stock('B')]).toEqual([8, 9]);
    expect(events()).toEqual(['InventoryReserved']);
  });
});

describe('release (ReleaseInventory, compensation): reservation RESERVED → RELEASED', () => {
  const items = [{ sku: 'A', quantity: 3, unitPrice: 1 }];

  it('holds: gives the stock back and records InventoryReleased', async () => {
    seed(keys.stock('A'), { available: 0 });
    seed(keys.reservation('o-1'), { status: 'RESERVED', items });
    await expect(releaseInventory(input({ items }), deps)).resolves.toEqual({ ok: true, detail: { released: true } });
    expect(await stock('A')).toBe(3);
    expect(await record(keys.reservation('o-1'))).toMatchObject({
      status: 'RELEASED',
      releasedAt: new Date(0).toISOString(),
    });
    expect(events()).toEqual(['InventoryReleased']);
  });

  it('fails when a concurrent release moved it first: the stock comes back once, not twice', async () => {
    seed(keys.stock('A'), { available: 0 });
    seed(keys.reservation('o-1'), { status: 'RESERVED', items });
    await race(releaseInventory, input({ items }));
    expect(await stock('A')).toBe(3);
    expect(events()).toEqual(['InventoryReleased']);
  });

  it('has nothing to give back for a rejected, released or missing reservation', async () => {
    seed(keys.stock('A'), { available: 0 });
    for (const status of ['REJECTED', 'RELEASED', undefined]) {
      if (status) seed(keys.reservation('o-1'), { status, items });
      else db = inMemoryEventStore();
      deps.ddb = db.ddb;
      await expect(releaseInventory(input({ items }), deps)).resolves.toEqual({
        ok: true,
        detail: { released: false },
      });
    }
    expect(events()).toEqual([]);
  });
});

describe('charge (ChargePayment): payment absent', () => {
  it('holds: records the charge once with PaymentCharged', async () => {
    const result = await chargePayment(input(), deps);
    expect(result).toMatchObject({ ok: true, detail: { paymentId: expect.any(String) } });
    expect(await record(keys.payment('o-1'))).toMatchObject({ status: 'CHARGED', amount: 60 });
    expect(events()).toEqual(['PaymentCharged']);
  });

  it('records a decline the same way (a business answer, kept)', async () => {
    await expect(chargePayment(input({ paymentToken: DECLINED_PAYMENT_TOKEN }), deps)).resolves.toEqual({
      ok: false,
      reason: 'CARD_DECLINED',
    });
    expect(await record(keys.payment('o-1'))).toMatchObject({ status: 'DECLINED' });
    expect(events()).toEqual(['PaymentDeclined']);
  });

  it('fails when a concurrent attempt charged first: one charge, both answer with its payment id', async () => {
    const [a, b] = await race(chargePayment, input());
    const stored = await record(keys.payment('o-1'));
    expect(a).toEqual({ ok: true, detail: { paymentId: stored?.paymentId } });
    expect(b).toEqual(a);
    expect(events()).toEqual(['PaymentCharged']);
  });

  it('keeps a decline when a retry would now be approved: the first answer stands', async () => {
    await chargePayment(input({ paymentToken: DECLINED_PAYMENT_TOKEN }), deps);
    await expect(chargePayment(input(), deps)).resolves.toEqual({ ok: false, reason: 'CARD_DECLINED' });
    expect(events()).toEqual(['PaymentDeclined']);
  });
});

describe('refund (RefundPayment, compensation): payment CHARGED → REFUNDED', () => {
  it('holds: refunds once with PaymentRefunded', async () => {
    seed(keys.payment('o-1'), { status: 'CHARGED', paymentId: 'p-1', amount: 60 });
    await expect(refundPayment(input(), deps)).resolves.toEqual({ ok: true, detail: { refunded: true } });
    expect(await record(keys.payment('o-1'))).toMatchObject({
      status: 'REFUNDED',
      refundedAt: new Date(0).toISOString(),
    });
    expect(events()).toEqual(['PaymentRefunded']);
  });

  it('fails when a concurrent refund moved it first: refunded once', async () => {
    seed(keys.payment('o-1'), { status: 'CHARGED', paymentId: 'p-1', amount: 60 });
    await race(refundPayment, input());
    expect(events()).toEqual(['PaymentRefunded']);
  });

  it('refunds nothing that was not charged (declined, refunded, missing)', async () => {
    seed(keys.payment('o-1'), { status: 'DECLINED', paymentId: 'p-1', amount: 60 });
    await expect(refundPayment(input(), deps)).resolves.toEqual({ ok: true, detail: { refunded: false } });
    seed(keys.payment('o-1'), { status: 'REFUNDED', paymentId: 'p-1', amount: 60 });
    await expect(refundPayment(input(), deps)).resolves.toEqual({ ok: true, detail: { refunded: false } });
    expect(events()).toEqual([]);
  });
});

describe('ship (ArrangeShipment): shipment absent', () => {
  it('holds: arranges one shipment with ShipmentArranged', async () => {
    await expect(arrangeShipment(input(), deps)).resolves.toMatchObject({ ok: true });
    expect(await record(keys.shipment('o-1'))).toMatchObject({ status: 'ARRANGED' });
    expect(events()).toEqual(['ShipmentArranged']);
  });

  it('records a destination the carrier cannot serve as REJECTED', async () => {
    const country = UNSERVICEABLE_COUNTRIES[0];
    await expect(arrangeShipment(input({ shipToCountry: country }), deps)).resolves.toEqual({
      ok: false,
      reason: `UNSERVICEABLE_DESTINATION: ${country}`,
    });
    expect(events()).toEqual(['ShipmentRejected']);
  });

  it('fails when a concurrent attempt arranged first: one shipment, both answer with its id', async () => {
    const [a, b] = await race(arrangeShipment, input());
    expect(a).toEqual({ ok: true, detail: { shipmentId: (await record(keys.shipment('o-1')))?.shipmentId } });
    expect(b).toEqual(a);
    expect(events()).toEqual(['ShipmentArranged']);
  });
});

describe('cancel shipment (CancelShipment, compensation): shipment ARRANGED → CANCELLED', () => {
  it('holds: cancels once with ShipmentCancelled', async () => {
    seed(keys.shipment('o-1'), { status: 'ARRANGED', shipmentId: 's-1' });
    await expect(cancelShipment(input(), deps)).resolves.toEqual({ ok: true, detail: { cancelled: true } });
    expect(await record(keys.shipment('o-1'))).toMatchObject({ status: 'CANCELLED' });
    expect(events()).toEqual(['ShipmentCancelled']);
  });

  it('fails when a concurrent cancel moved it first: cancelled once', async () => {
    seed(keys.shipment('o-1'), { status: 'ARRANGED', shipmentId: 's-1' });
    await race(cancelShipment, input());
    expect(events()).toEqual(['ShipmentCancelled']);
  });

  it('cancels nothing for a rejected or missing shipment', async () => {
    await expect(cancelShipment(input(), deps)).resolves.toEqual({ ok: true, detail: { cancelled: false } });
    seed(keys.shipment('o-1'), { status: 'REJECTED', shipmentId: 's-1' });
    await expect(cancelShipment(input(), deps)).resolves.toEqual({ ok: true, detail: { cancelled: false } });
    expect(events()).toEqual([]);
  });
});

// acceptOrder's condition (order record absent) failing for a duplicate, a conflict and the owner's own retry is
// covered in test/lambdas/order-service/order-lifecycle.test.ts; here the race, where both read nothing first.
describe('accept (AcceptOrder): order record absent', () => {
  it('holds for one of two concurrent executions; the other is told it is a duplicate', async () => {
    const [a, b] = await Promise.all([acceptOrder(input({}, 'exec-1'), deps), acceptOrder(input({}, 'exec-2'), deps)]);
    expect(a).toEqual({ ok: true, detail: { recorded: true } });
    expect(b).toEqual({ ok: false, reason: 'DUPLICATE_ORDER: already handled by exec-1', compensate: false });
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'PENDING', sagaExecutionId: 'exec-1' });
    expect(events()).toEqual(['OrderPlaced']);
  });
});

describe('confirm (ConfirmOrder): order PENDING → CONFIRMED', () => {
  it('holds: confirms once with OrderConfirmed', async () => {
    await acceptOrder(input(), deps);
    await expect(confirmOrder(input(), deps)).resolves.toEqual({ ok: true, detail: { recorded: true } });
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'CONFIRMED' });
    expect(events()).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });

  it('fails on a cancelled order: refused, nothing recorded', async () => {
    await acceptOrder(input(), deps);
    await cancelOrder(input(), deps);
    await expect(confirmOrder(input(), deps)).resolves.toEqual({ ok: false, reason: 'ORDER_ALREADY_CANCELLED' });
    expect(events()).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('fails on a missing order', async () => {
    await expect(confirmOrder(input(), deps)).resolves.toEqual({ ok: false, reason: 'ORDER_ALREADY_MISSING' });
    expect(events()).toEqual([]);
  });

  it('fails for the second of two concurrent confirmations: confirmed once, both answer ok', async () => {
    await acceptOrder(input(), deps);
    const [a, b] = await race(confirmOrder, input());
    expect([a, b]).toEqual([
      { ok: true, detail: { recorded: true } },
      { ok: true, detail: { recorded: false } },
    ]);
    expect(events()).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });
});

describe('cancel (CancelOrder, compensation): order PENDING → CANCELLED, or recorded CANCELLED if absent', () => {
  const failure = { step: 'ChargePayment', reason: 'CARD_DECLINED' };

  it('holds on a pending order: cancels once with OrderCancelled and the saga’s reason', async () => {
    await acceptOrder(input(), deps);
    await expect(cancelOrder({ ...input(), failure }, deps)).resolves.toEqual({
      ok: true,
      detail: { status: 'CANCELLED', recorded: true },
    });
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'CANCELLED' });
    expect(events()).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('records an order that was never accepted as CANCELLED (its own condition: record absent)', async () => {
    await expect(cancelOrder({ ...input(), failure }, deps)).resolves.toEqual({
      ok: true,
      detail: { status: 'CANCELLED', accepted: false, recorded: true },
    });
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'CANCELLED', sagaExecutionId: 'exec-1' });
    expect(events()).toEqual(['OrderCancelled']);
  });

  it('fails on an already cancelled order: nothing more recorded', async () => {
    await acceptOrder(input(), deps);
    await cancelOrder(input(), deps);
    await expect(cancelOrder(input(), deps)).resolves.toEqual({
      ok: true,
      detail: { status: 'CANCELLED', recorded: false },
    });
    expect(events()).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('fails on a confirmed order, loudly: a confirmed order is never undone by compensation', async () => {
    await acceptOrder(input(), deps);
    await confirmOrder(input(), deps);
    await expect(cancelOrder(input(), deps)).rejects.toThrow('Order o-1 is already confirmed');
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'CONFIRMED' });
    expect(events()).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });

  it('leaves an order that needs attention as it is', async () => {
    await acceptOrder(input(), deps);
    await markNeedsAttention('ChargePayment')(input(), deps);
    await expect(cancelOrder(input(), deps)).resolves.toEqual({
      ok: true,
      detail: { status: 'NEEDS_ATTENTION', recorded: false },
    });
    expect(events()).toEqual(['OrderPlaced', 'OrderNeedsAttention']);
  });
});

describe('needs attention (onCompensationFailure): order PENDING → NEEDS_ATTENTION, or recorded so if absent', () => {
  const needsAttention = markNeedsAttention('ChargePayment');
  const compensationFailure = { Error: 'Error', Cause: 'refund provider down' };

  it('holds on a pending order: moves it once with OrderNeedsAttention', async () => {
    await acceptOrder(input(), deps);
    await expect(needsAttention({ ...input(), compensationFailure }, deps)).resolves.toEqual({
      ok: true,
      detail: { step: 'ChargePayment', status: 'NEEDS_ATTENTION', recorded: true },
    });
    expect(await record(keys.order('o-1'))).toMatchObject({ status: 'NEEDS_ATTENTION' });
    expect(events()).toEqual(['OrderPlaced', 'OrderNeedsAttention']);
  });

  it('records an order without a record as NEEDS_ATTENTION', async () => {
    await expect(needsAttention(input(), deps)).resolves.toEqual({
      ok: true,
      detail: { step: 'ChargePayment', status: 'NEEDS_ATTENTION', recorded: true },
    });
    expect(events()).toEqual(['OrderNeedsAttention']);
  });

  it('fails on an order already needing attention (a second failed compensation): recorded once', async () => {
    await acceptOrder(input(), deps);
    await needsAttention(input(), deps);
    await expect(markNeedsAttention('ReserveInventory')(input(), deps)).resolves.toEqual({
      ok: true,
      detail: { step: 'ReserveInventory', status: 'NEEDS_ATTENTION', recorded: false },
    });
    expect(events()).toEqual(['OrderPlaced', 'OrderNeedsAttention']);
  });

  it('fails on a confirmed or cancelled order: moves nothing, records nothing', async () => {
    await acceptOrder(input(), deps);
    await confirmOrder(input(), deps);
    await expect(needsAttention(input(), deps)).resolves.toEqual({
      ok: true,
      detail: { step: 'ChargePayment', status: 'CONFIRMED', recorded: false },
    });
    expect(events()).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });
});
