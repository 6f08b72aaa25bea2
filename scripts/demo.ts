/**
 * The main job (`npm start`): bring the local engine up (or reuse one), deploy
 * the stack, drive a realistic batch of orders through it and report what
 * happened. The engine is left running for exploration.
 *
 *   npm start -- --orders 60
 */
import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { keys } from '../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../lambdas/contracts/order-rules';
import { PARK_ATTRIBUTES } from '../lambdas/contracts/park-attributes';
import { DEAD_LETTER_QUEUE_OUTPUT_KEYS, type StackOutputKey } from '../lambdas/contracts/stack-outputs';
import { checkedPutEventsEntry, type TypedEnvelope } from '../lambdas/messages/envelope';
import type { OrderItem } from '../lambdas/messages/schemas';
import { deployLocal } from '../localstack/deploy';
import { awsEnv, ensureEngine } from '../localstack/engine';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { peek, release } from './lib/dlq/peek';
import { anOrder, connect, eventually, type System } from './lib/order-system';
import { percentile } from './lib/stats';

/** Prints a progress line when it changes, so logs and terminals both stay readable. */
let lastProgress = '';
function progress(line: string) {
  if (line !== lastProgress) console.log(line);
  lastProgress = line;
}

export type Scenario = 'ok' | 'declined' | 'out-of-stock' | 'unserviceable';

export const CLI = command({
  name: 'demo',
  helpCommand: 'npm start -- --help',
  usage: `usage: npm start [-- --orders N]

The main job, against the local engine only: uses the engine on AWS_ENDPOINT_URL (default
http://127.0.0.1:4566) or starts the pinned MiniStack there, deploys the stack, drives a mix of
orders through it (good ones, a declined card, out of stock, an unserviceable destination,
duplicate deliveries and one poison message) and reports outcomes, compensations, suppressed
duplicates, parked messages and latency. The engine is left running (npm run engine:down stops
it). Exit code 0 when every order ended as expected and nothing was applied twice, 1 otherwise,
2 for bad arguments.

options
  --orders N     orders to place (default 60, 10 to 2000)
  -h, --help     this text

what it writes
  the deployment (.engine/outputs.json); stock items, customers and orders named demo-<run>-…,
  their events and read models; one malformed message in the e-mail queue, which ends in its DLQ`,
  config: {
    options: {
      orders: { type: 'string', default: '60' },
      help: HELP_OPTION,
    },
  },
});

/** The validated options, or undefined when parseCommandLine has answered (help or bad arguments). */
function options() {
  const args = parseCommandLine(CLI);
  if (!args) return undefined;
  const orders = Number(args.values.orders);
  if (!Number.isInteger(orders) || orders < 10 || orders > 2000) {
    throw new Error(`--orders must be an integer between 10 and 2000, got ${args.values.orders}`);
  }
  return { orders };
}

/** A deterministic mix: mostly good orders, every failure path represented. */
export function scenarioFor(index: number): Scenario {
  if (index % 8 === 3) return 'declined';
  if (index % 10 === 5) return 'out-of-stock';
  if (index % 13 === 7) return 'unserviceable';
  return 'ok';
}

async function main() {
  const opts = options();
  if (!opts) return;
  // The SDK's notice that it wants Node 22 from 2027 would sit in the middle of the report.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = Date.now();
  const engine = await ensureEngine();
  console.log(engine.startedByUs ? 'engine: started MiniStack' : 'engine: reusing the engine already running');
  const outputs = await deployLocal();
  const sys = connect(outputs, awsEnv());

  const result = await runDemo(sys, { orders: opts.orders, log: progress });
  console.log('');
  for (const line of reportLines(result, Date.now() - started)) console.log(line);
  console.log(`The engine is still running at ${awsEnv().AWS_ENDPOINT_URL}. Stop it with: npm run engine:down`);
  if (!demoPassed(result)) process.exitCode = 1;
}

/** One order the demo placed, and the path it was built to take. */
export interface DemoOrder {
  order: TypedEnvelope<'OrderPlaced'>;
  scenario: Scenario;
}

