import type { Message } from '@aws-sdk/client-sqs';
import { LOYALTY_MIN_TOTAL } from '../../../lambdas/contracts/order-rules';
import { FINAL_ORDER_STATUSES } from '../../../lambdas/contracts/order-status';
import {
  type Consumer,
  type DeadLetterScan,
  expectedLoyalty,
  expectedMessages,
  formatViolations,
  type InvariantFacts,
  type InvariantReport,
  type OrderInvariantFacts,
} from '../invariants';
import type { SmokeBatch, SmokeOrder } from './batch';
import { type Check, fail, fromProblems, pass } from './verdict';

/**
 * The smoke checks that judge what the system recorded, as pure functions of
 * the facts gathered once (scripts/lib/invariants.ts `gatherInvariantFacts`),
 * so each rule is unit-tested without an engine.
 */

const finalEventTypes = ['OrderConfirmed', 'OrderCancelled', 'OrderNeedsAttention'];

function factsOf(facts: InvariantFacts, orderId: string): OrderInvariantFacts | undefined {
  return facts.orders.find((o) => o.orderId === orderId);
}

/** The order's final status as its record says, and the reason its OrderCancelled event gives. */
export function outcomeOf(order: OrderInvariantFacts | undefined): { status?: string; reason?: string } {
  const cancelled = order?.events.find((e) => e.type === 'OrderCancelled');
  return {
    status: order?.order?.status as string | undefined,
    reason: cancelled ? String(cancelled.data.reason) : undefined,
  };
}

/** Whether an order has reached a final state in both its record and its event stream. */
export function isFinal(order: OrderInvariantFacts | undefined): boolean {
  const status = String(order?.order?.status);
  return (
    (FINAL_ORDER_STATUSES as readonly string[]).includes(status) &&
    !!order?.events.some((e) => finalEventTypes.includes(e.type))
  );
}

/** Each order ended as its scenario says: status, and for a cancellation the step and cause. */
export function outcomesCheck(batch: SmokeBatch, facts: InvariantFacts): Check {
  const problems: string[] = [];
  for (const o of batch.orders) {
    const { status, reason } = outcomeOf(factsOf(facts, o.order.data.orderId));
    const id = `${o.order.data.orderId} (${o.scenario})`;
    if (status !== o.expectedStatus)
      problems.push(`${id}: ${status ?? 'no order record'}, expected ${o.expectedStatus}`);
    else if (o.expectedReason && !reason?.startsWith(o.expectedReason)) {
      problems.push(`${id}: cancelled for "${reason ?? 'no OrderCancelled event'}", expected "${o.expectedReason}…"`);
    }
  }
  const byStatus = (s: string) => batch.orders.filter((o) => o.expectedStatus === s).length;
  return fromProblems(
    'outcomes',
    problems,
    `${byStatus('CONFIRMED')} confirmed, ${byStatus('CANCELLED')} cancelled (card declined, out of stock, unserviceable destination), each as expected`,
  );
}

/**
 * The order delivered twice (same event id) was accepted once: one OrderPlaced
 * in its stream, and each of its effects applied once.
 */
export function duplicateCheck(batch: SmokeBatch, facts: InvariantFacts): Check {
  const duplicated = batch.orders.filter((o) => o.deliveries > 1);
  if (duplicated.length === 0) return fail('duplicate delivery', 'the batch has no duplicated order');
  const problems: string[] = [];
  for (const o of duplicated) {
    const order = factsOf(facts, o.order.data.orderId);
    const placed = order?.events.filter((e) => e.type === 'OrderPlaced').length ?? 0;
    if (placed !== 1) problems.push(`${o.order.data.orderId}: OrderPlaced stored ${placed} times`);
    if (!order) continue;
    for (const m of expectedMessages(order).filter((m) => m.applied !== 1)) {
      problems.push(`${o.order.data.orderId}: ${m.consumer} ${m.eventType} applied ${m.applied} times`);
    }
  }
  const deliveries = duplicated.reduce((n, o) => n + o.deliveries, 0);
  return fromProblems(
    'duplicate delivery',
    problems,
    `${duplicated.length} order delivered ${deliveries} times: one OrderPlaced stored, every effect once`,
  );
}

