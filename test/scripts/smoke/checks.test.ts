import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type {
  DeadLetterScan,
  InvariantFacts,
  OrderInvariantFacts,
  ParkedMessage,
} from '../../../scripts/lib/invariants';
import type { System } from '../../../scripts/lib/order-system';
import { planBatch, type SmokeOrder } from '../../../scripts/lib/smoke/batch';
import {
  deadLettersCheck,
  duplicateCheck,
  effectsCheck,
  groupingCheck,
  outcomesCheck,
  settledOrders,
} from '../../../scripts/lib/smoke/checks';

// planBatch names every order and customer itself; the system is only asked for ids it does not use.
const fakeSystem = { uniqueId: (p: string) => `${p}-unused` } as unknown as System;
const batch = planBatch(fakeSystem, 'abcd1234');
const byScenario = (s: SmokeOrder['scenario']) => batch.orders.find((o) => o.scenario === s)!;

const EVENTS: Record<SmokeOrder['scenario'], string[]> = {
  confirmed: ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'],
  duplicate: ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'],
  declined: ['OrderPlaced', 'InventoryReserved', 'PaymentDeclined', 'InventoryReleased', 'OrderCancelled'],
  'out-of-stock': ['OrderPlaced', 'InventoryRejected', 'OrderCancelled'],
  unserviceable: [
    'OrderPlaced',
    'InventoryReserved',
    'PaymentCharged',
    'ShipmentFailed',
    'PaymentRefunded',
    'InventoryReleased',
    'OrderCancelled',
  ],
};

/** What the system records for a smoke order that went exactly as planned. */
function settledFacts(o: SmokeOrder): OrderInvariantFacts {
  const { orderId, customerId, total } = o.order.data;
  const types = EVENTS[o.scenario];
  const outcome = types.at(-1)!;
  return {
    orderId,
    events: types.map((type, i) => ({
      version: i + 1,
      type,
      eventId: i === 0 ? o.order.id : `${orderId}-e${i + 1}`,
      data:
        type === 'OrderPlaced'
          ? { ...o.order.data }
          : { orderId, customerId, total, ...(type === 'OrderCancelled' ? { reason: `${o.expectedReason}: x` } : {}) },
    })),
    order: { status: o.expectedStatus },
    emails: { [outcome]: 1 },
    analytics: { events: 1, types: [outcome] },
    // `<store version>:<type>`, OrderPlaced included: what the relay route records; the invariants accept it with or
    // without that route.
    timeline: types.map((t, i) => `${i + 1}:${t}`),
    timelineGroups: [orderId],
  };
}

function goodFacts(): InvariantFacts {
  return {
    orders: batch.orders.map(settledFacts),
    loyalty: Object.fromEntries(
      batch.orders.map((o) => [
        o.order.data.customerId,
        o.scenario === 'confirmed' ? { points: 120, orders: 1 } : undefined,
      ]),
    ),
    stockBefore: batch.stockBefore,
    stockAfter: {},
  };
}

/** Replaces one order's facts. */
function withOrder(facts: InvariantFacts, o: SmokeOrder, change: (f: OrderInvariantFacts) => OrderInvariantFacts) {
  return { ...facts, orders: facts.orders.map((f) => (f.orderId === o.order.data.orderId ? change(f) : f)) };
}

describe('the smoke batch', () => {
  it('has every scenario, one customer per order, the run prefix on every id, and one order over the loyalty threshold', () => {
    expect(batch.orders.map((o) => o.scenario)).toEqual([
      'confirmed',
      'declined',
      'out-of-stock',
      'unserviceable',
      'duplicate',
    ]);
    for (const o of batch.orders) {
      expect(o.order.data.orderId.startsWith('smoke-abcd1234-')).toBe(true);
      expect(o.order.data.customerId.startsWith('smoke-abcd1234-')).toBe(true);
    }
    expect(new Set(batch.orders.map((o) => o.order.data.customerId)).size).toBe(5);
    expect(byScenario('declined').order.data.paymentToken).toBe('tok_declined');
    expect(byScenario('unserviceable').order.data.shipToCountry).toBe('AQ');
    expect(byScenario('duplicate').deliveries).toBe(2);
    expect(byScenario('confirmed').order.data.total).toBeGreaterThanOrEqual(100);
    expect(byScenario('duplicate').order.data.total).toBeLessThan(100);
    expect(batch.stockBefore[byScenario('out-of-stock').order.data.items[0].sku]).toBe(0);
  });
});