/** What one demo run placed, and what it read back from the system. */
export interface DemoRun {
  /** The run's id: every stock item, customer and poison message of the run is named `demo-<run>-…`. */
  run: string;
  orders: DemoOrder[];
  /** The orders delivered a second time with the same event id. */
  duplicates: TypedEnvelope<'OrderPlaced'>[];
  /** The malformed body sent to the e-mail queue. */
  poisonBody: string;
  /** The dead-letter messages of this run, one line each (queue, body, reason). */
  parked: string[];
  report: DemoReport;
}

/**
 * The demo's work without the engine and the deployment (`npm start`'s seam,
 * also called by test/integration/demo-report.test.ts on a small batch): seeds
 * the run's stock, places `orders` orders of the mix ({@link scenarioFor}) with
 * every tenth good one delivered twice, sends one poison message to the e-mail
 * queue, waits until every order is final and the poison message is parked,
 * and builds the report from what the system holds. `log` gets progress lines.
 */
export async function runDemo(
  sys: System,
  options: { orders: number; log?: (line: string) => void },
): Promise<DemoRun> {
  const orderCount = options.orders;
  if (!Number.isInteger(orderCount) || orderCount < 1) {
    throw new Error(`runDemo needs a whole number of orders ≥ 1, got ${orderCount}`);
  }
  const log = options.log ?? (() => {});
  const run = randomUUID().slice(0, 6);
  const skus = { common: `demo-${run}-mug`, premium: `demo-${run}-kettle`, soldOut: `demo-${run}-soldout` };
  await Promise.all([
    sys.seedStock(skus.common, 100_000),
    sys.seedStock(skus.premium, 100_000),
    sys.seedStock(skus.soldOut, 0),
  ]);

  const orders: DemoOrder[] = Array.from({ length: orderCount }, (_, i) => {
    const scenario = scenarioFor(i);
    const items: OrderItem[] =
      scenario === 'out-of-stock'
        ? [{ sku: skus.soldOut, quantity: 1, unitPrice: 15 }]
        : [
            { sku: skus.common, quantity: 1 + (i % 3), unitPrice: 12 },
            ...(i % 2 === 0 ? [{ sku: skus.premium, quantity: 1, unitPrice: 89 }] : []),
          ];
    const order = anOrder(sys, {
      items,
      customerId: `demo-${run}-customer-${i % 7}`,
      paymentToken: scenario === 'declined' ? DECLINED_PAYMENT_TOKEN : 'tok_visa',
      shipToCountry: scenario === 'unserviceable' ? 'AQ' : 'DE',
    });
    return { order, scenario };
  });
  // Every tenth good order is delivered twice with the same event id.
  const duplicates = orders.filter((o, i) => o.scenario === 'ok' && i % 10 === 0).map((o) => o.order);

  console.log(
    `demo: placing ${orders.length} orders (+${duplicates.length} duplicate deliveries) on bus ${sys.outputs.EventBusName}`,
  );
  const toSend = [...orders.map((o) => o.order), ...duplicates];
  // A steady 20 orders per second rather than one burst: the shape of real traffic.
  for (let i = 0; i < toSend.length; i += 10) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    const batch = toSend.slice(i, i + 10);
    const result = await sys.eventBridge.send(
      new PutEventsCommand({
        Entries: batch.map((e) => checkedPutEventsEntry(e, sys.outputs.EventBusName)),
      }),
    );
    if (result.FailedEntryCount) throw new Error(`PutEvents refused ${result.FailedEntryCount} entries`);
  }

  const poisonBody = `{"id": "demo-${run}-poison", "type": "OrderConfirmed", "data": `;
  await sys.sqs.send(new SendMessageCommand({ QueueUrl: sys.outputs.EmailQueueUrl, MessageBody: poisonBody }));
  console.log('demo: sent one poison message (malformed JSON) to the e-mail queue');

  const finalStatus = new Map<string, string>();
  await eventually(
    async () => {
      await Promise.all(
        orders
          .filter((o) => !finalStatus.has(o.order.data.orderId))
          .map(async ({ order }) => {
            const status = (await sys.serviceRecord(keys.order(order.data.orderId)))?.status as string | undefined;
            if (status === 'CONFIRMED' || status === 'CANCELLED') finalStatus.set(order.data.orderId, status);
          }),
      );
      log(`demo: orders in a final state ${finalStatus.size}/${orders.length}`);
      return finalStatus.size;
    },
    (done) => done === orders.length,
    { timeoutMs: 10 * 60_000, intervalMs: 1_000, what: 'every order to reach a final state' },
  );
  const ours = [run, ...orders.map((o) => o.order.data.orderId)];
  const parked = await waitForParked(sys, poisonBody, (body) => ours.some((marker) => body.includes(marker)), log);
  const report = await buildReport(sys, orders, new Set(duplicates.map((d) => d.data.orderId)), finalStatus);
  return { run, orders, duplicates, poisonBody, parked, report };
}