/** The invariants of scripts/lib/invariants.ts over the smoke orders (and the smoke SKUs' stock). */
export function invariantsCheck(report: InvariantReport): Check {
  const t = report.totals;
  return report.ok
    ? pass(
        'invariants',
        `${t.orders} orders: ${t.final} final, one final state each, no double charge, stock restored, versions 1..n; 0 lost, 0 double-applied`,
      )
    : fail(
        'invariants',
        `${t.violations} of ${t.orders} orders/SKUs broke a rule (lost ${t.lost}, double-applied ${t.doubleApplied}): ${formatViolations(report, 5).join('; ')}`,
      );
}

/**
 * Every consumer effect the orders should have caused, applied exactly once:
 * the e-mail and the analytics record per outcome, loyalty points for a
 * confirmed order of LOYALTY_MIN_TOTAL or more (and none below it), and a
 * timeline entry per order event. An order with no outcome event fails here
 * too: its effects cannot be checked.
 */
export function effectsCheck(batch: SmokeBatch, facts: InvariantFacts): Check {
  const problems: string[] = [];
  const counts: Record<Consumer, number> = { email: 0, analytics: 0, loyalty: 0, timeline: 0, saga: 0 };
  for (const o of batch.orders) {
    const orderId = o.order.data.orderId;
    const order = factsOf(facts, orderId);
    if (!order?.events.some((e) => finalEventTypes.includes(e.type))) {
      problems.push(`${orderId}: no outcome event, so no e-mail, analytics or loyalty to check`);
      continue;
    }
    const expected = expectedMessages(order);
    for (const consumer of ['email', 'analytics', 'timeline'] as const) {
      if (!expected.some((m) => m.consumer === consumer)) problems.push(`${orderId}: no ${consumer} effect expected`);
    }
    for (const m of expected) {
      if (m.applied === 1) counts[m.consumer]++;
      else problems.push(`${orderId}: ${m.consumer} ${m.eventType} applied ${m.applied} times`);
    }
  }
  const loyalty = expectedLoyalty(facts.orders);
  for (const o of batch.orders) {
    const customerId = o.order.data.customerId;
    const wanted = loyalty.get(customerId)?.length ?? 0;
    const awarded = facts.loyalty[customerId]?.orders ?? 0;
    if (awarded !== wanted) {
      problems.push(
        `${o.order.data.orderId}: loyalty awarded ${awarded} times, expected ${wanted} (total ${o.order.data.total})`,
      );
    } else counts.loyalty += awarded;
  }
  const earning = batch.orders.filter(
    (o) => o.expectedStatus === 'CONFIRMED' && o.order.data.total >= LOYALTY_MIN_TOTAL,
  );
  if (earning.length === 0) problems.push(`no order of the batch earns loyalty points (≥ ${LOYALTY_MIN_TOTAL})`);
  return fromProblems(
    'consumer effects',
    problems,
    `each once: ${counts.email} e-mails, ${counts.analytics} analytics records, ${counts.loyalty} loyalty award ` +
      `(orders ≥ ${LOYALTY_MIN_TOTAL}; none below), ${counts.timeline} timeline entries`,
  );
}

/**
 * The ordered consumer saw each smoke order's events in one message group,
 * named by the order id: the per-order ordering a FIFO queue promises only
 * holds when the group is set per order. A shared or literal group fails.
 */
export function groupingCheck(batch: SmokeBatch, facts: InvariantFacts): Check {
  const problems: string[] = [];
  for (const o of batch.orders) {
    const orderId = o.order.data.orderId;
    const groups = factsOf(facts, orderId)?.timelineGroups;
    if (!groups || groups.length === 0) problems.push(`${orderId}: no message group recorded (no timeline entry)`);
    else if (groups.length !== 1 || groups[0] !== orderId) {
      problems.push(`${orderId}: groups {${groups.join(', ')}}, expected {${orderId}}`);
    }
  }
  return fromProblems(
    'timeline grouping',
    problems,
    `each of ${batch.orders.length} orders in exactly its own message group {orderId}`,
  );
}

/** True when every smoke order's timeline messages travelled in a group of its own. */
export const groupsArePerOrder = (batch: SmokeBatch, facts: InvariantFacts) =>
  groupingCheck(batch, facts).result === 'pass';

/** A stream failure queue's records, peeked: SentTimestamp is when Lambda gave the batch up. */
export interface StreamFailures {
  /** The output key without `Url`. */
  queue: string;
  messages: Message[];
  /** True when the queue held more than was read: a recent failure may be among the unread. */
  capped?: boolean;
}

