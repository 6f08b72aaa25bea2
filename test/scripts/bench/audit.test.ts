import { describe, expect, it } from 'vitest';
import { addAudits, auditClean, benchAudit } from '../../../scripts/lib/bench/audit';
import { checkInvariants, type OrderInvariantFacts } from '../../../scripts/lib/invariants';

/** A confirmed order whose every consumer applied its effect once. */
function confirmed(orderId: string): OrderInvariantFacts {
  const types = ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'];
  const events = types.map((type, i) => ({
    version: i + 1,
    type,
    eventId: `${orderId}-e${i + 1}`,
    data: { orderId, customerId: `${orderId}-c`, total: 50, items: [{ sku: 'sku', quantity: 1, unitPrice: 50 }] },
  }));
  return {
    orderId,
    events,
    order: { status: 'CONFIRMED' },
    payment: { status: 'CHARGED' },
    reservation: { status: 'RESERVED' },
    emails: { OrderConfirmed: 1 },
    analytics: { events: 1, types: ['OrderConfirmed'] },
    timeline: events.map((e) => `${e.version}:${e.type}`),
  };
}

const check = (orders: OrderInvariantFacts[], stockAfter = 100 - orders.length) =>
  checkInvariants({
    orders,
    loyalty: {},
    stockBefore: { sku: 100 },
    stockAfter: { sku: stockAfter },
    parked: [],
  });

describe('benchAudit', () => {
  it('counts a clean run as clean', () => {
    const audit = benchAudit(check([confirmed('a'), confirmed('b')]));
    expect(audit).toMatchObject({ orders: 2, confirmed: 2, lost: 0, appliedTwice: 0, parked: 0, otherViolations: 0 });
    expect(auditClean(audit)).toBe(true);
  });

  it('tells a consumer effect applied twice from a lost one and from other violations', () => {
    const twice = confirmed('twice');
    twice.emails.OrderConfirmed = 2; // the e-mail consumer applied its effect twice
    const lost = confirmed('lost');
    lost.timeline = lost.timeline?.slice(0, 3); // the timeline never got two events, and nothing is parked
    const other = confirmed('other');
    other.payment = { status: 'REFUNDED' }; // a confirmed order whose payment record is not CHARGED
    const audit = benchAudit(check([twice, lost, other]));
    expect(audit).toMatchObject({ orders: 3, lost: 1, appliedTwice: 1, parked: 0, otherViolations: 1 });
    expect(audit.examples.join('\n')).toMatch(/twice.*email OrderConfirmed.*applied 2 times/);
    expect(audit.examples.join('\n')).toMatch(/lost.*timeline .* neither applied nor parked/);
    expect(auditClean(audit)).toBe(false);
  });

  it('counts a SKU-level finding (stock arithmetic) as another violation', () => {
    const audit = benchAudit(check([confirmed('a')], 42));
    expect(audit).toMatchObject({ lost: 0, appliedTwice: 0, otherViolations: 1 });
    expect(audit.examples[0]).toMatch(/stock of sku: 42 after, expected 99/);
  });

  it('counts parked messages of an order', () => {
    const order = confirmed('p');
    order.emails = {};
    const report = checkInvariants({
      orders: [order],
      loyalty: {},
      stockBefore: {},
      stockAfter: {},
      parked: [
        {
          dlq: 'EmailDlq',
          consumers: ['email'],
          orderId: 'p',
          eventId: 'p-e5',
          eventType: 'OrderConfirmed',
          reason: 'TypeError: boom',
          body: '{}',
        },
      ],
    });
    const audit = benchAudit(report);
    expect(audit).toMatchObject({ lost: 0, parked: 1 });
    expect(auditClean(audit)).toBe(false);
  });

  it('adds the audits of several steps', () => {
    const one = benchAudit(check([confirmed('a')]));
    const two = benchAudit(check([confirmed('b')], 0));
    expect(addAudits([one, two])).toMatchObject({ orders: 2, confirmed: 2, otherViolations: 1 });
  });
});
