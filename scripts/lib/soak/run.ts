import { randomUUID } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { CHECKOUT_SOURCE } from '../../../lambdas/contracts/events';
import { keys } from '../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import { requireOptionalOutput } from '../../../lambdas/contracts/stack-outputs';
import { newEvent } from '../../../lambdas/messages/envelope';
import type { OrderItem, OrderPlaced } from '../../../lambdas/messages/schemas';
import { type FiredFault, faultLogGroups, readFiredFaults } from '../faults/fired';
import { type InvariantReport, mapLimit, type ParkedMessage, scanDeadLetters, verifyInvariants } from '../invariants';
import type { System } from '../order-system';
import { ConflictDriver, verifyConflicts, withConflictFindings } from './conflicts';
import {
  BAD_INPUT_KINDS,
  chooseRun,
  drawKind,
  expectedFinalStatus,
  FAULT_KINDS,
  type FaultKind,
  isSwitchKind,
  MUG_PRICE,
  type OrderPlan,
  type PlannedRule,
  planOrder,
  planRules,
  SOLD_OUT_PRICE,
} from './plan';

export interface SoakOptions {
  orders: number;
  durationSeconds: number;
  rates: Readonly<Record<FaultKind, number>>;
  /** Longest wait after the last order for every order and message to settle. */
  drainSeconds: number;
  /** Where the functions' logs are read back from: the fired faults (scripts/lib/faults/fired.ts). */
  logs: CloudWatchLogsClient;
  /** Finds the functions that read the switch, and so their log groups. */
  lambda: LambdaClient;
  /**
   * Rules added to the kinds' own, given the run's order-id prefix (every rule must be scoped to it). For
   * the test that plants a rule that cannot fire and expects the run to report it (test/integration/soak.test.ts).
   */
  extraRules?: (orderIdPrefix: string) => PlannedRule[];
  log?: (line: string) => void;
}

/**
 * One table row: orders (or bad messages) of one fault kind and what became of them. `planned` is what
 * the run meant to do; `fired` what the functions logged doing (switch faults only; `null` for the kinds
 * the driver does itself: a declined card, a sold-out item, a duplicate, bad input, which it sent). The
 * outcome columns count the orders the fault fired on (switch faults) or was sent with (the others).
 */
export interface SoakRow {
  scenario: string;
  planned: number;
  /** Orders a function logged firing this kind's rule on (`null`: not a switch fault). */
  fired: number | null;
  /** Planned orders on which no function logged this kind firing (`null`: not a switch fault). */
  notFired: number | null;
  recovered: number;
  parked: number;
  lost: number;
  doubleApplied: number;
}

export interface SoakResult {
  run: string;
  rows: SoakRow[];
  total: SoakRow;
  report: InvariantReport;
  /** Declined or out-of-stock orders that did not end CANCELLED, or fault-free ones that did not end CONFIRMED. */
  mismatches: string[];
  /** Bad-input messages that reached no DLQ. */
  badInputLost: string[];
  /**
   * Fault-free orders (no driver kind planned, no fault fired) with a message in a DLQ, each with its
   * messages' lines (DLQ, consumer, event, reason): must be none (issue 16 point 4; docs/failure-modes.md).
   */
  faultFreeParked: string[];
  /**
   * DLQ messages that are neither this run's orders' nor its bad input (earlier runs', other tests'):
   * ignored by the accounting, counted so an operator sees them.
   */
  otherDeadLetters: number;
  rules: PlannedRule[];
  /** The faults the functions logged firing for this run's rules, read back from their log groups. */
  fired: FiredFault[];
  /** Rules that were meant to hit at least one order and fired on none, with how many they were meant to hit. */
  rulesNotFired: { ruleId: string; kind: FaultKind; planned: number }[];
  /** Every (order, rule) meant to fire that no function logged firing on. */
  plannedNotFired: PlannedNotFired[];
  placedSeconds: number;
  drainedSeconds: number;
  settled: boolean;
}

/** Bad input goes to one of these queues, in turn (the FIFO one needs a group and a deduplication id). */
const BAD_INPUT_QUEUES = ['EmailQueueUrl', 'AnalyticsQueueUrl', 'OrderTimelineQueueUrl'] as const;

export interface BadMessage {
  kind: FaultKind;
  marker: string;
  queue: (typeof BAD_INPUT_QUEUES)[number];
}

