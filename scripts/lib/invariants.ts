import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { LOYALTY_MIN_TOTAL } from '../../lambdas/contracts/order-rules';
import { FINAL_ORDER_STATUSES } from '../../lambdas/contracts/order-status';
import {
  type RouteConsumer,
  RULE_ROUTES,
  type RuleRouteId,
  routesOf,
  ruleRouteOf,
} from '../../lambdas/contracts/routes';
import { DEAD_LETTER_QUEUE_OUTPUT_KEYS, ruleArnsOf } from '../../lambdas/contracts/stack-outputs';
import { orderIdOf } from '../../lambdas/messages/envelope';
import type { OrderItem } from '../../lambdas/messages/schemas';
import { describeMessage } from './dlq/describe';
import { peek, peekFifo, release } from './dlq/peek';
import { auditOrder } from './order-audit';
import type { System } from './order-system';

/**
 * The invariants of issue 6, checked over a set of orders after a scenario or
 * a soak run, from what the system recorded (never from what the driver hoped):
 *
 * 1. every order reaches exactly one final state (event stream and order record agree);
 * 2. no payment is charged twice, a cancelled order's charge is refunded; stock is
 *    decremented at most once per order and restored on compensation (and, for
 *    SKUs only these orders use, stock after = before − confirmed quantities);
 *    the event store holds versions 1..n per order with no gap, repeat or repeated event id;
 * 3. every message that was sent is accounted for: for each stored event, each
 *    consumer that should have received it (outcomes → e-mail, analytics, and
 *    loyalty when the SNS filter matches; every order event → the FIFO timeline)
 *    applied its effect exactly once, or the message is in a DLQ (parked).
 *    Neither is *lost*; more than once is *double-applied*. Parked means a
 *    message read from a DLQ whose envelope names that order, that event (id and
 *    type) and a DLQ of that consumer: never a queue's depth, so a message of
 *    another run cannot stand in for this one's (those are reported as `other`).
 *
 * `gatherInvariantFacts` reads the facts (DynamoDB, and the DLQs only when an
 * effect is missing); `checkInvariants` is pure, so the rules are unit-tested
 * without an engine.
 */

/** The consumers a message can be meant for (the routing table's); `saga` is the OrderPlaced → Step Functions rule target. */
export type Consumer = RouteConsumer;

/** What the order service and the consumers recorded for one order. */
export interface OrderInvariantFacts {
  orderId: string;
  events: { version: number; type: string; eventId: string; data: Record<string, unknown> }[];
  /** Order-service records (sk ORDER / PAYMENT / RESERVATION), as stored. */
  order?: Record<string, unknown>;
  payment?: Record<string, unknown>;
  reservation?: Record<string, unknown>;
  /** Consumer-state records: `sends` per outcome type, analytics counters, timeline entries. */
  emails: Record<string, number>;
  analytics?: { events: number; types: string[] };
  timeline?: string[];
  /** The SQS message groups the timeline consumer saw this order's events in (its record's `messageGroupIds`). */
  timelineGroups?: string[];
}

/** One message found in a DLQ, with the order and event it belongs to (when its body says). */
export interface ParkedMessage {
  /** The DLQ's stack output key without `Url` (e.g. `EmailDlq`). */
  dlq: string;
  /** Which consumers the message was meant for (a rule-target DLQ message may stand for several). */
  consumers: Consumer[];
  orderId?: string;
  eventId?: string;
  eventType?: string;
  reason: string;
  body: string;
}

export interface InvariantFacts {
  orders: OrderInvariantFacts[];
  /** Loyalty records per customer id of the orders. */
  loyalty: Record<string, { points: number; orders: number } | undefined>;
  /** Stock per SKU now, for the SKUs given in `stockBefore`. */
  stockAfter: Record<string, number | undefined>;
  stockBefore: Record<string, number>;
  /** The DLQs' contents, or undefined when nothing was missing and they were not read. */
  parked?: ParkedMessage[];
  /**
   * Messages a DLQ holds beyond what could be read (see `DeadLetterScan.unseen`): named in a lost line
   * so an operator knows where to look, never counted as parked (a count says nothing about whose they are).
   */
  unseen?: UnseenDeadLetters[];
}

