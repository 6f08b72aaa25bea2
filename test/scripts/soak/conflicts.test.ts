import { describe, expect, it } from 'vitest';
import { newEvent, type TypedEnvelope } from '../../../lambdas/messages/envelope';
import { contentFingerprint } from '../../../lambdas/messages/fingerprint';
import type { FiredFault } from '../../../scripts/lib/faults/fired';
import type { InvariantReport } from '../../../scripts/lib/invariants';
import {
  ConflictDriver,
  type ConflictFacts,
  type ConflictSent,
  checkConflict,
  conflictingOrder,
  type StoredEnvelope,
  withConflictFindings,
} from '../../../scripts/lib/soak/conflicts';
import { DEFAULT_RATES, planOrder } from '../../../scripts/lib/soak/plan';
import { tally } from '../../../scripts/lib/soak/run';

const first: TypedEnvelope<'OrderPlaced'> = newEvent({
  type: 'OrderPlaced',
  source: 'shop.checkout',
  data: {
    orderId: 'soak-cx-1',
    customerId: 'c-1',
    items: [{ sku: 'mug', quantity: 2, unitPrice: 40 }],
    total: 80,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    shipToCountry: 'DE',
  },
});
const second = conflictingOrder(first);

/** A stored event of the order, as the event store keeps it. */
const stored = (type: string, data: Record<string, unknown>, id = `${type}-id`): StoredEnvelope =>
  ({ ...newEvent({ type: 'OrderPlaced', source: 'shop.orders', data: first.data }), id, type, data }) as StoredEnvelope;

/** What the order service records when the first wins and the second is refused: a confirmed order. */
function refusedFacts(): ConflictFacts {
  const rejection = stored('OrderConflictRejected', {
    orderId: first.data.orderId,
    acceptedFingerprint: contentFingerprint(first),
    rejectedFingerprint: contentFingerprint(second),
    acceptedEventId: first.id,
    rejectedEventId: second.id,
    customerId: 'c-1',
    total: second.data.total,
  });
  return {
    sent: { orderId: first.data.orderId, first, second },
    events: [
      first as unknown as StoredEnvelope,
      stored('InventoryReserved', { orderId: first.data.orderId, items: first.data.items }),
      rejection,
      stored('PaymentCharged', { orderId: first.data.orderId, paymentId: 'p', amount: 80 }),
      stored('ShipmentArranged', { orderId: first.data.orderId }),
      stored('OrderConfirmed', { orderId: first.data.orderId, customerId: 'c-1', total: 80 }),
    ],
    order: { status: 'CONFIRMED', fingerprint: contentFingerprint(first), acceptedEventId: first.id },
    reservation: { status: 'RESERVED', items: first.data.items },
    payment: { status: 'CHARGED', amount: 80 },
    kept: { rejectedEventId: second.id, rejectedEnvelope: JSON.stringify(second) },
  };
}