/**
 * The soak run: places `orders` orders over `durationSeconds` with ids
 * `soak-<run>-<n>` while its own fault switch (scoped to those ids) mixes in
 * every fault kind at its rate, sends bad input straight to consumer queues,
 * waits (bounded) for everything to settle, checks the invariants over every
 * order, and tallies a row per kind. Faults stay on while draining, so a
 * poisoned message keeps failing until it is parked; they are always turned
 * off before returning.
 */
export async function runSoak(sys: System, options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? console.log;
  const rates = options.rates;
  const run = chooseRun(options.orders, rates, () => randomUUID().slice(0, 6));
  const rules = [...planRules(run, rates), ...(options.extraRules?.(`soak-${run}-`) ?? [])];
  const strays = rules.filter((r) => r.rule.orderIdPrefix !== `soak-${run}-` || !r.rule.id.startsWith(`soak-${run}-`));
  if (strays.length > 0) {
    throw new Error(
      `soak: every rule must be scoped to the run: id and orderIdPrefix starting soak-${run}-; not ${strays.map((r) => r.rule.id).join(', ')}`,
    );
  }
  const plans = Array.from({ length: options.orders }, (_, i) => planOrder(run, i, rates, rules));
  const skus = { inStock: `soak-${run}-mug`, soldOut: `soak-${run}-soldout` };
  const stockBefore = { [skus.inStock]: 10_000_000, [skus.soldOut]: 0 };
  await Promise.all(Object.entries(stockBefore).map(([sku, n]) => sys.seedStock(sku, n)));

  log(`soak: run ${run}: ${options.orders} orders over ${options.durationSeconds} s, ${rules.length} fault rules`);
  // Fired lines are read from here on (a little earlier: the engine's clock stamps them).
  const since = Date.now() - 5_000;
  const off = await sys.injectFaults(
    `soak-${run}`,
    rules.map((r) => r.rule),
  );
  const started = Date.now();
  try {
    // A conflict waits for its first order to be accepted: on an engine behind by minutes (a run asked for more
    // than it can take), as long as the run waits for anything to settle, not the driver's default 120 s.
    const conflicts = new ConflictDriver(sys, { timeoutMs: options.drainSeconds * 1000 });
    const bad = await placeOrders(sys, run, plans, skus, options, log, conflicts);
    const placedSeconds = (Date.now() - started) / 1000;
    // Every conflicting second OrderPlaced sent and its refusal stored before the invariants are read.
    const sent = await conflicts.sent();
    log(`soak: sent ${sent.filter((c) => c.second).length}/${sent.length} conflicting re-uses of an order id`);
    const settled = await drain(sys, plans, bad, stockBefore, options, log);
    const drained = { ...settled, report: withConflictFindings(settled.report, await verifyConflicts(sys, sent)) };
    const drainedSeconds = (Date.now() - started) / 1000 - placedSeconds;
    const logGroups = await faultLogGroups(
      options.lambda,
      requireOptionalOutput(sys.outputs, 'FaultInjectionPath', 'the soak'),
    );
    const fired = await readFiredFaults(options.logs, { ruleIdPrefix: `soak-${run}-`, since, logGroups });
    log(`soak: the functions logged ${fired.length} fired faults`);
    return { run, rules, placedSeconds, drainedSeconds, fired, ...tally(plans, bad, drained, rules, fired) };
  } finally {
    log('soak: turning the run’s faults off');
    await off();
  }
}

/**
 * Most orders being sent at once. The driver does not wait for one order's calls before the next is due, so
 * a slow engine cannot lower the offered rate below the plan (a sequential driver had reached about 5 of
 * the 20 orders/s asked); this bounds what it holds when the engine stops answering altogether.
 */
const MAX_IN_FLIGHT = 64;

/**
 * Places the orders at an even pace, with duplicates and bad input mixed in; returns the bad messages sent.
 * Each order is sent when due, without waiting for the ones before it (at most {@link MAX_IN_FLIGHT}
 * at once); the first failed call fails the run once the sends in flight have ended.
 */