/**
 * No message of the run sits in a DLQ of the stack. Consumer, subscription and
 * rule-target DLQ messages are matched by order id, event id, or the run's
 * prefix anywhere in the body. Stream failure queues hold batch descriptions
 * without order ids: any batch given up since the run started may hold a smoke
 * event, so it fails the check. Messages a FIFO DLQ hides behind its groups'
 * heads can hide a smoke message only when smoke orders share a group with
 * others; then the check cannot tell, which is a failure.
 */
export function deadLettersCheck(
  batch: SmokeBatch,
  scan: DeadLetterScan,
  streamFailures: readonly StreamFailures[],
  options: {
    startedAt: number;
    perOrderGroups: boolean;
    /** Every DLQ of the stack (output keys without `Url`, scripts/lib/dlq/catalogue.ts `dlqOutputKeys`). */
    dlqs: readonly string[];
    maxPerQueue: number;
  },
): Check {
  const orderIds = new Set(batch.orders.map((o) => o.order.data.orderId));
  const eventIds = new Set(batch.orders.map((o) => o.order.id));
  const problems: string[] = [];
  for (const m of scan.messages) {
    const ours =
      (m.orderId && orderIds.has(m.orderId)) || (m.eventId && eventIds.has(m.eventId)) || m.body.includes(batch.prefix);
    if (ours) {
      problems.push(`${m.dlq}: ${m.eventType ?? 'message'} of ${m.orderId ?? 'the run'} (${m.reason.slice(0, 120)})`);
    }
  }
  // Every DLQ the stack outputs is read: by the scan, or as a stream failure queue.
  const read = new Set([...(scan.read ?? []), ...streamFailures.map((f) => f.queue)]);
  const unread = options.dlqs.filter((d) => !read.has(d));
  if (options.dlqs.length === 0) problems.push('the stack outputs no DLQ to read');
  if (unread.length > 0) problems.push(`not read: ${unread.join(', ')}`);
  for (const u of scan.unseen) {
    if (u.cause === 'limit') {
      problems.push(
        `${u.dlq}: ${u.count} message(s) beyond the ${options.maxPerQueue} read: cannot tell whether a smoke message is among them`,
      );
    } else if (!options.perOrderGroups) {
      problems.push(
        `${u.dlq}: ${u.count} message(s) unreadable behind other FIFO group heads, and smoke orders do not have groups of their own: cannot tell whether a smoke message is among them`,
      );
    }
  }
  for (const f of streamFailures) {
    if (f.capped)
      problems.push(`${f.queue}: more than ${options.maxPerQueue} batch descriptions, not all read: cannot tell`);
    const recent = f.messages.filter((m) => Number(m.Attributes?.SentTimestamp ?? 0) >= options.startedAt);
    if (recent.length > 0) {
      problems.push(
        `${f.queue}: ${recent.length} stream batch(es) given up since the run started (batch descriptions carry no order id; they may hold smoke events)`,
      );
    }
  }
  const peeked = scan.messages.length + streamFailures.reduce((n, f) => n + f.messages.length, 0);
  const unseen = scan.unseen.reduce((n, u) => n + u.count, 0);
  return fromProblems(
    'dead-letter queues',
    problems,
    `no smoke message among ${peeked} message(s) peeked (not consumed) in ${read.size} DLQs` +
      (unseen ? `; ${unseen} behind other orders' FIFO groups, where no smoke message can be` : ''),
  );
}

/** Which orders have settled: final, every expected effect applied, and a timeline group recorded. */
export function settledOrders(batch: SmokeBatch, facts: InvariantFacts): Set<string> {
  const loyalty = expectedLoyalty(facts.orders);
  const settled = new Set<string>();
  for (const o of batch.orders) {
    const order = factsOf(facts, o.order.data.orderId);
    if (!order || !isFinal(order)) continue;
    if (expectedMessages(order).some((m) => m.applied === 0)) continue;
    const wanted = loyalty.get(o.order.data.customerId)?.length ?? 0;
    if ((facts.loyalty[o.order.data.customerId]?.orders ?? 0) < wanted) continue;
    if (!order.timelineGroups?.length) continue;
    settled.add(o.order.data.orderId);
  }
  return settled;
}

/** A one-line state of an order for the progress output. */
export function progressLine(o: SmokeOrder, facts: InvariantFacts, settled: boolean): string {
  const order = factsOf(facts, o.order.data.orderId);
  const status = String(order?.order?.status ?? 'not recorded yet');
  return `${o.order.data.orderId} (${o.scenario}): ${status}${settled ? ', every effect applied' : ''}`;
}