describe('the soak’s id conflicts', () => {
  it('re-sends the order id with other content under a new event id: a conflict, not a duplicate', () => {
    expect(second.data.orderId).toBe(first.data.orderId);
    expect(second.id).not.toBe(first.id);
    expect(second.data.items).toEqual([{ sku: 'mug', quantity: 3, unitPrice: 40 }]);
    expect(second.data.total).toBe(120);
    expect(contentFingerprint(second)).not.toBe(contentFingerprint(first));
  });

  it('holds when the first stands, the second is refused once, kept whole, and got nothing', () => {
    expect(checkConflict(refusedFacts())).toEqual([]);
  });

  it('breaks when the second content won, or was reserved or charged for', () => {
    const facts = refusedFacts();
    const won: ConflictFacts = {
      ...facts,
      events: [second as unknown as StoredEnvelope, ...facts.events.slice(1)],
      order: { ...facts.order, fingerprint: contentFingerprint(second), acceptedEventId: second.id },
    };
    expect(checkConflict(won)).toEqual([
      `the stored OrderPlaced is ${second.id}, not the first accepted ${first.id}`,
      `the order record was not accepted from the first OrderPlaced ${first.id}`,
    ]);
    const charged: ConflictFacts = {
      ...facts,
      events: facts.events.map((e) =>
        e.type === 'InventoryReserved'
          ? { ...e, data: { ...e.data, items: second.data.items } }
          : e.type === 'PaymentCharged'
            ? { ...e, data: { ...e.data, amount: 120 } }
            : e,
      ),
      reservation: { status: 'RESERVED', items: second.data.items },
      payment: { status: 'CHARGED', amount: 120 },
    };
    expect(checkConflict(charged)).toEqual([
      'InventoryReserved holds other items than the first order',
      'the reservation record holds other items than the first order',
      "PaymentCharged is 120, the first order's total 80",
      "the payment record is 120, the first order's total 80",
    ]);
  });

  it('breaks unless there is exactly one OrderPlaced and one OrderConflictRejected per refused payload, kept', () => {
    const facts = refusedFacts();
    const twice: ConflictFacts = {
      ...facts,
      events: [...facts.events, ...facts.events.filter((e) => e.type === 'OrderConflictRejected')],
    };
    expect(checkConflict(twice)).toEqual([
      '2 OrderConflictRejected stored, expected 1 (one per refused)',
      `no OrderConflictRejected names the refused OrderPlaced ${second.id}`,
    ]);
    const unrecorded: ConflictFacts = {
      ...facts,
      events: facts.events.filter((e) => e.type !== 'OrderConflictRejected'),
      kept: undefined,
    };
    expect(checkConflict(unrecorded)).toEqual([
      '0 OrderConflictRejected stored, expected 1 (one per refused)',
      `no OrderConflictRejected names the refused OrderPlaced ${second.id}`,
      `the refused payload ${second.id} is not kept whole as CONFLICT#${second.id}`,
    ]);
    const doubled: ConflictFacts = { ...facts, events: [facts.events[0], ...facts.events] };
    expect(checkConflict(doubled)).toEqual(['2 OrderPlaced stored for one order id, expected 1']);
    const notSent: ConflictFacts = {
      ...facts,
      sent: { orderId: first.data.orderId, first, notSent: 'not accepted within 120 s: no conflict sent' },
      events: facts.events.filter((e) => e.type !== 'OrderConflictRejected'),
    };
    expect(checkConflict(notSent)).toEqual(['id conflict not accepted within 120 s: no conflict sent']);
  });

  it('sends the second only once the first is accepted, then waits for its refusal to be stored', async () => {
    const calls: string[] = [];
    let sentSecond: TypedEnvelope<'OrderPlaced'> | undefined;
    const sys = {
      // The order record shows up on the second look.
      serviceRecord: async () => {
        calls.push('read order');
        return calls.filter((c) => c === 'read order').length >= 2 ? { status: 'PENDING' } : undefined;
      },
      placeOrder: async (order: TypedEnvelope<'OrderPlaced'>) => {
        sentSecond = order;
        calls.push('send');
      },
      // The refusal naming the sent payload is stored by the second look.
      storedEvents: async () => {
        calls.push('events');
        if (!sentSecond || calls.filter((c) => c === 'events').length < 2) return [];
        const envelope = JSON.stringify({ type: 'OrderConflictRejected', data: { rejectedEventId: sentSecond.id } });
        return [{ version: 2, type: 'OrderConflictRejected', eventId: 'r', envelope }];
      },
    };
    const driver = new ConflictDriver(sys, { pollMs: 1, timeoutMs: 1_000 });
    driver.after(first);
    const [sent] = await driver.sent();
    expect(calls).toEqual(['read order', 'read order', 'send', 'events', 'events']);
    expect(sentSecond && contentFingerprint(sentSecond)).toBe(contentFingerprint(second));
    expect(sent).toEqual({ orderId: first.data.orderId, first, second: sentSecond });
  });

  it('reports a first that was never accepted instead of sending the second', async () => {
    const sys = {
      serviceRecord: async () => undefined,
      placeOrder: async () => {
        throw new Error('must not send');
      },
      storedEvents: async () => [],
    };
    const driver = new ConflictDriver(sys, { pollMs: 1, timeoutMs: 20 });
    driver.after(first);
    expect(await driver.sent()).toEqual<ConflictSent[]>([
      { orderId: first.data.orderId, first, notSent: 'not accepted within 0.02 s: no conflict sent' },
    ]);
  });

  it('reports a second that could not be sent, without an unhandled rejection', async () => {
    const sys = {
      serviceRecord: async () => ({ status: 'PENDING' }),
      placeOrder: async () => {
        throw new Error('PutEvents refused the order');
      },
      storedEvents: async () => [],
    };
    const driver = new ConflictDriver(sys, { pollMs: 1, timeoutMs: 20 });
    driver.after(first);
    expect(await driver.sent()).toEqual<ConflictSent[]>([
      { orderId: first.data.orderId, first, notSent: 'could not be sent: PutEvents refused the order' },
    ]);
  });

  it('adds a conflict’s broken rules to its order’s violations and fails the report', () => {
    const report: InvariantReport = {
      orders: ['soak-cx-1', 'soak-cx-2'].map((orderId) => ({
        orderId,
        finalStatus: 'CONFIRMED',
        violations: [],
        lost: [],
        doubleApplied: [],
        parked: [],
        deadLettered: [],
      })),
      violations: [],
      other: [],
      totals: { orders: 2, final: 2, lost: 0, doubleApplied: 0, parked: 0, deadLettered: 0, violations: 0 },
      ok: true,
    };
    expect(withConflictFindings(report, new Map([['soak-cx-1', []]]))).toEqual(report);
    const broken = withConflictFindings(report, new Map([['soak-cx-1', ['2 OrderPlaced stored for one order id']]]));
    expect(broken.orders[0].violations).toEqual(['conflict: 2 OrderPlaced stored for one order id']);
    expect(broken.totals.violations).toBe(1);
    expect(broken.ok).toBe(false);
  });

  it('tallies id-conflict as a driver row (no fired count) and the orders’ expected states from what fired', () => {
    const rates = { ...DEFAULT_RATES, 'id-conflict': 1, 'declined-card': 1 };
    const zero = Object.fromEntries(Object.keys(DEFAULT_RATES).map((k) => [k, 0])) as typeof DEFAULT_RATES;
    const plans = [planOrder('cx', 0, rates, []), planOrder('cx', 1, { ...zero, 'declined-card': 1 }, [])];
    const rule = {
      kind: 'compensation-failure' as const,
      rule: {
        id: 'soak-cx-comp',
        target: 'compensation:ReserveInventory',
        mode: 'throw' as const,
        orderIdPrefix: 'soak-cx-',
      },
    };
    const statuses = ['NEEDS_ATTENTION', 'NEEDS_ATTENTION'];
    const report: InvariantReport = {
      orders: plans.map((p, i) => ({
        orderId: p.orderId,
        finalStatus: statuses[i],
        violations: [],
        lost: [],
        doubleApplied: [],
        parked: [],
        deadLettered: [],
      })),
      violations: [],
      other: [],
      totals: { orders: 2, final: 2, lost: 0, doubleApplied: 0, parked: 0, deadLettered: 0, violations: 0 },
      ok: true,
    };
    // The compensation failure fired on the first order only (by the functions' log lines).
    const fired: FiredFault[] = [
      {
        faultId: 'soak-cx-comp',
        faultMode: 'throw',
        faultPoint: 'before',
        faultTarget: 'compensation:ReserveInventory',
        orderId: plans[0].orderId,
        attempt: 1,
        logGroup: 'g',
        timestamp: 1,
      },
    ];
    const result = tally(plans, [], { report, parked: [], settled: true }, [rule], fired);
    expect(result.rows.find((r) => r.scenario === 'id-conflict')).toEqual({
      scenario: 'id-conflict',
      planned: 1,
      fired: null,
      notFired: null,
      recovered: 1,
      parked: 0,
      lost: 0,
      doubleApplied: 0,
    });
    expect(result.rows.find((r) => r.scenario === 'compensation-failure')).toMatchObject({ fired: 1 });
    // Fired: NEEDS_ATTENTION was expected. Planned or not, the second did not fire: CANCELLED was.
    expect(result.mismatches).toEqual([`${plans[1].orderId}: NEEDS_ATTENTION, expected CANCELLED (declined-card)`]);
  });
});