/** The report as `npm start` prints it; `wallMs` is the whole run's time (engine and deployment included). */
export function reportLines(result: DemoRun, wallMs: number): string[] {
  const { orders, duplicates, parked, report } = result;
  const lines = ['================ order-flow demo report ================'];
  lines.push(
    `orders placed            ${orders.length} (+${duplicates.length} duplicate deliveries, 1 poison message)`,
  );
  for (const [status, count] of Object.entries(report.byStatus)) lines.push(`  ${status.padEnd(22)} ${count}`);
  lines.push('cancellation reasons');
  for (const [reason, count] of Object.entries(report.cancelReasons)) lines.push(`  ${reason.padEnd(40)} ${count}`);
  lines.push('compensations run');
  for (const [type, count] of Object.entries(report.compensations)) lines.push(`  ${type.padEnd(22)} ${count}`);
  lines.push(
    `duplicates suppressed    ${report.duplicatesSuppressed}/${duplicates.length} (orders with a repeated event in the store: ${report.doubleApplied})`,
  );
  lines.push(
    `expectation mismatches   ${report.mismatches.length}${report.mismatches.length ? `: ${report.mismatches.join('; ')}` : ''}`,
  );
  lines.push('dead-letter queues (messages of this run)');
  for (const line of parked) lines.push(`  ${line}`);
  lines.push(
    `end-to-end latency       p50 ${report.latency.p50} ms, p95 ${report.latency.p95} ms, p99 ${report.latency.p99} ms (OrderPlaced → final event, ${report.latency.n} orders)`,
  );
  lines.push(`wall time                ${(wallMs / 1000).toFixed(1)} s`);
  lines.push('=========================================================');
  return lines;
}

/** The demo's verdict (its exit code): every order ended as its scenario expects and nothing was applied twice. */
export function demoPassed(result: DemoRun): boolean {
  return result.report.mismatches.length === 0 && result.report.doubleApplied === 0;
}

/**
 * Most messages read per DLQ per look: keeps a look bounded on an engine whose
 * DLQs hold a backlog of earlier runs.
 */
const DLQ_READ_LIMIT = 2_000;

/**
 * Waits until the poison message is in a DLQ and lists this run's parked
 * messages. Each look peeks every DLQ whole (scripts/lib/dlq/peek.ts: what it
 * receives stays hidden while the look goes on, so each receive hands out new
 * messages, then it is released) rather than receiving with a 0 s visibility
 * timeout: the local engine hands out visible messages oldest first
 * (MiniStack 1.5.33, `_collect_msgs` in its sqs.py), so such a receive got the
 * same first ten every time, and behind ten older messages (earlier demo runs
 * on the same engine) the poison was never seen.
 */
