import { keys } from '../../../lambdas/contracts/keys';
import { type Envelope, newEvent, type TypedEnvelope } from '../../../lambdas/messages/envelope';
import { contentFingerprint } from '../../../lambdas/messages/fingerprint';
import type { OrderItem } from '../../../lambdas/messages/schemas';
import { type InvariantReport, mapLimit } from '../invariants';
import type { System } from '../order-system';

/**
 * The soak's `id-conflict` kind (issue 17 point 4): the driver re-sends an order id with other content once
 * the first OrderPlaced is accepted, and afterwards checks what the order service made of it. The rule
 * (lambdas/order-service/order-lifecycle.ts, `judgeSecondStart`; docs/failure-modes.md, scenario 15): first
 * accepted wins, the second execution ends ORDER_ID_CONFLICT without compensating, an OrderConflictRejected
 * event is stored per refused payload and the payload is kept as `ORDER#<id> / CONFLICT#<event id>`.
 *
 * The second is sent only once the first is accepted (its order record exists), as
 * test/integration/order-id-conflict.test.ts does: the bus does not order deliveries, so two events sent
 * together may be accepted in either order and "the first" would not be known.
 */

/** One order id the driver re-used, and what it sent. */
export interface ConflictSent {
  orderId: string;
  /** The OrderPlaced the run placed (the one that must win). */
  first: TypedEnvelope<'OrderPlaced'>;
  /** The refused one: same id, other content; absent when it was never sent. */
  second?: TypedEnvelope<'OrderPlaced'>;
  /** Why it was not sent (the first was not accepted in time). */
  notSent?: string;
}

/**
 * The same order id with other content: one unit more of the first item, the total to match, under a new
 * event id. Its fingerprint differs from the first's, so it is a conflict and not a duplicate.
 */
export function conflictingOrder(first: TypedEnvelope<'OrderPlaced'>): TypedEnvelope<'OrderPlaced'> {
  const [head, ...rest] = first.data.items;
  const items: OrderItem[] = [{ ...head, quantity: head.quantity + 1 }, ...rest];
  const total = items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  return newEvent({ type: 'OrderPlaced', source: first.source, data: { ...first.data, items, total } });
}

export interface ConflictDriverOptions {
  /** Longest wait for the first to be accepted, then for the second's OrderConflictRejected. @default 120 s */
  timeoutMs?: number;
  /** @default 1 s */
  pollMs?: number;
}

/**
 * Sends the conflicting second OrderPlaced of each order it is given, in the background, so the run's pace
 * is kept: waits (bounded) for the first to be accepted, sends the second, then waits (bounded) until its
 * OrderConflictRejected is stored, so the run's invariants, read afterwards, see that event and check its
 * deliveries. `sent()` waits for all of them.
 */
export class ConflictDriver {
  private readonly pending: Promise<ConflictSent>[] = [];

  constructor(
    private readonly sys: Pick<System, 'serviceRecord' | 'storedEvents' | 'placeOrder'>,
    private readonly options: ConflictDriverOptions = {},
  ) {}

  /** Starts re-sending `first`'s order id with other content, once `first` is accepted. */
  after(first: TypedEnvelope<'OrderPlaced'>): void {
    // Never rejects: a failed send is reported with the conflict (and so fails the run), not left unhandled.
    this.pending.push(
      this.conflict(first).catch((error: Error) => ({
        orderId: first.data.orderId,
        first,
        notSent: `could not be sent: ${error.message}`,
      })),
    );
  }

  /** Every conflict started, once each was sent and refused (or timed out). */
  sent(): Promise<ConflictSent[]> {
    return Promise.all(this.pending);
  }

  private async conflict(first: TypedEnvelope<'OrderPlaced'>): Promise<ConflictSent> {
    const { orderId } = first.data;
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const accepted = await this.until(async () => (await this.sys.serviceRecord(keys.order(orderId))) !== undefined);
    if (!accepted) return { orderId, first, notSent: `not accepted within ${timeoutMs / 1000} s: no conflict sent` };
    const second = conflictingOrder(first);
    await this.sys.placeOrder(second);
    await this.until(async () =>
      (await this.sys.storedEvents(orderId)).some(
        (e) =>
          e.type === 'OrderConflictRejected' &&
          (JSON.parse(e.envelope) as StoredEnvelope).data.rejectedEventId === second.id,
      ),
    );
    return { orderId, first, second };
  }

  private async until(done: () => Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 120_000);
    for (;;) {
      if (await done()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 1_000));
    }
  }
}

/** A stored envelope as read back: its data is whatever its type carries. */
export type StoredEnvelope = Envelope & { data: Record<string, unknown> };

/** What the order service recorded for one re-used order id. */
export interface ConflictFacts {
  sent: ConflictSent;
  /** The order's stored envelopes, in version order. */
  events: StoredEnvelope[];
  order?: Record<string, unknown>;
  reservation?: Record<string, unknown>;
  payment?: Record<string, unknown>;
  /** The kept refused payload (`keys.orderConflict(orderId, second.id)`), when a second was sent. */
  kept?: Record<string, unknown>;
}

