import { describe, expect, it } from 'vitest';
import { orderOutcomeMetrics } from '../../../lambdas/order-service/order-metrics';

describe('orderOutcomeMetrics', () => {
  const accept = { step: 'AcceptOrder', phase: 'action' } as const;
  const cancel = { step: 'AcceptOrder', phase: 'compensation' } as const;
  const confirm = { step: 'ConfirmOrder', phase: 'action' } as const;

  it('maps the outcomes that changed an order to its business figure', () => {
    expect(orderOutcomeMetrics(accept, { ok: true, detail: { recorded: true } })).toEqual(['OrdersPlaced']);
    expect(orderOutcomeMetrics(confirm, { ok: true, detail: { recorded: true } })).toEqual(['OrdersCompleted']);
    expect(orderOutcomeMetrics(cancel, { ok: true, detail: { status: 'CANCELLED', recorded: true } })).toEqual([
      'OrdersCompensated',
    ]);
  });

  it("counts an order moved to NEEDS_ATTENTION by any step's failed-compensation report, once", () => {
    for (const step of ['AcceptOrder', 'ChargePayment']) {
      const report = { step, phase: 'compensationFailure' } as const;
      expect(
        orderOutcomeMetrics(report, { ok: true, detail: { step, status: 'NEEDS_ATTENTION', recorded: true } }),
      ).toEqual(['OrdersNeedingAttention']);
      // A second failed compensation of the same order, or a retry: already NEEDS_ATTENTION.
      expect(
        orderOutcomeMetrics(report, { ok: true, detail: { step, status: 'NEEDS_ATTENTION', recorded: false } }),
      ).toEqual([]);
      // A confirmed order is not moved (its compensations refused on purpose).
      expect(orderOutcomeMetrics(report, { ok: true, detail: { step, status: 'CONFIRMED', recorded: false } })).toEqual(
        [],
      );
    }
  });

  it('counts a second execution for an owned order as a suppressed duplicate', () => {
    expect(
      orderOutcomeMetrics(accept, { ok: false, reason: 'DUPLICATE_ORDER: already handled by x', compensate: false }),
    ).toEqual(['DuplicatesSuppressed']);
  });

  it('counts a reported order-id conflict once; a repeat of it as a suppressed duplicate', () => {
    const conflict = { ok: false as const, reason: 'ORDER_ID_CONFLICT: order o-1 ...', compensate: false as const };
    expect(orderOutcomeMetrics(accept, { ...conflict, detail: { recorded: true } })).toEqual(['OrderConflicts']);
    expect(orderOutcomeMetrics(accept, { ...conflict, detail: { recorded: false } })).toEqual(['DuplicatesSuppressed']);
  });

  it('counts nothing for outcomes that changed nothing', () => {
    expect(orderOutcomeMetrics(accept, { ok: true, detail: { recorded: false } })).toEqual([]);
    expect(orderOutcomeMetrics(accept, { ok: false, reason: 'INVALID_ORDER: x' })).toEqual([]);
    expect(orderOutcomeMetrics(confirm, { ok: false, reason: 'ORDER_ALREADY_CANCELLED' })).toEqual([]);
    expect(orderOutcomeMetrics(cancel, { ok: true, detail: { status: 'CANCELLED', recorded: false } })).toEqual([]);
    expect(
      orderOutcomeMetrics({ step: 'ChargePayment', phase: 'action' }, { ok: true, detail: { recorded: true } }),
    ).toEqual([]);
  });
});