describe('smoke checks over facts', () => {
  it('pass when every order ended as planned with every effect once in its own group', () => {
    const facts = goodFacts();
    for (const check of [outcomesCheck, duplicateCheck, effectsCheck, groupingCheck]) {
      expect(check(batch, facts)).toMatchObject({ result: 'pass' });
    }
    expect(settledOrders(batch, facts).size).toBe(5);
  });

  it('outcomes: a wrong status or a wrong cancellation reason fails', () => {
    const declined = byScenario('declined');
    const confirmedInstead = withOrder(goodFacts(), declined, (f) => ({ ...f, order: { status: 'CONFIRMED' } }));
    expect(outcomesCheck(batch, confirmedInstead)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('CONFIRMED, expected CANCELLED'),
    });
    const otherReason = withOrder(goodFacts(), declined, (f) => ({
      ...f,
      events: f.events.map((e) =>
        e.type === 'OrderCancelled' ? { ...e, data: { ...e.data, reason: 'ReserveInventory: OUT_OF_STOCK' } } : e,
      ),
    }));
    expect(outcomesCheck(batch, otherReason)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('CARD_DECLINED'),
    });
    const unrecorded = { ...goodFacts(), orders: goodFacts().orders.slice(1) };
    expect(outcomesCheck(batch, unrecorded)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('no order record'),
    });
  });

  it('duplicate delivery: OrderPlaced stored twice or an effect applied twice fails', () => {
    const dup = byScenario('duplicate');
    const twice = withOrder(goodFacts(), dup, (f) => ({ ...f, events: [f.events[0], ...f.events] }));
    expect(duplicateCheck(batch, twice)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('OrderPlaced stored 2 times'),
    });
    const mailedTwice = withOrder(goodFacts(), dup, (f) => ({ ...f, emails: { OrderConfirmed: 2 } }));
    expect(duplicateCheck(batch, mailedTwice).result).toBe('fail');
  });

  it('consumer effects: an e-mail twice, a missing timeline entry, loyalty below the threshold or missing all fail', () => {
    const confirmed = byScenario('confirmed');
    const twice = withOrder(goodFacts(), confirmed, (f) => ({ ...f, emails: { OrderConfirmed: 2 } }));
    expect(effectsCheck(batch, twice)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('email OrderConfirmed applied 2 times'),
    });
    const noEntry = withOrder(goodFacts(), confirmed, (f) => ({ ...f, timeline: f.timeline!.slice(0, -1) }));
    expect(effectsCheck(batch, noEntry)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('timeline OrderConfirmed applied 0 times'),
    });
    const dup = byScenario('duplicate');
    const pointsBelow = goodFacts();
    pointsBelow.loyalty[dup.order.data.customerId] = { points: 40, orders: 1 };
    expect(effectsCheck(batch, pointsBelow)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('loyalty awarded 1 times, expected 0'),
    });
    const noPoints = goodFacts();
    noPoints.loyalty[confirmed.order.data.customerId] = undefined;
    expect(effectsCheck(batch, noPoints)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('loyalty awarded 0 times, expected 1'),
    });
  });

  it('consumer effects: an order without an outcome cannot be judged, so it fails', () => {
    const unfinished = withOrder(goodFacts(), byScenario('declined'), (f) => ({ ...f, events: f.events.slice(0, 2) }));
    expect(effectsCheck(batch, unfinished)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('no outcome event'),
    });
    expect(settledOrders(batch, unfinished).size).toBe(4);
  });

  it('timeline grouping: the literal JSON path, a shared group or no group recorded fails', () => {
    const confirmed = byScenario('confirmed');
    const literal = goodFacts();
    for (const f of literal.orders) f.timelineGroups = ['$.detail.data.orderId'];
    expect(groupingCheck(batch, literal)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('{$.detail.data.orderId}'),
    });
    const two = withOrder(goodFacts(), confirmed, (f) => ({ ...f, timelineGroups: [f.orderId, 'other'] }));
    expect(groupingCheck(batch, two).result).toBe('fail');
    const none = withOrder(goodFacts(), confirmed, (f) => ({ ...f, timelineGroups: undefined }));
    expect(groupingCheck(batch, none)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('no message group recorded'),
    });
  });
});