async function waitForParked(
  sys: System,
  poisonBody: string,
  fromThisRun: (body: string) => boolean,
  log: (line: string) => void,
): Promise<string[]> {
  const dlqs = [
    ...DEAD_LETTER_QUEUE_OUTPUT_KEYS.queue,
    ...DEAD_LETTER_QUEUE_OUTPUT_KEYS.ruleTarget,
  ] satisfies StackOutputKey[];
  const seen = new Map<string, string>();
  const waitStarted = Date.now();
  await eventually(
    async () => {
      for (const name of dlqs) {
        const url = sys.outputs[name];
        // No long poll: the demo runs on the local engine only, whose short poll considers every message (same source).
        const { messages } = await peek(sys.sqs, url, { max: DLQ_READ_LIMIT, visibilitySeconds: 30, waitSeconds: 0 });
        await release(sys.sqs, url, messages);
        for (const m of messages) {
          if (!fromThisRun(m.Body ?? '')) continue;
          const a = m.MessageAttributes ?? {};
          const reason = a[PARK_ATTRIBUTES.errorType]
            ? `${a[PARK_ATTRIBUTES.errorType]?.StringValue}: ${a[PARK_ATTRIBUTES.errorMessage]?.StringValue} (attempts ${a[PARK_ATTRIBUTES.attempts]?.StringValue}, consumer ${a[PARK_ATTRIBUTES.consumer]?.StringValue})`
            : 'no reason attached (moved by the redrive policy)';
          seen.set(m.MessageId!, `${name.replace('Url', '')}: ${(m.Body ?? '').slice(0, 60)} → ${reason}`);
        }
      }
      const found = [...seen.values()].some((line) => line.includes(poisonBody.slice(0, 30)));
      log(
        `demo: waiting for the poison message to be parked (${Math.round((Date.now() - waitStarted) / 10_000) * 10} s; it takes maxReceiveCount × visibility timeout)`,
      );
      return found;
    },
    (found) => found,
    { timeoutMs: 5 * 60_000, intervalMs: 2_000, what: 'the poison message in the e-mail DLQ' },
  );
  return [...seen.values()];
}

/** The demo's figures, read back from the order records and the event store. */
export type DemoReport = Awaited<ReturnType<typeof buildReport>>;

async function buildReport(
  sys: System,
  orders: DemoOrder[],
  duplicateIds: Set<string>,
  finalStatus: Map<string, string>,
) {
  const expected: Record<Scenario, string> = {
    ok: 'CONFIRMED',
    declined: 'CANCELLED',
    'out-of-stock': 'CANCELLED',
    unserviceable: 'CANCELLED',
  };
  const byStatus: Record<string, number> = {};
  const cancelReasons: Record<string, number> = {};
  const compensations: Record<string, number> = {
    InventoryReleased: 0,
    PaymentRefunded: 0,
    ShipmentCancelled: 0,
    OrderCancelled: 0,
  };
  const latencies: number[] = [];
  const mismatches: string[] = [];
  let doubleApplied = 0;
  let duplicatesSuppressed = 0;

  for (const { order, scenario } of orders) {
    const status = finalStatus.get(order.data.orderId)!;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== expected[scenario]) mismatches.push(`${order.data.orderId} (${scenario}) ended ${status}`);
    const events = (await sys.storedEvents(order.data.orderId)).map((item) => ({
      type: item.type,
      envelope: JSON.parse(item.envelope),
    }));
    const types = events.map((e) => e.type);
    const repeated = new Set(types).size !== types.length;
    if (repeated) doubleApplied++;
    if (duplicateIds.has(order.data.orderId) && !repeated) duplicatesSuppressed++;
    for (const type of types) if (type in compensations) compensations[type]++;
    const cancelled = events.find((e) => e.type === 'OrderCancelled');
    if (cancelled) {
      const reason = String(cancelled.envelope.data.reason).replace(/demo-[a-z0-9]+-/g, '');
      cancelReasons[reason] = (cancelReasons[reason] ?? 0) + 1;
    }
    const placed = events.find((e) => e.type === 'OrderPlaced');
    const last = events.find((e) => e.type === 'OrderConfirmed' || e.type === 'OrderCancelled');
    if (placed && last) latencies.push(Date.parse(last.envelope.time) - Date.parse(placed.envelope.time));
  }
  latencies.sort((a, b) => a - b);
  return {
    byStatus,
    cancelReasons,
    compensations,
    doubleApplied,
    mismatches,
    duplicatesSuppressed,
    latency: {
      n: latencies.length,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
  };
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