async function placeOrders(
  sys: System,
  run: string,
  plans: OrderPlan[],
  skus: { inStock: string; soldOut: string },
  options: SoakOptions,
  log: (line: string) => void,
  conflicts: ConflictDriver,
): Promise<BadMessage[]> {
  const bad: BadMessage[] = [];
  const started = Date.now();
  const intervalMs = (options.durationSeconds * 1000) / Math.max(1, plans.length);
  const inFlight = new Set<Promise<void>>();
  const failures: unknown[] = [];
  let placed = 0;
  let lastReport = started;
  for (const plan of plans) {
    const due = started + plan.index * intervalMs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    if (failures.length > 0) break;
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    // The bad messages are named here, in order, so markers and queues do not depend on which send ends first.
    const badOnes = BAD_INPUT_KINDS.filter((kind) => drawKind(run, kind, plan.orderId, options.rates[kind])).map(
      (kind) => {
        const index = bad.length;
        const message = {
          kind,
          marker: `soak-${run}-bad-${index}`,
          queue: BAD_INPUT_QUEUES[index % BAD_INPUT_QUEUES.length],
        };
        bad.push(message);
        return message;
      },
    );
    const sending = placeOne(sys, run, plan, skus, badOnes, conflicts).then(
      () => {
        placed++;
      },
      (error: unknown) => {
        failures.push(error);
      },
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      log(`soak: sent ${plan.index + 1}/${plans.length} orders (${placed} answered), ${bad.length} bad messages`);
    }
  }
  await Promise.all(inFlight);
  if (failures.length > 0) throw failures[0];
  log(
    `soak: placed all ${plans.length} orders and ${bad.length} bad messages in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return bad;
}

/** Sends one order (twice for a duplicate), starts its id conflict if it has one, and sends its bad messages. */
async function placeOne(
  sys: System,
  run: string,
  plan: OrderPlan,
  skus: { inStock: string; soldOut: string },
  badOnes: readonly BadMessage[],
  conflicts: ConflictDriver,
): Promise<void> {
  // 40, 80 or 120 EUR: every third good order earns loyalty points (≥ 100).
  const items: OrderItem[] = [
    { sku: skus.inStock, quantity: plan.quantity, unitPrice: MUG_PRICE },
    ...(plan.outOfStock ? [{ sku: skus.soldOut, quantity: 1, unitPrice: SOLD_OUT_PRICE }] : []),
  ];
  const data: OrderPlaced = {
    orderId: plan.orderId,
    customerId: `soak-${run}-customer-${plan.index}`,
    items,
    total: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
    currency: 'EUR',
    paymentToken: plan.declined ? DECLINED_PAYMENT_TOKEN : 'tok_visa',
    shipToCountry: 'DE',
  };
  const order = newEvent({ type: 'OrderPlaced', source: CHECKOUT_SOURCE, data });
  const entry = {
    EventBusName: sys.outputs.EventBusName,
    Source: order.source,
    DetailType: order.type,
    Detail: JSON.stringify(order),
  };
  const result = await sys.eventBridge.send(
    new PutEventsCommand({ Entries: plan.duplicate ? [entry, entry] : [entry] }),
  );
  if (result.FailedEntryCount) throw new Error(`PutEvents refused order ${plan.orderId}: ${JSON.stringify(result)}`);
  if (plan.idConflict) conflicts.after(order);
  for (const { kind, marker, queue } of badOnes) {
    const body =
      kind === 'bad-input-malformed'
        ? `{"id": "${marker}", "type": "OrderConfirmed", "data": `
        : JSON.stringify({ ...order, id: marker, type: 'OrderTeleported', data: { orderId: marker } });
    await sys.sqs.send(
      new SendMessageCommand({
        QueueUrl: sys.outputs[queue],
        MessageBody: body,
        ...(queue === 'OrderTimelineQueueUrl' ? { MessageGroupId: marker, MessageDeduplicationId: marker } : {}),
      }),
    );
  }
}

export interface Drained {
  report: InvariantReport;
  parked: ParkedMessage[];
  settled: boolean;
}

/**
 * Waits for every order to reach a final state (cheap: the order records), then
 * for every message to be applied or parked (the full check, DLQs included),
 * polling until it holds or `drainSeconds` pass. A double-applied effect never
 * heals, so it does not keep the wait going.
 */
async function drain(
  sys: System,
  plans: OrderPlan[],
  bad: BadMessage[],
  stockBefore: Record<string, number>,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<Drained> {
  const deadline = Date.now() + options.drainSeconds * 1000;
  const ids = plans.map((p) => p.orderId);
  const final = new Set<string>();
  while (final.size < ids.length && Date.now() < deadline) {
    await mapLimit(
      ids.filter((id) => !final.has(id)),
      16,
      async (id) => {
        const status = (await sys.serviceRecord(keys.order(id)))?.status as string | undefined;
        if (status && status !== 'PENDING') final.add(id);
      },
    );
    log(`soak: draining: ${final.size}/${ids.length} orders in a final state`);
    if (final.size < ids.length) await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  let parked: ParkedMessage[] = [];
  let report: InvariantReport | undefined;
  for (;;) {
    const scan = await scanDeadLetters(sys);
    parked = scan.messages;
    report = await verifyInvariants(sys, ids, { stockBefore, parked: scan, concurrency: 16 });
    const badMissing = bad.filter((b) => !parked.some((p) => p.body.includes(b.marker))).length;
    log(
      `soak: checking: lost ${report.totals.lost}, double-applied ${report.totals.doubleApplied}, ` +
        `parked ${report.totals.parked} orders (with a message in a DLQ: ${report.totals.deadLettered}) + ` +
        `${bad.length - badMissing}/${bad.length} bad messages, violations ${report.totals.violations}, ` +
        `other DLQ messages ${report.other.length}`,
    );
    const settled =
      report.totals.lost === 0 && badMissing === 0 && report.totals.violations === report.totals.doubleApplied;
    if (settled) return { report, parked, settled: true };
    if (Date.now() >= deadline) return { report, parked, settled: false };
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

/** What fired, per order and per rule, read against the plan. */
export interface FiredAccount {
  /** The switch kinds the functions logged firing, per order id. */
  kindsByOrder: Map<string, Set<FaultKind>>;
  /** Rules meant to hit at least one order that fired on none. */
  rulesNotFired: { ruleId: string; kind: FaultKind; planned: number }[];
  /** Every (order, rule) the plan meant to hit that no function logged firing on, in plan order. */
  plannedNotFired: PlannedNotFired[];
}

/** One planned hit that did not happen: the order, and the rule (so its target) that was meant to fire on it. */
export interface PlannedNotFired {
  orderId: string;
  ruleId: string;
  kind: FaultKind;
  target: string;
}

/**
 * Reads the fired faults against the plan: which kinds fired on which order
 * (a fired line of a rule not in the plan is ignored: it is not this run's),
 * and which rules were meant to fire on orders but did not: the plan's
 * `firing` (./plan.ts firingRules: the switch's own draw, where the work
 * happens, one rule per point and attempt).
 */
export function accountFired(
  plans: readonly OrderPlan[],
  rules: readonly PlannedRule[],
  fired: readonly FiredFault[],
): FiredAccount {
  const kindOf = new Map(rules.map((r) => [r.rule.id, r.kind]));
  const kindsByOrder = new Map<string, Set<FaultKind>>();
  const firedRules = new Set<string>();
  for (const f of fired) {
    const kind = kindOf.get(f.faultId);
    if (!kind) continue;
    firedRules.add(f.faultId);
    const kinds = kindsByOrder.get(f.orderId) ?? new Set<FaultKind>();
    kinds.add(kind);
    kindsByOrder.set(f.orderId, kinds);
  }
  const firedPairs = new Set(fired.map((f) => `${f.faultId}\n${f.orderId}`));
  const meantFor = (ruleId: string) => plans.filter((p) => p.firing.includes(ruleId));
  const rulesNotFired = rules
    .filter((r) => !firedRules.has(r.rule.id))
    .map(({ kind, rule }) => ({ ruleId: rule.id, kind, planned: meantFor(rule.id).length }))
    .filter((r) => r.planned > 0);
  const plannedNotFired = rules.flatMap(({ kind, rule }) =>
    meantFor(rule.id)
      .filter((p) => !firedPairs.has(`${rule.id}\n${p.orderId}`))
      .map((p) => ({ orderId: p.orderId, ruleId: rule.id, kind, target: rule.target })),
  );
  return { kindsByOrder, rulesNotFired, plannedNotFired };
}

/**
 * Whether an order ran without any fault: no kind the driver does itself (declined card, sold-out item,
 * duplicate, id conflict) and no switch fault a function logged firing on it. A planned switch fault that never fired
 * leaves the order fault-free: nothing happened to it.
 */
export function isFaultFree(plan: OrderPlan, firedKinds: ReadonlyMap<string, ReadonlySet<FaultKind>>): boolean {
  return !plan.declined && !plan.outOfStock && !plan.duplicate && !plan.idConflict && !firedKinds.has(plan.orderId);
}

/**
 * One row per fault kind, a row for the fault-free orders, and the total; `fired` counts from the
 * functions' log lines. `parked` counts orders with a message read from a DLQ whose envelope names
 * the order (matched by the invariants, scripts/lib/invariants.ts), never a queue's depth.
 * Exported for its unit tests (test/scripts/soak/fired.test.ts, test/scripts/soak/parked.test.ts).
 */
export function tally(
  plans: readonly OrderPlan[],
  bad: readonly BadMessage[],
  { report, parked, settled }: Drained,
  rules: readonly PlannedRule[],
  fired: readonly FiredFault[],
): Omit<SoakResult, 'run' | 'rules' | 'placedSeconds' | 'drainedSeconds' | 'fired'> {
  const byOrder = new Map(report.orders.map((o) => [o.orderId, o]));
  const { kindsByOrder, rulesNotFired, plannedNotFired } = accountFired(plans, rules, fired);
  const firedOn = (plan: OrderPlan, kind: FaultKind) => kindsByOrder.get(plan.orderId)?.has(kind) ?? false;
  const mismatches: string[] = [];
  for (const plan of plans) {
    const status = byOrder.get(plan.orderId)?.finalStatus;
    if (!status) continue; // already lost
    // From what fired on it (the functions' logs), not from the plan: ./plan.ts expectedFinalStatus.
    const expected = expectedFinalStatus(plan, kindsByOrder.get(plan.orderId));
    if (status !== expected)
      mismatches.push(`${plan.orderId}: ${status}, expected ${expected} (${plan.kinds.join(', ') || 'no fault'})`);
  }
  const outcomes = (selected: readonly OrderPlan[]) => {
    const reports = selected.map((p) => byOrder.get(p.orderId)).filter((r) => r !== undefined);
    const isParked = (r: (typeof reports)[number]) => r.deadLettered.length > 0;
    return {
      recovered: reports.filter((r) => r.violations.length === 0 && !isParked(r)).length,
      parked: reports.filter(isParked).length,
      lost: reports.filter((r) => r.lost.length > 0).length,
      doubleApplied: reports.filter((r) => r.doubleApplied.length > 0).length,
    };
  };
  const kindRow = (kind: FaultKind): SoakRow => {
    const planned = plans.filter((p) => p.kinds.includes(kind));
    if (!isSwitchKind(kind))
      return { scenario: kind, planned: planned.length, fired: null, notFired: null, ...outcomes(planned) };
    const hit = plans.filter((p) => firedOn(p, kind));
    return {
      scenario: kind,
      planned: planned.length,
      fired: hit.length,
      notFired: planned.filter((p) => !firedOn(p, kind)).length,
      ...outcomes(hit),
    };
  };
  const badRow = (kind: FaultKind): SoakRow => {
    const sent = bad.filter((b) => b.kind === kind);
    const found = sent.filter((b) => parked.some((p) => p.body.includes(b.marker)));
    return {
      scenario: kind,
      planned: sent.length,
      fired: null,
      notFired: null,
      recovered: 0,
      parked: found.length,
      lost: sent.length - found.length,
      doubleApplied: 0,
    };
  };
  const orderKinds = (Object.keys(FAULT_KINDS) as FaultKind[]).filter((k) => !k.startsWith('bad-input-'));
  const faultFree = plans.filter((p) => isFaultFree(p, kindsByOrder));
  const rows = [
    ...orderKinds.map(kindRow),
    { scenario: '(no fault)', planned: faultFree.length, fired: null, notFired: null, ...outcomes(faultFree) },
    badRow('bad-input-malformed'),
    badRow('bad-input-unknown-type'),
  ];
  const orderTotal = outcomes(plans);
  const badRows = rows.slice(-2);
  const switchRows = rows.filter((r) => r.fired !== null);
  const total: SoakRow = {
    scenario: 'total',
    planned: plans.length + badRows.reduce((n, r) => n + r.planned, 0),
    fired: switchRows.reduce((n, r) => n + (r.fired ?? 0), 0),
    notFired: switchRows.reduce((n, r) => n + (r.notFired ?? 0), 0),
    recovered: orderTotal.recovered,
    parked: orderTotal.parked + badRows.reduce((n, r) => n + r.parked, 0),
    lost: orderTotal.lost + badRows.reduce((n, r) => n + r.lost, 0),
    doubleApplied: orderTotal.doubleApplied,
  };
  const badInputLost = bad
    .filter((b) => !parked.some((p) => p.body.includes(b.marker)))
    .map((b) => `${b.marker} (${b.kind}, ${b.queue})`);
  const faultFreeParked = faultFree.flatMap((plan) => {
    const lines = byOrder.get(plan.orderId)?.deadLettered ?? [];
    return lines.length > 0 ? [`${plan.orderId}: ${lines.join('; ')}`] : [];
  });
  const ours = new Set(plans.map((p) => p.orderId));
  const otherDeadLetters = parked.filter(
    (p) => !(p.orderId && ours.has(p.orderId)) && !bad.some((b) => p.body.includes(b.marker)),
  ).length;
  return {
    rows,
    total,
    report,
    mismatches,
    badInputLost,
    faultFreeParked,
    otherDeadLetters,
    settled,
    rulesNotFired,
    plannedNotFired,
  };
}

/**
 * The switch kinds that were planned on at least one order and that no function logged firing: a run
 * where a kind never fired proves nothing about it, so the soak fails (and the CI soak with it).
 */
export function unfiredKinds(result: Pick<SoakResult, 'rows'>): string[] {
  return result.rows.filter((r) => r.fired === 0 && r.planned > 0).map((r) => r.scenario);
}

/** The table's columns, named by what they count. */
const COLUMNS = [
  'scenario',
  'planned',
  'fired (logged)',
  'planned, not fired',
  'recovered',
  'parked',
  'lost',
  'applied twice',
];

function cells(r: SoakRow): string[] {
  const orDash = (n: number | null) => (n === null ? '-' : String(n));
  return [
    r.scenario,
    String(r.planned),
    orDash(r.fired),
    orDash(r.notFired),
    String(r.recovered),
    String(r.parked),
    String(r.lost),
    String(r.doubleApplied),
  ];
}

/** The lines under the table: the pass criterion on fault-free orders, and what the DLQs held besides the run. */
function footer(result: Partial<Pick<SoakResult, 'faultFreeParked' | 'otherDeadLetters'>>): string[] {
  if (result.faultFreeParked === undefined) return [];
  return [
    `fault-free orders parked: ${result.faultFreeParked.length} (must be 0)`,
    ...(result.otherDeadLetters === undefined
      ? []
      : [`other DLQ messages (not this run's, ignored): ${result.otherDeadLetters}`]),
  ];
}

/**
 * The table, fixed-width, one row per kind and the total, then the fault-free orders parked. `fired
 * (logged)` counts the orders on which a function logged the kind's rule firing; `-` where the driver
 * does the fault itself (it sent it).
 */
export function formatSoakTable(
  result: Pick<SoakResult, 'rows' | 'total'> & Partial<Pick<SoakResult, 'faultFreeParked' | 'otherDeadLetters'>>,
): string {
  const lines = [...result.rows, result.total].map(cells);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    format(COLUMNS),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.slice(0, -1).map(format),
    format(widths.map((w) => '-'.repeat(w))),
    format(lines[lines.length - 1]),
    ...footer(result),
  ].join('\n');
}

/** The same table in Markdown, for BENCHMARKS.md. */
export function markdownSoakTable(
  result: Pick<SoakResult, 'rows' | 'total'> & Partial<Pick<SoakResult, 'faultFreeParked' | 'otherDeadLetters'>>,
): string {
  const title = (h: string) => h.charAt(0).toUpperCase() + h.slice(1);
  return [
    `| ${COLUMNS.map(title).join(' | ')} |`,
    `| --- |${' ---: |'.repeat(COLUMNS.length - 1)}`,
    ...[...result.rows, result.total].map((r) => {
      const row = cells(r);
      if (r.scenario === 'total') {
        row[0] = '**total**';
        row[6] = `**${row[6]}**`;
        row[7] = `**${row[7]}**`;
      }
      return `| ${row.join(' | ')} |`;
    }),
    ...footer(result).map((line) => `\n${line}`),
  ].join('\n');
}

/**
 * Whether the run passed: nothing lost, nothing applied twice, no other invariant broken, no message of
 * a fault-free order in a DLQ, and every planned fault fired on every order it was planned for, by the
 * functions' own logs (the plan knows where a rule can fire: ./plan.ts firingRules and reaches, so a miss
 * is a finding, not noise). Outcome mismatches (a fault-free order cancelled because a saga step timed
 * out on an overloaded engine) are printed but are not failures: the saga compensating is a correct
 * outcome, not a lost order.
 */
export function soakPassed(result: SoakResult): boolean {
  return (
    result.total.lost === 0 &&
    result.total.doubleApplied === 0 &&
    result.report.ok &&
    result.faultFreeParked.length === 0 &&
    result.plannedNotFired.length === 0
  );
}
