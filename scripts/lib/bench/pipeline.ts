import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { keys } from '../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import { checkedPutEventsEntry } from '../../../lambdas/messages/envelope';
import type { OrderItem } from '../../../lambdas/messages/schemas';
import { type InvariantReport, verifyInvariants } from '../invariants';
import { anOrder, type System } from '../order-system';
import { percentile } from '../stats';
import { type BenchAudit, benchAudit } from './audit';

/** One offered rate held for a while, and what the pipeline made of it. */
export interface StepResult {
  offeredPerSecond: number;
  orders: number;
  /** Orders finished per second, from the first order placed to the last one finished. */
  completedPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** Orders still unfinished when the step's drain deadline passed. */
  unfinished: number;
  sustainable: boolean;
}

export interface PipelineRun {
  step: StepResult;
  /** The step's orders checked against every invariant: the saga's and every consumer's effects, and the stock. */
  audit: BenchAudit;
}

interface Placed {
  orderId: string;
  placedAt: number;
}

/**
 * Decides whether the pipeline kept up with a step: every order finished by
 * the drain deadline, it finished them at (nearly) the offered rate, and the
 * tail latency stayed within a bound of the unloaded latency. A backlog that
 * grows without bound fails all three.
 */
export function isSustainable(
  step: Omit<StepResult, 'sustainable'>,
  baselineP95Ms: number,
  { minThroughputRatio = 0.8, maxLatencyGrowth = 3, latencyFloorMs = 5_000 } = {},
): boolean {
  return (
    step.unfinished === 0 &&
    step.completedPerSecond >= minThroughputRatio * step.offeredPerSecond &&
    step.latencyMs.p95 <= Math.max(latencyFloorMs, maxLatencyGrowth * baselineP95Ms)
  );
}

/**
 * Offers orders at `rate` per second for `seconds` (at most `maxOrders`),
 * waits for them to finish (or for the drain deadline), and audits every one
 * with the invariants the scenarios and the soak check (scripts/lib/invariants.ts):
 * one final state, every consumer's effect applied once (e-mail, analytics,
 * loyalty, timeline) or parked, compensations complete, stock arithmetic
 * exact. The mix: 1 in 10 declined (refund path not needed), 1 in 10 to an
 * unserviceable country (charge then refund), 1 in 10 delivered twice.
 */
export async function runStep(
  sys: System,
  {
    rate,
    seconds,
    maxOrders,
    drainSeconds,
    settleSeconds = 60,
    baselineP95Ms,
    log = console.log,
  }: {
    rate: number;
    seconds: number;
    maxOrders: number;
    drainSeconds: number;
    /** After the orders are final, at least this long for the consumers' effects to arrive before the audit counts them lost. */
    settleSeconds?: number;
    baselineP95Ms: number;
    log?: (line: string) => void;
  },
): Promise<PipelineRun> {
  const count = Math.max(1, Math.min(maxOrders, Math.round(rate * seconds)));
  const sku = sys.uniqueId('bench-sku');
  const seeded = 1_000_000;
  await sys.seedStock(sku, seeded);
  const placed: Placed[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const items: OrderItem[] = [{ sku, quantity: 1 + (i % 3), unitPrice: 20 }];
    const order = anOrder(sys, {
      items,
      paymentToken: i % 10 === 3 ? DECLINED_PAYMENT_TOKEN : 'tok_visa',
      shipToCountry: i % 10 === 6 ? 'AQ' : 'DE',
    });
    const copies = i % 10 === 9 ? 2 : 1;
    const result = await sys.eventBridge.send(
      new PutEventsCommand({
        Entries: Array.from({ length: copies }, () => checkedPutEventsEntry(order, sys.outputs.EventBusName)),
      }),
    );
    if (result.FailedEntryCount) throw new Error(`PutEvents refused ${result.FailedEntryCount} of the bench's entries`);
    placed.push({ orderId: order.data.orderId, placedAt: Date.parse(order.time) });
  }
  const offeredSeconds = (Date.now() - started) / 1000;

  // Wait for every order's record to reach a final state, or the drain deadline.
  const deadline = Date.now() + drainSeconds * 1000;
  const finished = new Set<string>();
  let lastReport = 0;
  while (finished.size < placed.length && Date.now() < deadline) {
    await Promise.all(
      placed
        .filter((p) => !finished.has(p.orderId))
        .map(async (p) => {
          const status = (await sys.serviceRecord(keys.order(p.orderId)))?.status;
          if (status === 'CONFIRMED' || status === 'CANCELLED') finished.add(p.orderId);
        }),
    );
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      log(`bench: ${rate}/s step: ${finished.size}/${placed.length} orders finished`);
    }
    if (finished.size < placed.length) await new Promise((r) => setTimeout(r, 500));
  }

  // Latency from the order's own event times (placed → final event).
  const latencies: number[] = [];
  let lastFinal = 0;
  for (const p of placed) {
    const stored = await sys.storedEvents(p.orderId);
    const final = stored.find((e) => e.type === 'OrderConfirmed' || e.type === 'OrderCancelled');
    if (final) {
      const at = Date.parse((JSON.parse(final.envelope) as { time: string }).time);
      latencies.push(at - p.placedAt);
      lastFinal = Math.max(lastFinal, at);
    }
  }
  latencies.sort((a, b) => a - b);
  // Every order against every invariant: the saga's facts, each consumer's effect, the SKU's stock
  // (seeded for this step only). Each order has its own customer, so loyalty is checked per customer.
  // The consumers can lag behind the saga: check again (as the soak does) until nothing is missing or
  // the settle deadline passes; an effect applied twice never heals, so it does not keep the wait going.
  const settleDeadline = Math.max(deadline, Date.now() + settleSeconds * 1000);
  let report: InvariantReport;
  for (;;) {
    report = await verifyInvariants(
      sys,
      placed.map((p) => p.orderId),
      { stockBefore: { [sku]: seeded } },
    );
    const settled = report.totals.lost === 0 && report.totals.violations === report.totals.doubleApplied;
    if (settled || Date.now() >= settleDeadline) break;
    log(
      `bench: ${rate}/s step: waiting for the consumers: ${report.totals.lost} orders with a message neither applied nor parked yet`,
    );
    await new Promise((r) => setTimeout(r, 5_000));
  }
  const audit = benchAudit(report);
  const completed = latencies.length;
  // From the first order placed to the last one finished, and never shorter than the offered window.
  const spanSeconds = Math.max((lastFinal - placed[0].placedAt) / 1000, placed.length / rate, 0.001);
  const partial = {
    offeredPerSecond: rate,
    orders: placed.length,
    completedPerSecond: completed / spanSeconds,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
    unfinished: placed.length - completed,
  };
  const step: StepResult = { ...partial, sustainable: isSustainable(partial, baselineP95Ms) };
  log(
    `bench: ${rate}/s for ${offeredSeconds.toFixed(0)} s: ${completed}/${placed.length} finished, ` +
      `${step.completedPerSecond.toFixed(2)} orders/s, p50 ${step.latencyMs.p50} ms, p95 ${step.latencyMs.p95} ms` +
      ` → ${step.sustainable ? 'sustainable' : 'NOT sustainable'}; audit: lost ${audit.lost}, applied twice ` +
      `${audit.appliedTwice}, parked ${audit.parked}, other violations ${audit.otherViolations}`,
  );
  return { step, audit };
}
