import { DEAD_LETTER_QUEUE_OUTPUT_KEYS } from '../../../lambdas/contracts/stack-outputs';
import { dlqOutputKeys } from '../dlq/catalogue';
import { peek, release } from '../dlq/peek';
import {
  checkInvariants,
  type DeadLetterScan,
  gatherInvariantFacts,
  type InvariantFacts,
  scanDeadLetters,
} from '../invariants';
import type { System } from '../order-system';
import { placeBatch, planBatch } from './batch';
import {
  deadLettersCheck,
  duplicateCheck,
  effectsCheck,
  groupingCheck,
  groupsArePerOrder,
  invariantsCheck,
  outcomesCheck,
  progressLine,
  type StreamFailures,
  settledOrders,
} from './checks';
import { alarmsCheck, dashboardCheck, type StackResource, stackResources } from './operations';
import { type Check, evaluate, pass, type Verdict, verdict } from './verdict';

export interface SmokeOptions {
  /** The CloudFormation stack (dashboard and alarms are read from its resources). */
  stack: string;
  /** Longest wait for every order to settle, from the moment the orders are placed. */
  timeoutMs: number;
  /** Polling interval while waiting. @default 2_000 */
  intervalMs?: number;
  /**
   * After every order has settled, wait this long and read again, so a late
   * duplicate (the second delivery) that applied an effect twice is seen. @default 5_000
   */
  quietMs?: number;
  /** The run id (8 hex characters by default, random). */
  run?: string;
  log?: (line: string) => void;
}

export interface SmokeResult extends Verdict {
  run: string;
  prefix: string;
  orderIds: string[];
  /** Seconds from placing the orders until all settled, or undefined when they did not within the timeout. */
  settledSeconds?: number;
  elapsedSeconds: number;
}

/**
 * Most messages read per DLQ: keeps the run bounded on a stack whose DLQs hold
 * a backlog; a DLQ holding more makes the DLQ check fail (it cannot tell).
 */
export const DLQ_READ_LIMIT = 2_000;

/** How far before the run a stream batch failure still counts as possibly the run's. */
const CLOCK_SKEW_MARGIN_MS = 30_000;

/** Facts without reading the DLQs: during the wait a missing effect is pending, not lost. */
const NO_DLQ_SCAN: DeadLetterScan = { messages: [], unseen: [] };

/**
 * The post-deploy smoke check: places the mixed batch (`planBatch`), waits
 * (bounded by `timeoutMs`) for every order to settle with a progress line per
 * change, then runs every check of SMOKE_CHECKS and returns the verdict. Reads
 * and writes only what the batch names (its orders, customers and SKUs); peeks
 * DLQs without consuming; never touches fault switches, purges or deletes.
 * A check that throws is a failed row, not an aborted run.
 */