/**
 * Messages in a DLQ that a peek cannot reach: SQS hands out a FIFO group's
 * later messages only after its earlier ones are deleted, so a non-consuming
 * read sees at most one batch (ten) per group (`peekFifo`, ./dlq/peek.ts).
 * Each order's timeline messages are in its own group, so a FIFO DLQ is only
 * partly readable when one order has more than ten parked messages. They are
 * reported, never counted as parked: a missing effect whose message was not
 * read is lost, with the unread count named in the line.
 */
export interface UnseenDeadLetters {
  dlq: string;
  consumers: Consumer[];
  count: number;
  /** Why they could not be read: hidden behind FIFO group heads, or beyond the scan's `maxPerQueue`. */
  cause?: 'fifo-groups' | 'limit';
}

export interface DeadLetterScan {
  messages: ParkedMessage[];
  unseen: UnseenDeadLetters[];
  /** The DLQs read (output keys without `Url`); absent where the scan was skipped. */
  read?: string[];
}

export interface OrderInvariantReport {
  orderId: string;
  /** CONFIRMED, CANCELLED (or another final state the audit knows), undefined when unfinished. */
  finalStatus?: string;
  /** Every broken rule, in words (lost and double-applied messages included). */
  violations: string[];
  /** Messages (or the order itself) neither applied nor parked. */
  lost: string[];
  /** Effects applied more than once. */
  doubleApplied: string[];
  /** Messages of this order read from a DLQ that stand for one of its missing effects, with the reason. */
  parked: string[];
  /**
   * Every message of this order read from a DLQ, whether or not it stands for a missing effect (a message
   * parked although its effect was applied, e.g. a second delivery, is here and not in `parked`).
   */
  deadLettered: string[];
  /**
   * NEEDS_ATTENTION orders only: what the order still holds by its events (stock reserved, a charge), which
   * an operator must undo. Not a violation: the order says openly that it is unfinished.
   */
  held?: string[];
}

export interface InvariantReport {
  orders: OrderInvariantReport[];
  /** Problems not tied to one order (stock arithmetic per SKU). */
  violations: string[];
  /**
   * Messages read from the DLQs that belong to none of the checked orders (another run's, another test's,
   * bad input without an order): shown so an operator sees them, never counted for these orders.
   */
  other: string[];
  totals: {
    orders: number;
    final: number;
    /** Orders with at least one lost message (or no final state and nothing parked). */
    lost: number;
    /** Orders with at least one effect applied twice. */
    doubleApplied: number;
    /** Orders with at least one missing effect whose message was read from a DLQ. */
    parked: number;
    /** Orders with at least one message in a DLQ (matched to a missing effect or not). */
    deadLettered: number;
    /** Orders with any violation, plus one per SKU-level violation. */
    violations: number;
  };
  /** True when no order and no SKU broke a rule. */
  ok: boolean;
}

/** Order-record states that end an order. */
const FINAL_RECORD_STATES: ReadonlySet<string> = new Set(FINAL_ORDER_STATUSES);

/**
 * Whether a stored event of this type reaches `consumer`, by the routing table (lambdas/contracts/routes.ts):
 * asked with the order service as source, because the question is where the store's copy goes (the relay
 * and the fan-out rule); checkout's own OrderPlaced on the bus starts the saga, which is not a consumer here.
 */
const reaches = (consumer: Consumer, type: string) =>
  routesOf({ source: ORDER_SERVICE_SOURCE, type }).some((route) => route.consumers.includes(consumer));

/** One message a consumer should have received for an order, and how many times its effect shows. */
export interface ExpectedMessage {
  consumer: Consumer;
  eventType: string;
  eventId: string;
  applied: number;
}

/**
 * The messages each order should have produced, with the effect count the
 * consumer recorded. Loyalty is judged per customer (its record is), in
 * `checkInvariants`, so it is not in here.
 */
