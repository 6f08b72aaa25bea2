import { describe, expect, it } from 'vitest';
import { isSustainable } from '../../scripts/lib/bench/pipeline';
import { auditOrder } from '../../scripts/lib/order-audit';
import { SAGA_EVENTS } from '../support/saga-events';

const stream = (...types: string[]) => types.map((type, i) => ({ version: i + 1, type }));
const confirmed = stream(...SAGA_EVENTS.confirmed);

describe('auditOrder', () => {
  it('passes a confirmed order and a fully compensated one', () => {
    expect(auditOrder({ orderId: 'a', events: confirmed, recordStatus: 'CONFIRMED' })).toEqual({
      orderId: 'a',
      finalStatus: 'CONFIRMED',
      violations: [],
      leftUndone: [],
    });
    const refunded = stream(...SAGA_EVENTS.shipmentRejected);
    expect(auditOrder({ orderId: 'b', events: refunded, recordStatus: 'CANCELLED' }).violations).toEqual([]);
  });

  it('flags an effect applied twice, a half compensation, a gap and a record that disagrees', () => {
    const twice = stream('OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'PaymentCharged', 'OrderCancelled');
    expect(auditOrder({ orderId: 'c', events: twice, recordStatus: 'CANCELLED' }).violations).toEqual([
      'PaymentCharged recorded 2 times',
      'charged but not refunded',
      'stock reserved but not released',
    ]);
    const gap = [
      { version: 1, type: 'OrderPlaced' },
      { version: 3, type: 'OrderConfirmed' },
    ];
    expect(auditOrder({ orderId: 'd', events: gap, recordStatus: 'PENDING' }).violations).toEqual([
      'record says PENDING, events say CONFIRMED',
      'confirmed without one charge',
      'versions 1,3 are not 1..2',
    ]);
  });

  it('treats a NEEDS_ATTENTION order as finished, not broken, and lists what its failed compensation left', () => {
    // The refund failed; the saga still released the stock, and CancelOrder left the order alone.
    const refundFailed = stream(...SAGA_EVENTS.refundFailed);
    expect(auditOrder({ orderId: 'e', events: refundFailed, recordStatus: 'NEEDS_ATTENTION' })).toEqual({
      orderId: 'e',
      finalStatus: 'NEEDS_ATTENTION',
      violations: [],
      leftUndone: ['payment charged, not refunded'],
    });
    // An operator re-ran the refund: nothing left.
    const finished = stream(...refundFailed.map((e) => e.type), 'PaymentRefunded');
    expect(auditOrder({ orderId: 'e', events: finished, recordStatus: 'NEEDS_ATTENTION' }).leftUndone).toEqual([]);
    // Cancelling a needs-attention order as well would hide what it holds: two final events.
    const cancelledToo = stream(...refundFailed.map((e) => e.type), 'OrderCancelled');
    expect(auditOrder({ orderId: 'f', events: cancelledToo, recordStatus: 'NEEDS_ATTENTION' }).violations).toEqual([
      '2 final events',
    ]);
  });
});

describe('isSustainable', () => {
  const step = {
    offeredPerSecond: 2,
    orders: 60,
    completedPerSecond: 1.9,
    latencyMs: { p50: 800, p95: 1500, p99: 2000 },
    unfinished: 0,
  };

  it('accepts a step the pipeline kept up with', () => {
    expect(isSustainable(step, 1200)).toBe(true);
  });

  it('refuses a step with unfinished orders, falling throughput or tail latency that grew', () => {
    expect(isSustainable({ ...step, unfinished: 1 }, 1200)).toBe(false);
    expect(isSustainable({ ...step, completedPerSecond: 1.2 }, 1200)).toBe(false);
    expect(isSustainable({ ...step, latencyMs: { ...step.latencyMs, p95: 9000 } }, 1200)).toBe(false);
  });
});
