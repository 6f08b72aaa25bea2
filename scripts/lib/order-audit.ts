/**
 * The invariants every order must keep, checked from what the system
 * recorded (the order's event stream and the order service's record). Shared
 * by the benchmark and anything else that drives load, so "lost" and
 * "double-applied" mean the same everywhere.
 */
export interface OrderAudit {
  orderId: string;
  /**
   * CONFIRMED / CANCELLED / NEEDS_ATTENTION, or undefined when the order has
   * not finished (lost if the deadline passed).
   */
  finalStatus?: string;
  /** Every rule the order broke; empty when it kept them all. */
  violations: string[];
  /**
   * For a NEEDS_ATTENTION order: the effects still held, which an operator
   * must undo (e.g. "payment charged, not refunded"); empty once they are.
   * Not violations: the order says openly that it is unfinished.
   */
  leftUndone: string[];
}

/** What the audit needs per order: its stored event types in version order, its versions, and its record's status. */
export interface OrderFacts {
  orderId: string;
  events: { version: number; type: string }[];
  recordStatus?: string;
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

/** The events that end an order, and the final status each one means. */
const FINAL_EVENTS: Record<string, string> = {
  OrderConfirmed: 'CONFIRMED',
  OrderCancelled: 'CANCELLED',
  // A compensation failed after all its retries: final, and says so; what it left is in `leftUndone`.
  OrderNeedsAttention: 'NEEDS_ATTENTION',
};

/** The effects a compensation undoes: the effect's event, its undo's event, and how to name it when left. */
const UNDOABLE = [
  { done: 'PaymentCharged', undone: 'PaymentRefunded', left: 'payment charged, not refunded' },
  { done: 'InventoryReserved', undone: 'InventoryReleased', left: 'stock reserved, not released' },
  { done: 'ShipmentArranged', undone: 'ShipmentCancelled', left: 'shipment arranged, not cancelled' },
];

/**
 * Checks one order: exactly one final event, agreeing with the order record;
 * at most one charge, one reservation, one shipment; a cancelled order that
 * was charged is refunded and one that reserved stock released it; versions
 * 1..n with no gap or repeat; no event type recorded twice (but OrderConflictRejected, once per refused event). A NEEDS_ATTENTION
 * order is finished (neither lost nor a violation for what it holds), and
 * its `leftUndone` lists the effects still held.
 */
export function auditOrder(facts: OrderFacts): OrderAudit {
  const types = facts.events.map((e) => e.type);
  const violations: string[] = [];
  const finalEvents = types.filter((t) => t in FINAL_EVENTS);
  const finals = finalEvents.length;
  const finalStatus = finalEvents.length > 0 ? FINAL_EVENTS[finalEvents[0]] : undefined;
  if (finals > 1) violations.push(`${finals} final events`);
  if (finalStatus && facts.recordStatus !== finalStatus) {
    violations.push(`record says ${facts.recordStatus ?? 'nothing'}, events say ${finalStatus}`);
  }
  for (const type of new Set(types)) {
    // Each refused reuse of the order's id is its own fact (one per refused event), so it may repeat.
    if (type === 'OrderConflictRejected') continue;
    if (count(types, type) > 1) violations.push(`${type} recorded ${count(types, type)} times`);
  }
  if (finalStatus === 'CANCELLED') {
    if (count(types, 'PaymentCharged') > count(types, 'PaymentRefunded')) violations.push('charged but not refunded');
    if (count(types, 'InventoryReserved') > count(types, 'InventoryReleased')) {
      violations.push('stock reserved but not released');
    }
  }
  if (finalStatus === 'CONFIRMED' && count(types, 'PaymentCharged') !== 1)
    violations.push('confirmed without one charge');
  const versions = facts.events.map((e) => e.version);
  if (versions.some((v, i) => v !== i + 1))
    violations.push(`versions ${versions.join(',')} are not 1..${versions.length}`);
  const leftUndone =
    finalStatus === 'NEEDS_ATTENTION'
      ? UNDOABLE.filter((u) => count(types, u.done) > count(types, u.undone)).map((u) => u.left)
      : [];
  return { orderId: facts.orderId, finalStatus, violations, leftUndone };
}