export function expectedMessages(facts: OrderInvariantFacts): ExpectedMessage[] {
  const expected: ExpectedMessage[] = [];
  const analyticsTypes = new Set(facts.analytics?.types ?? []);
  // Analytics counts events in one number: beyond one per distinct type is a repeat.
  const analyticsRepeats = Math.max(0, (facts.analytics?.events ?? 0) - analyticsTypes.size);
  const toAnalytics = facts.events.filter((e) => reaches('analytics', e.type));
  for (const event of facts.events.filter((e) => reaches('email', e.type) || reaches('analytics', e.type))) {
    if (reaches('email', event.type)) {
      expected.push({
        consumer: 'email',
        eventType: event.type,
        eventId: event.eventId,
        applied: facts.emails[event.type] ?? 0,
      });
    }
    if (reaches('analytics', event.type)) {
      const first = toAnalytics[0] === event;
      expected.push({
        consumer: 'analytics',
        eventType: event.type,
        eventId: event.eventId,
        applied: analyticsTypes.has(event.type) ? 1 + (first ? analyticsRepeats : 0) : 0,
      });
    }
  }
  const entries = facts.timeline ?? [];
  for (const event of facts.events.filter((e) => reaches('timeline', e.type))) {
    // Every timeline entry is `<store version>:<type>`, OrderPlaced included (version 1).
    const name = `${event.version}:${event.type}`;
    expected.push({
      consumer: 'timeline',
      eventType: event.type,
      eventId: event.eventId,
      applied: entries.filter((entry) => entry === name).length,
    });
  }
  return expected;
}

/**
 * The loyalty awards the orders should have earned, per customer: each
 * confirmed order of LOYALTY_MIN_TOTAL or more (the SNS filter's rule).
 */
export function expectedLoyalty(
  orders: readonly OrderInvariantFacts[],
): Map<string, { orderId: string; eventId: string; points: number }[]> {
  const loyaltyOrders = new Map<string, { orderId: string; eventId: string; points: number }[]>();
  for (const order of orders) {
    const confirmed = order.events.find((e) => e.type === 'OrderConfirmed');
    const customerId = confirmed?.data.customerId as string | undefined;
    const total = Number(confirmed?.data.total);
    if (!confirmed || !customerId || !(total >= LOYALTY_MIN_TOTAL)) continue;
    loyaltyOrders.set(customerId, [
      ...(loyaltyOrders.get(customerId) ?? []),
      { orderId: order.orderId, eventId: confirmed.eventId, points: Math.floor(total) },
    ]);
  }
  return loyaltyOrders;
}

/**
 * What one order still holds, read from its own recorded events and checked against the order service's
 * records. A NEEDS_ATTENTION order is final but may hold stock or money by design: a compensation failed
 * after all its retries and the saga left that effect for an operator (docs/failure-modes.md, scenario 12;
 * the release is `releaseInventory`, lambdas/inventory-service/stock.ts, the refund `refundPayment`,
 * lambdas/payment-service/payments.ts). The stock invariant sets aside exactly this, per SKU, instead of a
 * blanket tolerance, so stock a released or cancelled order did not give back still breaks it.
 */
export interface Holdings {
  /** Units per SKU reserved and not released: the InventoryReserved event's items, unless an InventoryReleased followed. */
  stock: Map<string, number>;
  /** The amount charged and not refunded (the PaymentCharged event's), 0 when none. */
  charged: number;
  /** Where the service's records disagree with the events about what is held. */
  problems: string[];
}

const countOf = (events: readonly { type: string }[], type: string) => events.filter((e) => e.type === type).length;

/** Sums quantities per SKU (an order may list a SKU twice). */
function unitsBySku(items: readonly OrderItem[]): Map<string, number> {
  const bySku = new Map<string, number>();
  for (const item of items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + Number(item.quantity));
  return bySku;
}

const sameUnits = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([sku, n]) => b.get(sku) === n);

/**
 * Pure: what `order` still holds by its events (reserved and not released, charged and not refunded), and
 * whether its reservation and payment records say the same: a record still RESERVED whose release was
 * recorded (or the reverse), other items than the event's, a payment record that disagrees with the charge.
 */
export function heldByOrder(order: OrderInvariantFacts): Holdings {
  const problems: string[] = [];
  const reserved = order.events.find((e) => e.type === 'InventoryReserved');
  const holdsStock = countOf(order.events, 'InventoryReserved') > countOf(order.events, 'InventoryReleased');
  const stock = holdsStock && reserved ? unitsBySku((reserved.data.items ?? []) as OrderItem[]) : new Map();
  const reservationStatus = order.reservation?.status as string | undefined;
  if (holdsStock && reservationStatus !== 'RESERVED') {
    problems.push(`events say stock is reserved, the reservation record says ${reservationStatus ?? 'nothing'}`);
  } else if (!holdsStock && reservationStatus === 'RESERVED') {
    problems.push('reservation record RESERVED, but the events show no stock held');
  } else if (holdsStock && order.reservation?.items) {
    const recorded = unitsBySku(order.reservation.items as OrderItem[]);
    if (!sameUnits(recorded, stock)) problems.push('the reservation record holds other items than InventoryReserved');
  }
  const charge = order.events.find((e) => e.type === 'PaymentCharged');
  const holdsCharge = countOf(order.events, 'PaymentCharged') > countOf(order.events, 'PaymentRefunded');
  const paymentStatus = order.payment?.status as string | undefined;
  if (holdsCharge !== (paymentStatus === 'CHARGED')) {
    problems.push(
      `events say the payment is ${holdsCharge ? 'charged' : 'not charged'}, the payment record says ${paymentStatus ?? 'nothing'}`,
    );
  }
  return { stock, charged: holdsCharge && charge ? Number(charge.data.amount ?? 0) : 0, problems };
}

