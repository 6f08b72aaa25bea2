import { describe, expect, it } from 'vitest';
import { type DemoRun, demoPassed, reportLines, runDemo, scenarioFor } from '../../scripts/demo';
import type { System } from '../../scripts/lib/order-system';

const run = (report: Partial<DemoRun['report']> = {}): DemoRun =>
  ({
    run: 'r1',
    orders: Array.from({ length: 3 }, () => ({ order: {}, scenario: 'ok' })),
    duplicates: [{}],
    poisonBody: '{',
    parked: ['EmailDlq: { → InvalidEventError: Body is not valid JSON'],
    report: {
      byStatus: { CONFIRMED: 2, CANCELLED: 1 },
      cancelReasons: { 'ChargePayment: CARD_DECLINED': 1 },
      compensations: { InventoryReleased: 1, PaymentRefunded: 0, ShipmentCancelled: 0, OrderCancelled: 1 },
      doubleApplied: 0,
      mismatches: [],
      duplicatesSuppressed: 1,
      latency: { n: 3, p50: 10, p95: 20, p99: 30 },
      ...report,
    },
  }) as unknown as DemoRun;

describe('the demo report', () => {
  it('prints every figure of the run in the layout npm start has always printed', () => {
    expect(reportLines(run(), 12_345)).toEqual([
      '================ order-flow demo report ================',
      'orders placed            3 (+1 duplicate deliveries, 1 poison message)',
      '  CONFIRMED              2',
      '  CANCELLED              1',
      'cancellation reasons',
      '  ChargePayment: CARD_DECLINED             1',
      'compensations run',
      '  InventoryReleased      1',
      '  PaymentRefunded        0',
      '  ShipmentCancelled      0',
      '  OrderCancelled         1',
      'duplicates suppressed    1/1 (orders with a repeated event in the store: 0)',
      'expectation mismatches   0',
      'dead-letter queues (messages of this run)',
      '  EmailDlq: { → InvalidEventError: Body is not valid JSON',
      'end-to-end latency       p50 10 ms, p95 20 ms, p99 30 ms (OrderPlaced → final event, 3 orders)',
      'wall time                12.3 s',
      '=========================================================',
    ]);
  });

  it('fails the run on a mismatch or an event applied twice, and only then', () => {
    expect(demoPassed(run())).toBe(true);
    expect(demoPassed(run({ mismatches: ['o1 (ok) ended CANCELLED'] }))).toBe(false);
    expect(demoPassed(run({ doubleApplied: 1 }))).toBe(false);
    expect(reportLines(run({ mismatches: ['a', 'b'] }), 0)).toContain('expectation mismatches   2: a; b');
  });

  it('mixes every scenario into the first eight orders', () => {
    expect(Array.from({ length: 8 }, (_, i) => scenarioFor(i))).toEqual([
      'ok',
      'ok',
      'ok',
      'declined',
      'ok',
      'out-of-stock',
      'ok',
      'unserviceable',
    ]);
  });

  it('refuses an order count that is not a whole number ≥ 1 before it touches the system', async () => {
    const untouched = {} as System;
    await expect(runDemo(untouched, { orders: 0 })).rejects.toThrow(/whole number of orders ≥ 1, got 0/);
    await expect(runDemo(untouched, { orders: 2.5 })).rejects.toThrow(/got 2.5/);
  });
});