/** Units per SKU, as comparable text. */
function units(items: readonly OrderItem[]): string {
  const bySku = new Map<string, number>();
  for (const item of items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + item.quantity);
  return JSON.stringify([...bySku].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Pure: the conflict's invariants, each broken one in words. Exactly one order (one OrderPlaced stored); the
 * first's content wins (the stored OrderPlaced and the order record are the first's, by id and
 * fingerprint); one OrderConflictRejected per refused payload, naming it and both fingerprints; the refused
 * payload kept whole; nothing reserved or charged for the loser (the reservation and the charge, event and
 * record, are the first's items and total).
 */
export function checkConflict({ sent, events, order, reservation, payment, kept }: ConflictFacts): string[] {
  const problems: string[] = [];
  const { first, second } = sent;
  const firstPrint = contentFingerprint(first);
  if (sent.notSent) problems.push(`id conflict ${sent.notSent}`);
  const placed = events.filter((e) => e.type === 'OrderPlaced');
  if (placed.length !== 1) problems.push(`${placed.length} OrderPlaced stored for one order id, expected 1`);
  else if (placed[0].id !== first.id || contentFingerprint(placed[0]) !== firstPrint) {
    problems.push(`the stored OrderPlaced is ${placed[0].id}, not the first accepted ${first.id}`);
  }
  if (order?.fingerprint !== firstPrint || order?.acceptedEventId !== first.id) {
    problems.push(`the order record was not accepted from the first OrderPlaced ${first.id}`);
  }
  const rejections = events.filter((e) => e.type === 'OrderConflictRejected');
  const expectedRejections = second ? 1 : 0;
  if (rejections.length !== expectedRejections) {
    problems.push(
      `${rejections.length} OrderConflictRejected stored, expected ${expectedRejections} (one per refused)`,
    );
  }
  if (second) {
    const secondPrint = contentFingerprint(second);
    const mine = rejections.filter((e) => e.data.rejectedEventId === second.id);
    if (mine.length === 1) {
      const { acceptedFingerprint, rejectedFingerprint } = mine[0].data;
      if (acceptedFingerprint !== firstPrint || rejectedFingerprint !== secondPrint) {
        problems.push('OrderConflictRejected names other fingerprints than the first and the refused content');
      }
    } else problems.push(`no OrderConflictRejected names the refused OrderPlaced ${second.id}`);
    const keptEnvelope =
      typeof kept?.rejectedEnvelope === 'string' ? (JSON.parse(kept.rejectedEnvelope) as Envelope) : undefined;
    if (!keptEnvelope || keptEnvelope.id !== second.id || contentFingerprint(keptEnvelope) !== secondPrint) {
      problems.push(`the refused payload ${second.id} is not kept whole as CONFLICT#${second.id}`);
    }
  }
  // Nothing for the loser: whatever was reserved or charged is the first's.
  const firstUnits = units(first.data.items);
  const reserved = events.find((e) => e.type === 'InventoryReserved');
  if (reserved && units(reserved.data.items as OrderItem[]) !== firstUnits) {
    problems.push('InventoryReserved holds other items than the first order');
  }
  if (Array.isArray(reservation?.items) && units(reservation.items as OrderItem[]) !== firstUnits) {
    problems.push('the reservation record holds other items than the first order');
  }
  const charged = events.find((e) => e.type === 'PaymentCharged');
  if (charged && Number(charged.data.amount) !== first.data.total) {
    problems.push(`PaymentCharged is ${String(charged.data.amount)}, the first order's total ${first.data.total}`);
  }
  if (payment?.amount !== undefined && Number(payment.amount) !== first.data.total) {
    problems.push(`the payment record is ${String(payment.amount)}, the first order's total ${first.data.total}`);
  }
  return problems;
}

/** Reads the facts of each re-used order id and checks them: problems per order id (none: an empty list). */
export async function verifyConflicts(
  sys: Pick<System, 'serviceRecord' | 'storedEvents'>,
  sent: readonly ConflictSent[],
): Promise<Map<string, string[]>> {
  const checked = await mapLimit(sent, 8, async (conflict): Promise<[string, string[]]> => {
    const { orderId, second } = conflict;
    const [stored, order, reservation, payment, kept] = await Promise.all([
      sys.storedEvents(orderId),
      sys.serviceRecord(keys.order(orderId)),
      sys.serviceRecord(keys.reservation(orderId)),
      sys.serviceRecord(keys.payment(orderId)),
      second ? sys.serviceRecord(keys.orderConflict(orderId, second.id)) : Promise.resolve(undefined),
    ]);
    const events = [...stored]
      .sort((a, b) => a.version - b.version)
      .map((e) => JSON.parse(e.envelope) as StoredEnvelope);
    return [orderId, checkConflict({ sent: conflict, events, order, reservation, payment, kept })];
  });
  return new Map(checked);
}

/**
 * The run's invariant report with each conflict's broken rules added to its order's violations (so the
 * run fails on them, as on any other), and the totals recounted.
 */
export function withConflictFindings(
  report: InvariantReport,
  findings: ReadonlyMap<string, string[]>,
): InvariantReport {
  const orders = report.orders.map((o) => {
    const problems = findings.get(o.orderId) ?? [];
    return problems.length === 0
      ? o
      : { ...o, violations: [...o.violations, ...problems.map((p) => `conflict: ${p}`)] };
  });
  const violations = orders.filter((o) => o.violations.length > 0).length + report.violations.length;
  return { ...report, orders, totals: { ...report.totals, violations }, ok: violations === 0 };
}