/** The holdings in words, for the report of a NEEDS_ATTENTION order. */
function describeHoldings(held: Holdings): string[] {
  return [
    ...[...held.stock].map(([sku, n]) => `${n} × ${sku} reserved, not released`),
    ...(held.charged > 0 ? [`${held.charged} charged, not refunded`] : []),
  ];
}

const parkedLine = (p: ParkedMessage) =>
  `${p.consumers.join('+')} ${p.eventType ?? 'message'} in ${p.dlq}: ${p.reason.slice(0, 200)}`;

/**
 * Whether a DLQ message stands for `consumer`'s message of this event: its DLQ serves the consumer and its
 * envelope names the event (its id where the message carries one, and its type). The order id is matched
 * by the caller. A message without an envelope stands for nothing.
 */
export function parkedMatches(
  p: ParkedMessage,
  consumer: Consumer,
  event: { eventId?: string; eventType: string },
): boolean {
  if (!p.consumers.includes(consumer) || (!p.eventId && !p.eventType)) return false;
  if (p.eventType !== undefined && p.eventType !== event.eventType) return false;
  return !(p.eventId !== undefined && event.eventId !== undefined && p.eventId !== event.eventId);
}

/** Pure: applies every invariant to the gathered facts. */
export function checkInvariants(facts: InvariantFacts): InvariantReport {
  const checked = new Set(facts.orders.map((o) => o.orderId));
  const parkedByOrder = new Map<string, ParkedMessage[]>();
  const other: string[] = [];
  for (const p of facts.parked ?? []) {
    if (!p.orderId || !checked.has(p.orderId)) {
      other.push(`${p.orderId ?? 'no order id'}: ${parkedLine(p)}`);
      continue;
    }
    parkedByOrder.set(p.orderId, [...(parkedByOrder.get(p.orderId) ?? []), p]);
  }
  /** The DLQ message of this order that stands for the consumer's missing message of this event, if one was read. */
  const parkedFor = (orderId: string, consumer: Consumer, eventId: string | undefined, eventType: string) =>
    (parkedByOrder.get(orderId) ?? []).find((p) => parkedMatches(p, consumer, { eventId, eventType }));
  const isParked = (orderId: string, consumer: Consumer, eventId: string, eventType: string) =>
    parkedFor(orderId, consumer, eventId, eventType) !== undefined;
  /** Where a lost message may sit unread: the DLQs of its consumer that could not be read in full. */
  const unreadNote = (consumer: Consumer) => {
    const unread = (facts.unseen ?? []).filter((u) => u.consumers.includes(consumer) && u.count > 0);
    return unread.length === 0
      ? ''
      : ` (${unread.map((u) => `${u.count} unread in ${u.dlq}`).join(', ')}: not counted, they may be anyone's)`;
  };

  const reports = facts.orders.map((order): OrderInvariantReport => {
    const audit = auditOrder({
      orderId: order.orderId,
      events: order.events.map((e) => ({ version: e.version, type: e.type })),
      recordStatus: order.order?.status as string | undefined,
    });
    const report: OrderInvariantReport = {
      orderId: order.orderId,
      finalStatus:
        audit.finalStatus ??
        (FINAL_RECORD_STATES.has(String(order.order?.status)) ? String(order.order?.status) : undefined),
      violations: [...audit.violations],
      lost: [],
      doubleApplied: [],
      parked: [],
      deadLettered: (parkedByOrder.get(order.orderId) ?? []).map(parkedLine),
    };
    const ids = order.events.map((e) => e.eventId);
    const repeatedId = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeatedId) report.violations.push(`event id ${repeatedId} stored twice`);

    // Money and stock, from the service's own records (the events are checked by the audit).
    const paymentStatus = order.payment?.status as string | undefined;
    if (report.finalStatus === 'CANCELLED' && paymentStatus === 'CHARGED') {
      report.violations.push('payment record still CHARGED on a cancelled order (not refunded)');
    }
    if (report.finalStatus === 'CONFIRMED' && paymentStatus !== 'CHARGED') {
      report.violations.push(`confirmed order's payment record is ${paymentStatus ?? 'missing'}, not CHARGED`);
    }
    const reservationStatus = order.reservation?.status as string | undefined;
    if (report.finalStatus === 'CANCELLED' && reservationStatus === 'RESERVED') {
      report.violations.push('reservation still RESERVED on a cancelled order (stock not restored)');
    }
    if (report.finalStatus === 'NEEDS_ATTENTION') {
      // Final, and holding what its failed compensation left: not a violation, but it must be what the
      // events say (the stock check below sets exactly that aside).
      const held = heldByOrder(order);
      report.held = describeHoldings(held);
      report.violations.push(...held.problems);
    }

    if (!report.finalStatus) {
      const placed = order.events.find((e) => e.type === 'OrderPlaced');
      // The saga's rule-target DLQ holds the OrderPlaced event itself (with the stored id, when one was stored).
      const sagaParked = parkedFor(order.orderId, 'saga', placed?.eventId, 'OrderPlaced');
      if (sagaParked) report.parked.push(parkedLine(sagaParked));
      else {
        report.lost.push(
          `order has no final state (record ${String(order.order?.status ?? 'missing')}, ${placed ? `${order.events.length} events` : 'no events'})`,
        );
      }
    }
    for (const message of expectedMessages(order)) {
      const what = `${message.consumer} ${message.eventType} (event ${message.eventId})`;
      if (message.applied > 1) report.doubleApplied.push(`${what} applied ${message.applied} times`);
      else if (message.applied === 0) {
        const parked = parkedFor(order.orderId, message.consumer, message.eventId, message.eventType);
        if (parked) report.parked.push(parkedLine(parked));
        else report.lost.push(`${what} neither applied nor parked${unreadNote(message.consumer)}`);
      }
    }
    return report;
  });

  // Loyalty, per customer: the confirmed orders of LOYALTY_MIN_TOTAL or more among these orders.
  const byOrder = new Map(reports.map((r) => [r.orderId, r]));
  const loyaltyOrders = expectedLoyalty(facts.orders);
  for (const [customerId, record] of Object.entries(facts.loyalty)) {
    const expected = loyaltyOrders.get(customerId) ?? [];
    const applied = record?.orders ?? 0;
    if (applied > expected.length) {
      // Awards cannot be told apart: every order of the customer carries the finding.
      const line = `loyalty for customer ${customerId}: ${applied} orders awarded, ${expected.length} expected`;
      for (const order of facts.orders) {
        const placed = order.events.find((e) => e.type === 'OrderPlaced');
        if (placed?.data.customerId === customerId) byOrder.get(order.orderId)?.doubleApplied.push(line);
      }
    } else if (applied < expected.length) {
      // The awarded ones cannot be told apart: the missing count must be covered by parked messages.
      const unparked = expected.filter((e) => !isParked(e.orderId, 'loyalty', e.eventId, 'OrderConfirmed'));
      for (const e of expected) {
        const parked = parkedFor(e.orderId, 'loyalty', e.eventId, 'OrderConfirmed');
        if (parked) byOrder.get(e.orderId)?.parked.push(parkedLine(parked));
      }
      const missing = expected.length - applied - (expected.length - unparked.length);
      for (const e of unparked.slice(0, Math.max(0, missing))) {
        byOrder
          .get(e.orderId)
          ?.lost.push(
            `loyalty OrderConfirmed (event ${e.eventId}) neither applied nor parked (customer ${customerId})${unreadNote('loyalty')}`,
          );
      }
    }
  }

  for (const report of reports) {
    report.violations.push(...report.lost.map((l) => `lost: ${l}`), ...report.doubleApplied.map((d) => `double: ${d}`));
  }

  // Stock arithmetic for SKUs only these orders use: after = before − confirmed quantities − what
  // NEEDS_ATTENTION orders still hold by their own events (heldByOrder), nothing more.
  const violations: string[] = [];
  const attentionHoldings = facts.orders
    .filter((order) => byOrder.get(order.orderId)?.finalStatus === 'NEEDS_ATTENTION')
    .map(heldByOrder);
  for (const [sku, before] of Object.entries(facts.stockBefore)) {
    let confirmed = 0;
    for (const order of facts.orders) {
      if (byOrder.get(order.orderId)?.finalStatus !== 'CONFIRMED') continue;
      const items = (order.events.find((e) => e.type === 'OrderPlaced')?.data.items ?? []) as OrderItem[];
      confirmed += items.filter((i) => i.sku === sku).reduce((sum, i) => sum + i.quantity, 0);
    }
    const held = attentionHoldings.reduce((sum, h) => sum + (h.stock.get(sku) ?? 0), 0);
    const expected = before - confirmed - held;
    const after = facts.stockAfter[sku];
    if (after !== expected) {
      violations.push(
        `stock of ${sku}: ${after ?? 'missing'} after, expected ${expected} (${before} before − ${confirmed} confirmed` +
          `${held > 0 ? ` − ${held} held by NEEDS_ATTENTION orders` : ''})`,
      );
    }
  }

  const count = (f: (r: OrderInvariantReport) => boolean) => reports.filter(f).length;
  const totals = {
    orders: reports.length,
    final: count((r) => r.finalStatus !== undefined),
    lost: count((r) => r.lost.length > 0),
    doubleApplied: count((r) => r.doubleApplied.length > 0),
    parked: count((r) => r.parked.length > 0),
    deadLettered: count((r) => r.deadLettered.length > 0),
    violations: count((r) => r.violations.length > 0) + violations.length,
  };
  return { orders: reports, violations, other, totals, ok: totals.violations === 0 };
}