describe('dead-letter queue check', () => {
  const dlqs = ['EmailDlq', 'OrderTimelineDlq', 'RuleTargetDlq', 'EventRelayFailureQueue'];
  const scanned = ['EmailDlq', 'OrderTimelineDlq', 'RuleTargetDlq'];
  const startedAt = Date.parse('2026-12-02T07:00:00Z');
  const options = { startedAt, perOrderGroups: true, dlqs, maxPerQueue: 2000 };
  const parked = (extra: Partial<ParkedMessage>): ParkedMessage => ({
    dlq: 'EmailDlq',
    consumers: ['email'],
    reason: 'Error: boom',
    body: '{}',
    ...extra,
  });
  const scan = (messages: ParkedMessage[], unseen: DeadLetterScan['unseen'] = []): DeadLetterScan => ({
    messages,
    unseen,
    read: scanned,
  });
  const relay = (messages: Message[] = []) => [{ queue: 'EventRelayFailureQueue', messages }];

  it('passes when the DLQs hold only other orders’ messages', () => {
    const check = deadLettersCheck(
      batch,
      scan([parked({ orderId: 'order-elsewhere', body: '{"x":1}' })]),
      relay(),
      options,
    );
    expect(check).toMatchObject({ result: 'pass', detail: expect.stringContaining('1 message(s) peeked') });
  });

  it('fails on a smoke message matched by order id, event id or the run prefix in the body', () => {
    const confirmed = byScenario('confirmed');
    for (const m of [
      parked({ orderId: confirmed.order.data.orderId }),
      parked({ eventId: confirmed.order.id }),
      parked({ body: `{"id": "x", "data": {"orderId": "${batch.prefix}9"` }),
    ]) {
      expect(deadLettersCheck(batch, scan([m]), relay(), options).result).toBe('fail');
    }
  });

  it('fails when FIFO messages it cannot read may hide a smoke message (orders without groups of their own)', () => {
    const unseen = [
      { dlq: 'OrderTimelineDlq', consumers: ['timeline' as const], count: 12, cause: 'fifo-groups' as const },
    ];
    expect(deadLettersCheck(batch, scan([], unseen), relay(), { ...options, perOrderGroups: false })).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('cannot tell'),
    });
    // With a group per order, a smoke message would head its own group and be seen.
    expect(deadLettersCheck(batch, scan([], unseen), relay(), options).result).toBe('pass');
    const capped = [{ ...unseen[0], cause: 'limit' as const }];
    expect(deadLettersCheck(batch, scan([], capped), relay(), options).result).toBe('fail');
  });

  it('fails on a stream batch given up since the run started, not on an older one', () => {
    const at = (t: number) => ({ MessageId: String(t), Attributes: { SentTimestamp: String(t) } }) as Message;
    expect(deadLettersCheck(batch, scan([]), relay([at(startedAt - 60_000)]), options).result).toBe('pass');
    expect(deadLettersCheck(batch, scan([]), relay([at(startedAt + 1_000)]), options)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('EventRelayFailureQueue'),
    });
  });

  it('fails when a DLQ of the stack was not read, or the stack has none', () => {
    expect(deadLettersCheck(batch, scan([]), [], options)).toMatchObject({
      result: 'fail',
      detail: 'not read: EventRelayFailureQueue',
    });
    expect(deadLettersCheck(batch, { messages: [], unseen: [] }, [], { ...options, dlqs: [] }).result).toBe('fail');
  });
});