export async function runSmoke(sys: System, options: SmokeOptions): Promise<SmokeResult> {
  const log = options.log ?? console.log;
  const intervalMs = options.intervalMs ?? 2_000;
  const started = Date.now();
  const batch = planBatch(sys, options.run);
  const orderIds = batch.orders.map((o) => o.order.data.orderId);
  const checks: Check[] = [];
  const finish = (settledSeconds?: number): SmokeResult => ({
    ...verdict(checks),
    run: batch.run,
    prefix: batch.prefix,
    orderIds,
    settledSeconds,
    elapsedSeconds: (Date.now() - started) / 1000,
  });

  log(`smoke: run ${batch.run}: ${batch.orders.length} orders, ids ${batch.prefix}1…${batch.orders.length}`);
  const placed = await evaluate('orders placed', async () => {
    const accepted = await placeBatch(sys, batch);
    return pass(
      'orders placed',
      `${accepted} OrderPlaced entries accepted by ${sys.outputs.EventBusName} (${batch.orders.length} orders, ` +
        `${accepted - batch.orders.length} duplicate delivery); smoke SKUs seeded`,
    );
  });
  checks.push(placed);
  if (placed.result === 'fail') return finish();

  // Wait for the orders to settle (or the time bound), one line per change.
  const placedAt = Date.now();
  const deadline = placedAt + options.timeoutMs;
  const lines = new Map<string, string>();
  let facts: InvariantFacts | undefined;
  let settledSeconds: number | undefined;
  let waitError: Error | undefined;
  let lastCount = -1;
  while (true) {
    try {
      facts = await gatherInvariantFacts(sys, orderIds, { stockBefore: batch.stockBefore, parked: NO_DLQ_SCAN });
      waitError = undefined;
    } catch (error) {
      // A read failing once (throttling, a network blip) is retried until the deadline.
      if ((error as Error).message !== waitError?.message)
        log(`smoke: reading the orders failed, retrying: ${(error as Error).message}`);
      waitError = error as Error;
    }
    if (facts) {
      const settled = settledOrders(batch, facts);
      for (const o of batch.orders) {
        const line = progressLine(o, facts, settled.has(o.order.data.orderId));
        if (lines.get(o.order.data.orderId) !== line) log(`smoke:   ${line}`);
        lines.set(o.order.data.orderId, line);
      }
      if (settled.size !== lastCount) log(`smoke: ${settled.size}/${batch.orders.length} settled`);
      lastCount = settled.size;
      if (settled.size === batch.orders.length) {
        settledSeconds = (Date.now() - placedAt) / 1000;
        break;
      }
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
  if (settledSeconds === undefined) {
    log(`smoke: not settled within ${Math.round(options.timeoutMs / 1000)} s; checking what there is`);
  } else {
    log(
      `smoke: settled in ${settledSeconds.toFixed(1)} s; reading once more after ${(options.quietMs ?? 5_000) / 1000} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, options.quietMs ?? 5_000));
  }

  // The final read, with the DLQs peeked once, is what every check judges.
  let scan: DeadLetterScan | undefined;
  let scanError: Error | undefined;
  try {
    scan = await scanDeadLetters(sys, { maxPerQueue: DLQ_READ_LIMIT, waitSeconds: 1 });
  } catch (error) {
    scanError = error as Error;
  }
  try {
    facts = await gatherInvariantFacts(sys, orderIds, { stockBefore: batch.stockBefore, parked: scan ?? NO_DLQ_SCAN });
  } catch (error) {
    waitError = error as Error;
    facts = undefined;
  }
  const withFacts = (check: (f: InvariantFacts) => Check) => () => {
    if (!facts) throw new Error(`the orders could not be read: ${waitError?.message ?? 'no facts'}`);
    return check(facts);
  };
  const timeNote =
    settledSeconds === undefined ? ` (not settled within ${Math.round(options.timeoutMs / 1000)} s)` : '';
  const withTimeNote = (c: Check): Check => (c.result === 'fail' ? { ...c, detail: c.detail + timeNote } : c);

  checks.push(
    withTimeNote(
      await evaluate(
        'outcomes',
        withFacts((f) => outcomesCheck(batch, f)),
      ),
    ),
  );
  checks.push(
    withTimeNote(
      await evaluate(
        'duplicate delivery',
        withFacts((f) => duplicateCheck(batch, f)),
      ),
    ),
  );
  checks.push(
    withTimeNote(
      await evaluate(
        'invariants',
        withFacts((f) => invariantsCheck(checkInvariants(f))),
      ),
    ),
  );
  checks.push(
    withTimeNote(
      await evaluate(
        'consumer effects',
        withFacts((f) => effectsCheck(batch, f)),
      ),
    ),
  );
  checks.push(
    withTimeNote(
      await evaluate(
        'timeline grouping',
        withFacts((f) => groupingCheck(batch, f)),
      ),
    ),
  );
  checks.push(
    await evaluate('dead-letter queues', async () => {
      if (!scan) throw new Error(`the DLQs could not be read: ${scanError?.message}`);
      if (!facts) throw new Error(`the orders could not be read: ${waitError?.message ?? 'no facts'}`);
      const streamFailures = await peekStreamFailures(sys);
      return deadLettersCheck(batch, scan, streamFailures, {
        // SentTimestamp is SQS's clock, `started` this machine's: a margin for skew errs towards failing.
        startedAt: started - CLOCK_SKEW_MARGIN_MS,
        perOrderGroups: groupsArePerOrder(batch, facts),
        dlqs: dlqOutputKeys(sys.outputs).map((d) => d.key.replace(/Url$/, '')),
        maxPerQueue: DLQ_READ_LIMIT,
      });
    }),
  );

  let resources: StackResource[] | undefined;
  let resourcesError: Error | undefined;
  try {
    resources = await stackResources(sys, options.stack);
  } catch (error) {
    resourcesError = error as Error;
  }
  const withResources = (check: (r: StackResource[]) => Promise<Check>) => () => {
    if (!resources) throw new Error(`ListStackResources ${options.stack} failed: ${resourcesError?.message}`);
    return check(resources);
  };
  checks.push(
    await evaluate(
      'dashboard',
      withResources((r) => dashboardCheck(sys, r)),
    ),
  );
  checks.push(
    await evaluate(
      'alarms',
      withResources((r) => alarmsCheck(sys, r)),
    ),
  );
  return finish(settledSeconds);
}

/**
 * Peeks (never consumes) the stream failure queues of the stack outputs: the
 * relay's and the projector's on-failure destinations.
 */
async function peekStreamFailures(sys: System): Promise<StreamFailures[]> {
  const result: StreamFailures[] = [];
  for (const key of DEAD_LETTER_QUEUE_OUTPUT_KEYS.streamFailure) {
    const url = sys.outputs[key];
    // A 1 s long poll: a short poll on AWS can come back empty while messages remain (see scanDeadLetters).
    const { messages } = await peek(sys.sqs, url, { max: DLQ_READ_LIMIT, visibilitySeconds: 30, waitSeconds: 1 });
    await release(sys.sqs, url, messages);
    result.push({ queue: key.replace(/Url$/, ''), messages, capped: messages.length >= DLQ_READ_LIMIT });
  }
  return result;
}
