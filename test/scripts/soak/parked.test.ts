import { describe, expect, it } from 'vitest';
import {
  checkInvariants,
  type InvariantFacts,
  type OrderInvariantFacts,
  type ParkedMessage,
} from '../../../scripts/lib/invariants';
import { DEFAULT_RATES, planOrder } from '../../../scripts/lib/soak/plan';
import { formatSoakTable, type SoakResult, soakPassed, tally } from '../../../scripts/lib/soak/run';

/**
 * The soak's parked accounting (issue 16 points 3 and 4), from the real invariant check to the table and
 * the verdict: a DLQ message counts for an order only when its envelope names that order, event and
 * consumer, so a leftover of an earlier run cannot absorb this run's loss; and a fault-free order with a
 * message in a DLQ fails the run.
 */
const RUN = 'pk';
const NO_RATES = Object.fromEntries(Object.keys(DEFAULT_RATES).map((k) => [k, 0])) as typeof DEFAULT_RATES;
const plans = Array.from({ length: 3 }, (_, i) => planOrder(RUN, i, NO_RATES, []));

/** A confirmed order of 40 EUR (no loyalty) whose every consumer applied its effect once. */
function confirmed(orderId: string): OrderInvariantFacts {
  const types = ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'];
  const customerId = `${orderId}-customer`;
  return {
    orderId,
    events: types.map((type, i) => ({
      version: i + 1,
      type,
      eventId: `${orderId}-e${i + 1}`,
      data: { orderId, customerId, total: 40, items: [{ sku: 'mug', quantity: 1, unitPrice: 40 }] },
    })),
    order: { status: 'CONFIRMED' },
    payment: { status: 'CHARGED' },
    reservation: { status: 'RESERVED' },
    emails: { OrderConfirmed: 1 },
    analytics: { events: 1, types: ['OrderConfirmed'] },
    timeline: types.map((t, i) => `${i + 1}:${t}`),
  };
}

const emailMessage = (orderId: string, over: Partial<ParkedMessage> = {}): ParkedMessage => ({
  dlq: 'EmailDlq',
  consumers: ['email'],
  orderId,
  eventId: `${orderId}-e5`,
  eventType: 'OrderConfirmed',
  reason: 'InjectedFault: poisoned',
  body: JSON.stringify({ id: `${orderId}-e5`, type: 'OrderConfirmed', data: { orderId } }),
  ...over,
});

function run(orders: OrderInvariantFacts[], parked: ParkedMessage[]): SoakResult {
  const facts: InvariantFacts = { orders, loyalty: {}, stockAfter: {}, stockBefore: {}, parked, unseen: [] };
  const report = checkInvariants(facts);
  return {
    run: RUN,
    rules: [],
    fired: [],
    placedSeconds: 1,
    drainedSeconds: 1,
    ...tally(plans, [], { report, parked, settled: true }, [], []),
  };
}

describe('soak parked accounting', () => {
  const ids = plans.map((p) => p.orderId);

  it('passes fault-free orders with every effect applied and another run’s leftovers in the DLQs', () => {
    const leftovers = [emailMessage('soak-old-0'), emailMessage('soak-old-1', { dlq: 'OrderTimelineDlq' })];
    const result = run(ids.map(confirmed), leftovers);
    expect(result.faultFreeParked).toEqual([]);
    expect(result.otherDeadLetters).toBe(2);
    expect(result.report.other).toHaveLength(2);
    expect(result.rows.find((r) => r.scenario === '(no fault)')).toMatchObject({ planned: 3, recovered: 3, parked: 0 });
    expect(soakPassed(result)).toBe(true);
    expect(formatSoakTable(result)).toContain(
      "fault-free orders parked: 0 (must be 0)\nother DLQ messages (not this run's, ignored): 2",
    );
  });

  it('a leftover DLQ message of another run cannot absorb this run’s loss: lost 1, and the run fails', () => {
    const orders = ids.map(confirmed);
    orders[1] = { ...orders[1], emails: {} }; // its e-mail never happened, and nothing of it was parked
    // Same DLQ, consumer and event type, even the same event id suffix: only the order id differs.
    const result = run(orders, [emailMessage('soak-old-1')]);
    expect(result.report.orders[1].lost).toEqual([
      `email OrderConfirmed (event ${ids[1]}-e5) neither applied nor parked`,
    ]);
    expect(result.rows.find((r) => r.scenario === '(no fault)')).toMatchObject({ lost: 1, parked: 0 });
    expect(result.total.lost).toBe(1);
    expect(result.otherDeadLetters).toBe(1);
    expect(soakPassed(result)).toBe(false);
  });

  it('the same missing effect with its own message parked is parked, not lost, and a fault-free order parked fails the run', () => {
    const orders = ids.map(confirmed);
    orders[1] = { ...orders[1], emails: {} };
    const result = run(orders, [emailMessage(ids[1])]);
    expect(result.total.lost).toBe(0);
    expect(result.report.ok).toBe(true);
    expect(result.faultFreeParked).toEqual([`${ids[1]}: email OrderConfirmed in EmailDlq: InjectedFault: poisoned`]);
    expect(formatSoakTable(result)).toContain('fault-free orders parked: 1 (must be 0)');
    expect(soakPassed(result)).toBe(false);
  });

  it('a fault-free order’s message in a DLQ counts even when its effect was applied (a second copy parked)', () => {
    const result = run(ids.map(confirmed), [emailMessage(ids[2], { reason: 'WrongEventTypeError: x' })]);
    expect(result.report.ok).toBe(true);
    expect(result.report.orders[2].parked).toEqual([]);
    expect(result.faultFreeParked).toEqual([`${ids[2]}: email OrderConfirmed in EmailDlq: WrongEventTypeError: x`]);
    expect(soakPassed(result)).toBe(false);
  });
});
