import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { type EventStoreTables, loadAggregate, storedEnvelope } from '../../lambdas/event-store/event-store';
import { orderAggregate } from '../../lambdas/event-store/order-aggregate';
import { reportLines, runDemo, type Scenario, scenarioFor } from '../../scripts/demo';
import { peek, release } from '../../scripts/lib/dlq/peek';
import { percentile } from '../../scripts/lib/stats';
import { eventually, type System, system } from '../support/integration/system';

/** Eight orders: indexes 0–7 of the demo's mix give five good ones (one delivered twice) and one of each failure. */
const ORDERS = 8;

/** What the saga must make of each scenario (the demo's own expectation, restated here to check its count). */
const EXPECTED_STATUS: Record<Scenario, string> = {
  ok: 'CONFIRMED',
  declined: 'CANCELLED',
  'out-of-stock': 'CANCELLED',
  unserviceable: 'CANCELLED',
};

/**
 * Issue 15 point 5, "the demo has no test": the report path of `npm start`
 * (scripts/demo.ts `runDemo`, the CLI without engine start-up and deployment)
 * run on a small batch against the deployed stack, and each of its figures
 * checked against what the system holds, read another way than the demo reads
 * it: statuses, cancel reasons and compensations from the order aggregate (the
 * event-store fold) and the projector's read model, where the demo reads the
 * order records and counts stored event types; the parked poison message from
 * the e-mail DLQ itself; latency recomputed from the upcast stored envelopes.
 */