/** Readable lines for a failed check: one per broken rule, at most `max` of them. */
export function formatViolations(report: InvariantReport, max = 50): string[] {
  const lines = [
    ...report.violations,
    ...report.orders.flatMap((r) =>
      r.violations.map((v) => `${r.orderId} (${r.finalStatus ?? 'no final state'}): ${v}`),
    ),
  ];
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more`] : lines;
}

/** Runs `work` over `items` with at most `limit` at a time (keeps a few thousand reads from flooding the engine). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  // Hand-written: ten lines, where a dependency (p-limit) would be ESM-only and add nothing else we use.
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The DLQs the invariants read: a consumer queue's, a subscription's and the rule targets' (output keys). */
type DeadLetterKey =
  | (typeof DEAD_LETTER_QUEUE_OUTPUT_KEYS.queue)[number]
  | (typeof DEAD_LETTER_QUEUE_OUTPUT_KEYS.subscription)[number]
  | (typeof DEAD_LETTER_QUEUE_OUTPUT_KEYS.ruleTarget)[number];

/** Which consumers a DLQ stands for; the rule-target DLQ's are resolved per message, by its RULE_ARN. */
const DLQ_CONSUMERS: Record<DeadLetterKey, Consumer[]> = {
  EmailDlqUrl: ['email'],
  AnalyticsDlqUrl: ['analytics'],
  LoyaltyDlqUrl: ['loyalty'],
  OrderTimelineDlqUrl: ['timeline'],
  RuleTargetDlqUrl: [],
  EmailSubscriptionDlqUrl: ['email'],
  AnalyticsSubscriptionDlqUrl: ['analytics'],
  LoyaltySubscriptionDlqUrl: ['loyalty'],
};
const isDeadLetterKey = (key: string): key is DeadLetterKey => Object.hasOwn(DLQ_CONSUMERS, key);

/**
 * The consumers behind the rule a rule-target DLQ message came from, by the routing table: its RULE_ARN is
 * matched against each route's deployed rule (`ruleArns`, the stack outputs `<route>RuleArn`). A rule the table
 * does not know stands for every consumer a rule could reach with the event's type.
 */
function ruleTargetConsumers(
  ruleArn: string | undefined,
  eventType: string | undefined,
  ruleArns: Readonly<Record<RuleRouteId, string>> | undefined,
): Consumer[] {
  const route = ruleArns && ruleRouteOf(ruleArn, ruleArns);
  if (route) return [...route.consumers];
  if (!eventType) return [];
  return RULE_ROUTES.filter((r) => (r.pattern.detailType as readonly string[]).includes(eventType)).flatMap((r) => [
    ...r.consumers,
  ]);
}

/**
 * The envelope inside a DLQ body: the envelope itself (raw delivery, EventBridge
 * input `$.detail`), SNS's notification JSON around it, or a whole EventBridge
 * event (`detail`). Anything else (malformed JSON) has no envelope.
 */
export function envelopeInBody(body: string): { id?: string; type?: string; orderId?: string } | undefined {
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  let value = parse(body) as Record<string, unknown> | undefined;
  if (value?.Type === 'Notification' && typeof value.Message === 'string') {
    value = parse(value.Message) as Record<string, unknown> | undefined;
  }
  if (value && typeof value.detail === 'object' && value.detail !== null && 'detail-type' in value) {
    value = value.detail as Record<string, unknown>;
  }
  if (!value || typeof value !== 'object') return undefined;
  return {
    id: typeof value.id === 'string' ? value.id : undefined,
    type: typeof value.type === 'string' ? value.type : undefined,
    orderId: orderIdOf(value),
  };
}

/**
 * Turns one received DLQ message into a ParkedMessage. `ruleArns` (the stack's rule ARN outputs,
 * `ruleArnsOf(outputs)`) tells which route a rule-target DLQ message came from.
 */
export function parkedMessageOf(
  dlqKey: DeadLetterKey,
  message: Message,
  ruleArns?: Readonly<Record<RuleRouteId, string>>,
): ParkedMessage {
  const hasSourceQueue = (DEAD_LETTER_QUEUE_OUTPUT_KEYS.queue as readonly string[]).includes(dlqKey);
  const described = describeMessage(message, { hasSourceQueue });
  const envelope = envelopeInBody(message.Body ?? '');
  const fixed = DLQ_CONSUMERS[dlqKey];
  return {
    dlq: dlqKey.replace(/Url$/, ''),
    consumers: fixed.length > 0 ? fixed : ruleTargetConsumers(described.details.RULE_ARN, envelope?.type, ruleArns),
    orderId: envelope?.orderId,
    eventId: envelope?.id,
    eventType: envelope?.type,
    reason: described.reason,
    body: message.Body ?? '',
  };
}

/**
 * Reads every message of the stack's consumer, subscription and rule-target
 * DLQs without consuming it: received with a short visibility timeout and
 * released at once (the DLQ tool's `peek`). The stream failure queues hold
 * batch descriptions, not events, and are not read.
 *
 * Another reader (a parallel test, an operator's `dlq show`) may hide messages
 * while it reads, so one read can miss a parked message: callers that wait for
 * the system to settle (`expectInvariants`, the soak run) read again on every
 * poll before they call a message lost.
 */
export async function scanDeadLetters(
  sys: System,
  {
    maxPerQueue = 100_000,
    waitSeconds = 0,
  }: {
    maxPerQueue?: number;
    /**
     * Long-poll wait per receive. 0 suits the local engine; on AWS a short poll
     * samples only some SQS servers and can come back empty while messages
     * remain (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html),
     * so a scan that must not miss one waits 1 s.
     */
    waitSeconds?: number;
  } = {},
): Promise<DeadLetterScan> {
  const found: ParkedMessage[] = [];
  const unseen: UnseenDeadLetters[] = [];
  const dlqKeys = Object.keys(DLQ_CONSUMERS).filter(isDeadLetterKey);
  const ruleArns = ruleArnsOf(sys.outputs);
  for (const key of dlqKeys) {
    const url = sys.outputs[key];
    const { Attributes: depth } = await sys.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // A FIFO DLQ is read group by group, so the messages behind a group's head are read too (dlq/peek.ts).
    const read = url.endsWith('.fifo') ? peekFifo : peek;
    const { messages } = await read(sys.sqs, url, { max: maxPerQueue, visibilitySeconds: 30, waitSeconds });
    try {
      found.push(...messages.map((m) => parkedMessageOf(key, m, ruleArns)));
    } finally {
      await release(sys.sqs, url, messages);
    }
    const held =
      Number(depth?.ApproximateNumberOfMessages ?? 0) + Number(depth?.ApproximateNumberOfMessagesNotVisible ?? 0);
    // Only a FIFO DLQ hides messages behind its groups' heads, and a queue longer than the limit is read
    // only in part; elsewhere a shortfall is another reader's.
    const capped = messages.length >= maxPerQueue;
    if ((capped || url.endsWith('.fifo')) && held > messages.length) {
      const consumers = DLQ_CONSUMERS[key];
      const cause = capped ? 'limit' : 'fifo-groups';
      unseen.push({ dlq: key.replace(/Url$/, ''), consumers, count: held - messages.length, cause });
    }
  }
  return { messages: found, unseen, read: dlqKeys.map((key) => key.replace(/Url$/, '')) };
}

export interface GatherOptions {
  /** Stock per SKU before the orders, for SKUs only these orders use: checks after = before − confirmed. */
  stockBefore?: Record<string, number>;
  /**
   * Check loyalty per customer. Leave on when each customer's orders are all in the set
   * (tests make a customer per order); turn off for shared customers.
   * @default true
   */
  loyalty?: boolean;
  /** Reads at a time against the engine. @default 16 */
  concurrency?: number;
  /** DLQ contents already read (e.g. once for many checks); otherwise read when an effect is missing. */
  parked?: DeadLetterScan;
}

/** Reads the facts for `orderIds` from the deployed system. */
export async function gatherInvariantFacts(
  sys: System,
  orderIds: readonly string[],
  options: GatherOptions = {},
): Promise<InvariantFacts> {
  const consumerRecord = (key: { pk: string; sk: string }) => sys.consumerRecord(key);
  const orders = await mapLimit(orderIds, options.concurrency ?? 16, async (orderId) => {
    const stored = await sys.storedEvents(orderId);
    const events = stored
      .map((e) => {
        const envelope = JSON.parse(e.envelope) as { id: string; data: Record<string, unknown> };
        return { version: Number(e.version), type: e.type, eventId: e.eventId ?? envelope.id, data: envelope.data };
      })
      .sort((a, b) => a.version - b.version);
    const outcomeTypes = [...new Set(events.filter((e) => reaches('email', e.type)).map((e) => e.type))];
    const [order, payment, reservation, analytics, timeline, ...emails] = await Promise.all([
      sys.serviceRecord(keys.order(orderId)),
      sys.serviceRecord(keys.payment(orderId)),
      sys.serviceRecord(keys.reservation(orderId)),
      consumerRecord(keys.analytics(orderId)),
      consumerRecord(keys.timeline(orderId)),
      ...outcomeTypes.map((type) => consumerRecord(keys.email(orderId, type))),
    ]);
    const facts: OrderInvariantFacts = {
      orderId,
      events,
      order,
      payment,
      reservation,
      emails: Object.fromEntries(outcomeTypes.map((type, i) => [type, Number(emails[i]?.sends ?? 0)])),
      analytics: analytics
        ? { events: Number(analytics.events ?? 0), types: [...((analytics.types as Set<string>) ?? [])] }
        : undefined,
      timeline: (timeline?.entries as string[] | undefined) ?? undefined,
      timelineGroups: timeline?.messageGroupIds ? [...(timeline.messageGroupIds as Set<string>)] : undefined,
    };
    return facts;
  });

  const loyalty: InvariantFacts['loyalty'] = {};
  if (options.loyalty ?? true) {
    const customers = new Set(
      orders.flatMap((o) => o.events.filter((e) => e.type === 'OrderPlaced').map((e) => String(e.data.customerId))),
    );
    await mapLimit([...customers], options.concurrency ?? 16, async (customerId) => {
      const record = await sys.consumerRecord(keys.loyalty(customerId));
      loyalty[customerId] = record
        ? { points: Number(record.points ?? 0), orders: Number(record.orders ?? 0) }
        : undefined;
    });
  }

  const stockBefore = options.stockBefore ?? {};
  const stockAfter: Record<string, number | undefined> = {};
  for (const sku of Object.keys(stockBefore)) stockAfter[sku] = await sys.stockOf(sku);

  const facts: InvariantFacts = {
    orders,
    loyalty,
    stockAfter,
    stockBefore,
    parked: options.parked?.messages,
    unseen: options.parked?.unseen,
  };
  if (!facts.parked) {
    // Read the DLQs only when something is missing: they can be long, and most checks need nothing from them.
    const first = checkInvariants(facts);
    if (first.orders.some((o) => o.lost.length > 0)) {
      const scan = await scanDeadLetters(sys);
      facts.parked = scan.messages;
      facts.unseen = scan.unseen;
    }
  }
  return facts;
}

/** Gathers the facts and checks them: the one call scenarios and the soak run make. */
export async function verifyInvariants(
  sys: System,
  orderIds: readonly string[],
  options: GatherOptions = {},
): Promise<InvariantReport> {
  return checkInvariants(await gatherInvariantFacts(sys, orderIds, options));
}
