import { formatViolations, type InvariantReport } from '../invariants';

/**
 * What the bench's audit of a set of orders found, from the invariants every scenario and the soak
 * check (scripts/lib/invariants.ts): the saga's facts and every consumer's effect (e-mail, analytics,
 * loyalty, timeline), stock arithmetic included. Each column counts orders, and says what it counts.
 */
export interface BenchAudit {
  orders: number;
  confirmed: number;
  cancelled: number;
  needsAttention: number;
  /** Orders with a message (or the order itself) neither applied nor parked. */
  lost: number;
  /** Orders with an effect applied more than once. */
  appliedTwice: number;
  /**
   * Orders with a message in a DLQ. The bench injects no fault, so every one is a defect (issue 16
   * point 4); the DLQs are read only when an effect is missing.
   */
  parked: number;
  /** Orders breaking any other invariant (one final state, refunds, versions, records), plus SKU-level findings. */
  otherViolations: number;
  /** The first broken rules, in words. */
  examples: string[];
}

/** Counts an invariant report in the bench's columns (pure). */
export function benchAudit(report: InvariantReport, maxExamples = 10): BenchAudit {
  const orders = report.orders;
  const count = (f: (o: InvariantReport['orders'][number]) => boolean) => orders.filter(f).length;
  // An order's violations include one line per lost and per applied-twice finding; anything beyond those is other.
  const other = count((o) => o.violations.length > o.lost.length + o.doubleApplied.length);
  return {
    orders: orders.length,
    confirmed: count((o) => o.finalStatus === 'CONFIRMED'),
    cancelled: count((o) => o.finalStatus === 'CANCELLED'),
    needsAttention: count((o) => o.finalStatus === 'NEEDS_ATTENTION'),
    lost: report.totals.lost,
    appliedTwice: report.totals.doubleApplied,
    parked: report.totals.parked,
    otherViolations: other + report.violations.length,
    examples: [
      ...formatViolations(report, maxExamples),
      ...orders.filter((o) => o.parked.length > 0).map((o) => `${o.orderId}: parked: ${o.parked.join('; ')}`),
    ].slice(0, maxExamples),
  };
}

/** The sum of several audits (the bench audits each step on its own). */
export function addAudits(audits: readonly BenchAudit[], maxExamples = 10): BenchAudit {
  const total = (key: Exclude<keyof BenchAudit, 'examples'>) => audits.reduce((n, a) => n + a[key], 0);
  return {
    orders: total('orders'),
    confirmed: total('confirmed'),
    cancelled: total('cancelled'),
    needsAttention: total('needsAttention'),
    lost: total('lost'),
    appliedTwice: total('appliedTwice'),
    parked: total('parked'),
    otherViolations: total('otherViolations'),
    examples: audits.flatMap((a) => a.examples).slice(0, maxExamples),
  };
}

/** True when the audit found nothing wrong: no order lost, applied twice, parked or breaking another rule. */
export const auditClean = (a: BenchAudit) =>
  a.lost === 0 && a.appliedTwice === 0 && a.parked === 0 && a.otherViolations === 0;