describe('the demo report on a small batch', () => {
  const sys = system();
  const store: EventStoreTables = {
    eventTable: sys.outputs.EventStoreTableName,
    snapshotTable: sys.outputs.SnapshotTableName,
  };

  it("reports the figures the system holds for the run's orders", { timeout: 240_000 }, async () => {
    // Ten older messages ahead of the run's poison in the e-mail DLQ, as earlier runs on one engine leave:
    // the demo must still find its own (it once received the same first ten for ever).
    const filler = `demo-report-filler-${randomUUID()}`;
    await sys.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sys.outputs.EmailDlqUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `${filler}-${i}` })),
      }),
    );
    const started = Date.now();
    const result = await runDemo(sys, { orders: ORDERS }).finally(() => deleteFiller(sys, filler));
    const wallMs = Date.now() - started;
    const { report, orders, duplicates } = result;
    expect(orders.map((o) => o.scenario)).toEqual(Array.from({ length: ORDERS }, (_, i) => scenarioFor(i)));
    expect(new Set(orders.map((o) => o.scenario)).size, 'every scenario in the batch').toBe(4);
    expect(duplicates.length, 'one duplicate delivery in the batch').toBe(1);

    const byStatus: Record<string, number> = {};
    const readModelByStatus: Record<string, number> = {};
    const cancelReasons: Record<string, number> = {};
    const compensations = { InventoryReleased: 0, PaymentRefunded: 0, ShipmentCancelled: 0, OrderCancelled: 0 };
    const mismatches: string[] = [];
    const latencies: number[] = [];
    let repeatedInHistory = 0;
    for (const { order, scenario } of orders) {
      const { orderId } = order.data;
      // The event-store fold: status, cancel reason, and which compensations ran.
      const { state } = await loadAggregate(sys.ddb, store, orderAggregate, orderId, { useSnapshots: false });
      expect(state, `aggregate of ${orderId}`).toBeDefined();
      if (!state) continue;
      byStatus[state.status] = (byStatus[state.status] ?? 0) + 1;
      if (state.status !== EXPECTED_STATUS[scenario]) mismatches.push(`${orderId} (${scenario}) ended ${state.status}`);
      if (state.cancelReason !== undefined) {
        const reason = state.cancelReason.replaceAll(`demo-${result.run}-`, '');
        cancelReasons[reason] = (cancelReasons[reason] ?? 0) + 1;
      }
      if (state.stock === 'RELEASED') compensations.InventoryReleased++;
      if (state.payment?.status === 'REFUNDED') compensations.PaymentRefunded++;
      if (state.shipment?.status === 'CANCELLED') compensations.ShipmentCancelled++;
      if (state.status === 'CANCELLED') compensations.OrderCancelled++;

      // The read model, once the projector has caught up with the store.
      const stored = await sys.storedEvents(orderId);
      const summary = await eventually(
        () => sys.readModel(orderId),
        (item) => item?.lastVersion === stored.length,
        { timeoutMs: 60_000, what: `the read model of ${orderId} at version ${stored.length}` },
      );
      readModelByStatus[String(summary?.status)] = (readModelByStatus[String(summary?.status)] ?? 0) + 1;
      const history = summary?.history as string[];
      if (new Set(history).size !== history.length) repeatedInHistory++;

      const envelopes = stored.map(storedEnvelope);
      const placed = envelopes.find((e) => e.type === 'OrderPlaced');
      const final = envelopes.find((e) => e.type === 'OrderConfirmed' || e.type === 'OrderCancelled');
      if (placed && final) latencies.push(Date.parse(final.time) - Date.parse(placed.time));
    }

    expect(report.byStatus).toEqual(byStatus);
    expect(report.byStatus).toEqual(readModelByStatus);
    const expectedByStatus: Record<string, number> = {};
    for (const { scenario } of orders) {
      expectedByStatus[EXPECTED_STATUS[scenario]] = (expectedByStatus[EXPECTED_STATUS[scenario]] ?? 0) + 1;
    }
    expect(byStatus, 'the system ended every order as its scenario expects').toEqual(expectedByStatus);
    expect(report.mismatches).toEqual(mismatches);
    expect(report.cancelReasons).toEqual(cancelReasons);
    expect(Object.keys(cancelReasons)).toHaveLength(3);
    expect(report.compensations).toEqual(compensations);
    expect(report.doubleApplied).toBe(repeatedInHistory);
    expect(report.doubleApplied).toBe(0);
    // The duplicated order was applied once: one OrderPlaced in its read model's history.
    for (const duplicate of duplicates) {
      const history = (await sys.readModel(duplicate.data.orderId))?.history as string[];
      expect(history.filter((type) => type === 'OrderPlaced')).toHaveLength(1);
    }
    expect(report.duplicatesSuppressed).toBe(duplicates.length);

    latencies.sort((a, b) => a - b);
    expect(report.latency).toEqual({
      n: ORDERS,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    });
    expect(latencies).toHaveLength(ORDERS);

    // The poison message: in the e-mail DLQ itself, with the reason the report shows.
    const poisonId = `demo-${result.run}-poison`;
    const parkedLines = result.parked.filter((line) => line.includes(poisonId));
    expect(parkedLines).toHaveLength(1);
    expect(parkedLines[0]).toMatch(/^EmailDlq: .* → InvalidEventError: Body is not valid JSON/);
    const { messages: inDlq } = await peek(sys.sqs, sys.outputs.EmailDlqUrl, {
      max: 2_000,
      visibilitySeconds: 30,
      waitSeconds: 0,
    });
    await release(sys.sqs, sys.outputs.EmailDlqUrl, inDlq);
    expect(inDlq.map((m) => m.Body)).toContain(result.poisonBody);
    expect(
      inDlq.filter((m) => m.Body?.startsWith(filler)),
      'the filler deleted again',
    ).toEqual([]);

    // The printed report shows these figures.
    const lines = reportLines(result, wallMs);
    expect(lines).toContain(
      `orders placed            ${ORDERS} (+${duplicates.length} duplicate deliveries, 1 poison message)`,
    );
    for (const [status, count] of Object.entries(byStatus)) expect(lines).toContain(`  ${status.padEnd(22)} ${count}`);
    expect(lines).toContain(
      `duplicates suppressed    ${duplicates.length}/${duplicates.length} (orders with a repeated event in the store: 0)`,
    );
    expect(lines).toContain('expectation mismatches   0');
    console.log(`demo report (${ORDERS} orders):\n${lines.join('\n')}`);
  });
});

/** Deletes the filler messages this test put in the e-mail DLQ, and releases the others it saw. */
async function deleteFiller(sys: System, filler: string): Promise<void> {
  const url = sys.outputs.EmailDlqUrl;
  const { messages } = await peek(sys.sqs, url, { max: 2_000, visibilitySeconds: 30, waitSeconds: 0 });
  const ours = messages.filter((m) => m.Body?.startsWith(filler));
  for (let i = 0; i < ours.length; i += 10) {
    await sys.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: ours.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  await release(
    sys.sqs,
    url,
    messages.filter((m) => !m.Body?.startsWith(filler)),
  );
}
