import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  checkInvariants,
  envelopeInBody,
  heldByOrder,
  type InvariantFacts,
  type OrderInvariantFacts,
  type ParkedMessage,
  parkedMessageOf,
} from '../../scripts/lib/invariants';

const items = [{ sku: 'sku-1', quantity: 2, unitPrice: 60 }];

/** A confirmed order whose every consumer applied its effect once. */
function confirmedOrder(orderId = 'o-1', customerId = 'c-1'): OrderInvariantFacts {
  const types = ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged', 'OrderConfirmed'];
  return {
    orderId,
    events: types.map((type, i) => ({
      version: i + 1,
      type,
      eventId: `${orderId}-e${i + 1}`,
      data: type === 'OrderPlaced' ? { orderId, customerId, items } : { orderId, customerId, total: 120 },
    })),
    order: { status: 'CONFIRMED' },
    payment: { status: 'CHARGED' },
    reservation: { status: 'RESERVED' },
    emails: { OrderConfirmed: 1 },
    analytics: { events: 1, types: ['OrderConfirmed'] },
    timeline: types.map((t, i) => `${i + 1}:${t}`),
  };
}

const factsOf = (order: OrderInvariantFacts, extra: Partial<InvariantFacts> = {}): InvariantFacts => ({
  orders: [order],
  loyalty: { 'c-1': { points: 120, orders: 1 } },
  stockAfter: {},
  stockBefore: {},
  ...extra,
});

