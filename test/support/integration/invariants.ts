import {
  formatViolations,
  type GatherOptions,
  type InvariantReport,
  verifyInvariants,
} from '../../../scripts/lib/invariants';
import type { System } from '../../../scripts/lib/order-system';
import { LOCAL_PARK_WINDOW_MS } from './park-window';

export type { InvariantReport } from '../../../scripts/lib/invariants';

export interface ExpectInvariantsOptions extends GatherOptions {
  /**
   * How long the system may take to settle (sagas finishing, consumers retrying,
   * messages reaching their DLQ) before a missing effect counts as lost. Lost
   * messages and unfinished orders can still heal within it; a double-applied
   * effect never does, so the check stops at the first one.
   * @default LOCAL_PARK_WINDOW_MS (every receive a message may get locally, plus margin)
   */
  timeoutMs?: number;
  /** @default 2_000 */
  intervalMs?: number;
}

/**
 * Asserts the issue-6 invariants over `orderIds` (scripts/lib/invariants.ts):
 * one final state each, no double charge, stock restored on compensation,
 * versions 1..n, and every message applied exactly once or parked. Polls until
 * they hold or `timeoutMs` passes, then fails listing every violation per order.
 * Returns the report (parked messages included) for further assertions.
 *
 * @example
 *   const report = await expectInvariants(sys, [order.data.orderId], { stockBefore: { [sku]: 10 } });
 *   expect(report.orders[0].parked).toHaveLength(1);
 */
export async function expectInvariants(
  sys: System,
  orderIds: readonly string[],
  options: ExpectInvariantsOptions = {},
): Promise<InvariantReport> {
  const { timeoutMs = LOCAL_PARK_WINDOW_MS, intervalMs = 2_000, ...gather } = options;
  if (orderIds.length === 0) throw new Error('expectInvariants needs at least one order id');
  const deadline = Date.now() + timeoutMs;
  let report = await verifyInvariants(sys, orderIds, gather);
  while (!report.ok && report.totals.doubleApplied === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    report = await verifyInvariants(sys, orderIds, gather);
  }
  if (!report.ok) {
    const t = report.totals;
    throw new Error(
      `Invariants broken for ${t.violations} of ${t.orders} orders/SKUs ` +
        `(lost ${t.lost}, double-applied ${t.doubleApplied}, parked ${t.parked}):\n` +
        formatViolations(report)
          .map((line) => `  - ${line}`)
          .join('\n'),
    );
  }
  return report;
}