describe('checkInvariants', () => {
  it('passes a confirmed order with every effect applied once and the stock arithmetic right', () => {
    const report = checkInvariants(
      factsOf(confirmedOrder(), { stockBefore: { 'sku-1': 10 }, stockAfter: { 'sku-1': 8 } }),
    );
    expect(report.ok).toBe(true);
    expect(report.orders[0]).toEqual({
      orderId: 'o-1',
      finalStatus: 'CONFIRMED',
      violations: [],
      lost: [],
      doubleApplied: [],
      parked: [],
      deadLettered: [],
    });
    expect(report.other).toEqual([]);
  });

  it('counts an effect applied twice as double-applied', () => {
    const order = {
      ...confirmedOrder(),
      emails: { OrderConfirmed: 2 },
      analytics: { events: 2, types: ['OrderConfirmed'] },
    };
    order.timeline = [...(order.timeline ?? []), '3:PaymentCharged'];
    const report = checkInvariants(factsOf(order));
    expect(report.orders[0].doubleApplied).toEqual([
      'email OrderConfirmed (event o-1-e5) applied 2 times',
      'analytics OrderConfirmed (event o-1-e5) applied 2 times',
      'timeline PaymentCharged (event o-1-e3) applied 2 times',
    ]);
    expect(report.totals).toMatchObject({ doubleApplied: 1, lost: 0, violations: 1 });
  });

  it('calls a missing effect lost unless its message is parked', () => {
    const order = { ...confirmedOrder(), emails: {}, timeline: ['1:OrderPlaced', '2:InventoryReserved'] };
    const parked = [
      {
        dlq: 'EmailDlq',
        consumers: ['email' as const],
        orderId: 'o-1',
        eventId: 'o-1-e5',
        reason: 'Boom: x',
        body: '',
      },
    ];
    const report = checkInvariants(factsOf(order, { parked }));
    expect(report.orders[0].lost).toEqual([
      'timeline PaymentCharged (event o-1-e3) neither applied nor parked',
      'timeline ShipmentArranged (event o-1-e4) neither applied nor parked',
      'timeline OrderConfirmed (event o-1-e5) neither applied nor parked',
    ]);
    expect(report.orders[0].parked).toEqual(['email message in EmailDlq: Boom: x']);
  });

  it('never counts a FIFO DLQ’s unreadable messages as parked: the missing effect is lost, the count named', () => {
    const order = { ...confirmedOrder(), timeline: ['1:OrderPlaced', '2:InventoryReserved', '3:PaymentCharged'] };
    const report = checkInvariants(
      factsOf(order, { parked: [], unseen: [{ dlq: 'OrderTimelineDlq', consumers: ['timeline'], count: 5 }] }),
    );
    expect(report.orders[0].parked).toEqual([]);
    const note = " (5 unread in OrderTimelineDlq: not counted, they may be anyone's)";
    expect(report.orders[0].lost).toEqual([
      `timeline ShipmentArranged (event o-1-e4) neither applied nor parked${note}`,
      `timeline OrderConfirmed (event o-1-e5) neither applied nor parked${note}`,
    ]);
    expect(report.totals).toMatchObject({ lost: 1, parked: 0 });
  });

  describe('a parked message counts only for its own order, event and consumer', () => {
    /** o-1's e-mail of OrderConfirmed never applied. */
    const missingEmail = () => ({ ...confirmedOrder(), emails: {} });
    const message = (over: Partial<ParkedMessage>): ParkedMessage => ({
      dlq: 'EmailDlq',
      consumers: ['email'],
      orderId: 'o-1',
      eventId: 'o-1-e5',
      eventType: 'OrderConfirmed',
      reason: 'InjectedFault: boom',
      body: '{}',
      ...over,
    });

    it('counts the message of that order, event and consumer as parked', () => {
      const report = checkInvariants(factsOf(missingEmail(), { parked: [message({})] }));
      expect(report.orders[0].lost).toEqual([]);
      expect(report.orders[0].parked).toEqual(['email OrderConfirmed in EmailDlq: InjectedFault: boom']);
      expect(report.totals).toMatchObject({ lost: 0, parked: 1, deadLettered: 1 });
      expect(report.other).toEqual([]);
    });

    it('a leftover of another run (same consumer and type, another order) cannot absorb the loss: lost, shown as other', () => {
      const leftover = message({ orderId: 'soak-old-7', eventId: 'soak-old-7-e5' });
      const report = checkInvariants(factsOf(missingEmail(), { parked: [leftover] }));
      expect(report.orders[0].lost).toEqual(['email OrderConfirmed (event o-1-e5) neither applied nor parked']);
      expect(report.orders[0].parked).toEqual([]);
      expect(report.orders[0].deadLettered).toEqual([]);
      expect(report.other).toEqual(['soak-old-7: email OrderConfirmed in EmailDlq: InjectedFault: boom']);
      expect(report.totals).toMatchObject({ lost: 1, parked: 0, deadLettered: 0 });
      expect(report.ok).toBe(false);
    });

    it('nor can a message of the same order for another event, another consumer, or without an envelope', () => {
      const others = [
        message({ eventId: 'o-1-e1', eventType: 'OrderPlaced' }),
        message({ eventId: 'o-1-e2' }),
        message({ dlq: 'AnalyticsDlq', consumers: ['analytics'] }),
        message({ eventId: undefined, eventType: undefined }),
      ];
      const report = checkInvariants(factsOf(missingEmail(), { parked: others }));
      expect(report.orders[0].lost).toEqual(['email OrderConfirmed (event o-1-e5) neither applied nor parked']);
      expect(report.orders[0].parked).toEqual([]);
      // They are this order's messages in a DLQ all the same: listed, so a fault-free order's show.
      expect(report.orders[0].deadLettered).toHaveLength(4);
      expect(report.other).toEqual([]);
    });

    it('a message without an order id is other, and a bare FIFO DLQ depth absorbs nothing', () => {
      const order = { ...confirmedOrder(), timeline: ['1:OrderPlaced'] };
      const malformed = message({ dlq: 'OrderTimelineDlq', consumers: ['timeline'], orderId: undefined });
      const report = checkInvariants(
        factsOf(order, {
          parked: [malformed],
          unseen: [{ dlq: 'OrderTimelineDlq', consumers: ['timeline'], count: 100, cause: 'fifo-groups' }],
        }),
      );
      expect(report.orders[0].lost).toHaveLength(4);
      expect(report.other).toEqual(['no order id: timeline OrderConfirmed in OrderTimelineDlq: InjectedFault: boom']);
    });

    it('an unfinished order is parked only by its own OrderPlaced in the saga’s DLQ', () => {
      const unfinished: OrderInvariantFacts = {
        ...confirmedOrder(),
        events: [],
        order: undefined,
        emails: {},
        analytics: undefined,
        timeline: undefined,
      };
      const saga = (orderId: string) =>
        message({
          dlq: 'RuleTargetDlq',
          consumers: ['saga'],
          orderId,
          eventId: `${orderId}-e1`,
          eventType: 'OrderPlaced',
        });
      const facts = (parked: ParkedMessage[]) => factsOf(unfinished, { parked, loyalty: {} });
      expect(checkInvariants(facts([saga('o-9')])).orders[0].lost).toEqual([
        'order has no final state (record missing, no events)',
      ]);
      const own = checkInvariants(facts([saga('o-1')])).orders[0];
      expect(own.lost).toEqual([]);
      expect(own.parked).toEqual(['saga OrderPlaced in RuleTargetDlq: InjectedFault: boom']);
    });
  });

  it('flags loyalty awarded twice, or missing and not parked, per customer', () => {
    expect(
      checkInvariants(factsOf(confirmedOrder(), { loyalty: { 'c-1': { points: 240, orders: 2 } } })).orders[0]
        .doubleApplied,
    ).toEqual(['loyalty for customer c-1: 2 orders awarded, 1 expected']);
    expect(checkInvariants(factsOf(confirmedOrder(), { loyalty: { 'c-1': undefined } })).orders[0].lost).toEqual([
      'loyalty OrderConfirmed (event o-1-e5) neither applied nor parked (customer c-1)',
    ]);
  });

  it('flags an unfinished order as lost, a charge left on a cancelled order, and wrong stock', () => {
    const unfinished: OrderInvariantFacts = {
      ...confirmedOrder('o-2'),
      events: confirmedOrder('o-2').events.slice(0, 2),
      order: { status: 'PENDING' },
    };
    const cancelled: OrderInvariantFacts = {
      ...confirmedOrder('o-3'),
      order: { status: 'CANCELLED' },
      payment: { status: 'CHARGED' },
      reservation: { status: 'RELEASED' },
    };
    cancelled.events = cancelled.events.map((e) =>
      e.type === 'OrderConfirmed' ? { ...e, type: 'OrderCancelled' } : e,
    );
    cancelled.emails = { OrderCancelled: 1 };
    cancelled.analytics = { events: 1, types: ['OrderCancelled'] };
    cancelled.timeline = (cancelled.timeline ?? []).map((t) => t.replace('OrderConfirmed', 'OrderCancelled'));
    const report = checkInvariants({
      orders: [unfinished, cancelled],
      loyalty: {},
      stockBefore: { 'sku-1': 10 },
      stockAfter: { 'sku-1': 8 },
    });
    expect(report.orders[0].lost).toEqual(['order has no final state (record PENDING, 2 events)']);
    expect(report.orders[1].violations).toEqual([
      'charged but not refunded',
      'stock reserved but not released',
      'payment record still CHARGED on a cancelled order (not refunded)',
    ]);
    expect(report.violations).toEqual(['stock of sku-1: 8 after, expected 10 (10 before − 0 confirmed)']);
    expect(report.ok).toBe(false);
  });

  describe('an order left NEEDS_ATTENTION (a compensation failed after all its retries)', () => {
    /**
     * A declined card whose stock release kept failing: 2 units of sku-1 reserved and never released, nothing
     * charged. What the soak's compensation-failure kind leaves (scripts/lib/soak/plan.ts).
     */
    function attentionOrder(orderId = 'o-4', released = false): OrderInvariantFacts {
      const types = [
        'OrderPlaced',
        'InventoryReserved',
        'PaymentDeclined',
        ...(released ? ['InventoryReleased'] : []),
        'OrderNeedsAttention',
      ];
      return {
        orderId,
        events: types.map((type, i) => ({
          version: i + 1,
          type,
          eventId: `${orderId}-e${i + 1}`,
          data: ['OrderPlaced', 'InventoryReserved', 'InventoryReleased'].includes(type)
            ? { orderId, customerId: 'c-4', items }
            : { orderId, customerId: 'c-4', total: 120 },
        })),
        order: { status: 'NEEDS_ATTENTION' },
        payment: { status: 'DECLINED' },
        reservation: released ? { status: 'RELEASED', items } : { status: 'RESERVED', items },
        emails: {},
        analytics: undefined,
        timeline: types.map((t, i) => `${i + 1}:${t}`),
      };
    }
    const check = (orders: OrderInvariantFacts[], after: number) =>
      checkInvariants({ orders, loyalty: {}, stockBefore: { 'sku-1': 10 }, stockAfter: { 'sku-1': after } });

    it('reads what it holds from its events: the reserved units per SKU, no charge', () => {
      const held = heldByOrder(attentionOrder());
      expect({ stock: Object.fromEntries(held.stock), charged: held.charged, problems: held.problems }).toEqual({
        stock: { 'sku-1': 2 },
        charged: 0,
        problems: [],
      });
      expect(heldByOrder(attentionOrder('o-4', true)).stock.size).toBe(0);
    });

    it('sets aside exactly the units it holds: stock before − confirmed − held passes, and the order is not broken', () => {
      // 10 before; the confirmed order took 2, the needs-attention one still holds 2.
      const report = check([confirmedOrder(), attentionOrder()], 6);
      expect(report.violations).toEqual([]);
      expect(report.orders[1]).toMatchObject({
        finalStatus: 'NEEDS_ATTENTION',
        violations: [],
        lost: [],
        held: ['2 × sku-1 reserved, not released'],
      });
      expect(report.ok).toBe(true);
    });

    it('still fails on a real leak: one unit more missing than it holds', () => {
      const report = check([confirmedOrder(), attentionOrder()], 5);
      expect(report.violations).toEqual([
        'stock of sku-1: 5 after, expected 6 (10 before − 2 confirmed − 2 held by NEEDS_ATTENTION orders)',
      ]);
      expect(report.ok).toBe(false);
    });

    it('sets nothing aside for an order whose release was recorded: stock it did not give back is a leak', () => {
      const report = check([attentionOrder('o-4', true)], 8);
      expect(report.violations).toEqual(['stock of sku-1: 8 after, expected 10 (10 before − 0 confirmed)']);
      expect(report.ok).toBe(false);
    });

    it('flags records that disagree with the events about what is held', () => {
      const releasedRecord = { ...attentionOrder(), reservation: { status: 'RELEASED', items } };
      const otherItems = {
        ...attentionOrder(),
        reservation: { status: 'RESERVED', items: [{ sku: 'sku-1', quantity: 3, unitPrice: 60 }] },
      };
      const charged = { ...attentionOrder(), payment: { status: 'CHARGED' } };
      expect(check([releasedRecord], 8).orders[0].violations).toEqual([
        'events say stock is reserved, the reservation record says RELEASED',
      ]);
      expect(check([otherItems], 8).orders[0].violations).toEqual([
        'the reservation record holds other items than InventoryReserved',
      ]);
      expect(check([charged], 8).orders[0].violations).toEqual([
        'events say the payment is not charged, the payment record says CHARGED',
      ]);
    });
  });

  it('flags a repeated event id and a version gap', () => {
    const order = confirmedOrder();
    order.events[4] = { ...order.events[4], version: 6, eventId: 'o-1-e4' };
    expect(checkInvariants(factsOf(order)).orders[0].violations).toEqual([
      'versions 1,2,3,4,6 are not 1..5',
      'event id o-1-e4 stored twice',
      // The timeline recorded it as version 5, so the stored version 6 has no entry.
      'lost: timeline OrderConfirmed (event o-1-e4) neither applied nor parked',
    ]);
  });
});

describe('reading DLQ messages', () => {
  const envelope = { id: 'e-1', type: 'OrderConfirmed', data: { orderId: 'o-1' } };

  it('finds the envelope raw, inside SNS notification JSON, or inside an EventBridge event', () => {
    const expected = { id: 'e-1', type: 'OrderConfirmed', orderId: 'o-1' };
    expect(envelopeInBody(JSON.stringify(envelope))).toEqual(expected);
    expect(envelopeInBody(JSON.stringify({ Type: 'Notification', Message: JSON.stringify(envelope) }))).toEqual(
      expected,
    );
    expect(envelopeInBody(JSON.stringify({ 'detail-type': 'OrderConfirmed', detail: envelope }))).toEqual(expected);
    expect(envelopeInBody('{"id": "x", "type": ')).toBeUndefined();
  });

  it('maps a rule-target DLQ message to the consumers of its rule', () => {
    const message: Message = {
      MessageId: 'm-1',
      Body: JSON.stringify(envelope),
      MessageAttributes: {
        RULE_ARN: {
          DataType: 'String',
          StringValue: 'arn:aws:events:us-east-1:0:rule/bus/OrderFlow-RouterOrderOutcomesToFanout-1',
        },
        ERROR_CODE: { DataType: 'String', StringValue: 'SNS.Throttled' },
      },
    };
    // The deployed rules (the stack outputs <route>RuleArn): the message's RULE_ARN names the outcomes rule.
    const ruleArns = {
      OrderPlacedToSaga: 'arn:aws:events:us-east-1:0:rule/bus/OrderFlow-RouterOrderPlacedToSaga-2',
      OrderOutcomesToFanout: 'arn:aws:events:us-east-1:0:rule/bus/OrderFlow-RouterOrderOutcomesToFanout-1',
    };
    expect(parkedMessageOf('RuleTargetDlqUrl', message, ruleArns)).toMatchObject({
      dlq: 'RuleTargetDlq',
      consumers: ['email', 'analytics', 'loyalty'],
      orderId: 'o-1',
      eventId: 'e-1',
    });
    // The saga's rule stands for the saga, whatever the body's type.
    const fromSagaRule = {
      ...message,
      MessageAttributes: { RULE_ARN: { DataType: 'String', StringValue: ruleArns.OrderPlacedToSaga } },
    };
    expect(parkedMessageOf('RuleTargetDlqUrl', fromSagaRule, ruleArns).consumers).toEqual(['saga']);
    // A rule the table does not know: every consumer a rule reaches with the event's type (an outcome here).
    const unknownRule = {
      ...message,
      MessageAttributes: { RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:0:rule/bus/Other' } },
    };
    expect(parkedMessageOf('RuleTargetDlqUrl', unknownRule, ruleArns).consumers).toEqual([
      'email',
      'analytics',
      'loyalty',
    ]);
    expect(parkedMessageOf('OrderTimelineDlqUrl', { ...message, MessageAttributes: {} }).consumers).toEqual([
      'timeline',
    ]);
  });
});
