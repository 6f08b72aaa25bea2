import { chunks64k, expressBilledGbSeconds, lambdaBilledMs } from './arithmetic';
import type { InternalHops } from './engine-log';
import type { PerOrderUsage, SagaType } from './model';
import type { RecordedCall } from './recorder';
import type { Architecture } from './template';
import { type FixedResources, functionSettings } from './template';

/** The functions' API calls of a phase, summed by `service:Operation`. */
export interface CallSummary {
  calls: number;
  bytes: number;
  chunks: number;
  /** DynamoDB only: units the engine reported, and for how many calls it reported them. */
  capacityUnits: number;
  callsWithCapacity: number;
  failed: number;
  /** SQS queue URLs / SNS topic ARNs addressed, with counts. */
  targets: Record<string, number>;
}

/** What one phase of the measurement saw, summed over its orders (saved in the results file). */
export interface PhaseRaw {
  kind: 'confirmed' | 'compensated';
  orders: number;
  wallMs: number;
  /** Bytes of each OrderPlaced entry the checkout client put on the bus. */
  clientEntryBytes: number[];
  calls: Record<string, CallSummary>;
  hops: InternalHops;
  lambda: Record<
    string,
    {
      invocations: number;
      durationMs: number;
      billedMs: number;
      logBytes: number;
      logEvents: number;
      localMemoryMb: number;
      /** The function's logical id in the template, read from the stack (absent in older files). */
      logicalId?: string;
    }
  >;
  executions: {
    status: string;
    transitions: number;
    retries: number;
    durationMs: number;
    historyEvents: number;
    historyLogBytes: number;
  }[];
}

export function summariseCalls(calls: readonly RecordedCall[]): Record<string, CallSummary> {
  const out: Record<string, CallSummary> = {};
  for (const call of calls) {
    const key = `${call.service}:${call.operation}`;
    out[key] ??= { calls: 0, bytes: 0, chunks: 0, capacityUnits: 0, callsWithCapacity: 0, failed: 0, targets: {} };
    const s = out[key];
    s.calls += 1;
    s.bytes += call.bytes;
    s.chunks +=
      call.entryBytes.length > 0 ? call.entryBytes.reduce((n, b) => n + chunks64k(b), 0) : chunks64k(call.bytes);
    if (call.capacityUnits !== undefined) {
      s.capacityUnits += call.capacityUnits;
      s.callsWithCapacity += 1;
    }
    if (call.status >= 400) s.failed += 1;
    if (call.target) s.targets[call.target] = (s.targets[call.target] ?? 0) + 1;
  }
  return out;
}

/** DynamoDB operations whose capacity is write units, and those whose capacity is read units (shared with the bench). */
export const DYNAMODB_WRITES: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
export const DYNAMODB_READS: ReadonlySet<string> = new Set([
  'GetItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'TransactGetItems',
]);

const isFifo = (queue: string) => queue.endsWith('.fifo');
const total = (values: Iterable<number>) => {
  let n = 0;
  for (const v of values) n += v;
  return n;
};

/**
 * Turns a phase's sums into per-order usage, priced as the template would deploy on AWS (memory and
 * architecture of each function from the synthesized template, not from the local stage). `sagaType` is
 * the workflow type of the saga whose executions the phase measured.
 */
export function perOrderUsage(
  raw: PhaseRaw,
  resources: FixedResources,
  sagaLoggingLevel = 'ALL',
  sagaType: SagaType = 'STANDARD',
): PerOrderUsage {
  if (raw.orders <= 0) throw new Error(`phase ${raw.kind} has no orders to divide by`);
  const per = (n: number) => n / raw.orders;

  // EventBridge: the client's OrderPlaced plus every event the relay puts on the bus.
  const relayEntries = raw.calls['events:PutEvents'];
  const clientChunks = total(raw.clientEntryBytes.map(chunks64k));
  const clientBytes = total(raw.clientEntryBytes);
  const deliveriesToSns = total(Object.values(raw.hops.eventBridgeToSns));
  const cmkPublishes = total(
    Object.entries(raw.hops.eventBridgeToSns)
      .filter(([arn]) => resources.cmkTopics.some((id) => arn.includes(`-${id}-`)))
      .map(([, n]) => n),
  );
  // An SNS message carries a whole relayed outcome event (EventBridge envelope plus detail). The relay's
  // mean request size bounds one such event from above; 1 KB more covers the envelope.
  const relayedEventBytes = (relayEntries?.bytes ?? 0) / Math.max(1, relayEntries?.calls ?? 1);
  const snsChunksEach = chunks64k(relayedEventBytes + 1024);

  // SQS: deliveries into queues (SNS, EventBridge), the Lambda pollers' receive + delete per batch, and direct calls.
  const detail: Record<string, number> = {};
  const add = (key: string, n: number) => {
    if (n > 0) detail[key] = (detail[key] ?? 0) + per(n);
  };
  for (const [queue, n] of Object.entries(raw.hops.snsToSqs))
    add(`${isFifo(queue) ? 'fifo' : 'standard'}:SnsDeliverySend`, n);
  for (const [queue, n] of Object.entries(raw.hops.eventBridgeToSqs))
    add(`${isFifo(queue) ? 'fifo' : 'standard'}:RuleTargetSend`, n);
  for (const [queue, b] of Object.entries(raw.hops.esmSqs)) {
    add(`${isFifo(queue) ? 'fifo' : 'standard'}:PollerReceiveMessage`, b.batches);
    add(`${isFifo(queue) ? 'fifo' : 'standard'}:PollerDeleteMessageBatch`, b.batches);
  }
  for (const [key, s] of Object.entries(raw.calls)) {
    if (!key.startsWith('sqs:')) continue;
    for (const [queue, n] of Object.entries(s.targets))
      add(`${isFifo(queue) ? 'fifo' : 'standard'}:${key.slice(4)}`, n * (s.chunks / s.calls));
  }
  const sqsOf = (kind: string) =>
    total(
      Object.entries(detail)
        .filter(([k]) => k.startsWith(`${kind}:`))
        .map(([, v]) => v),
    );

  // DynamoDB: the engine's ConsumedCapacity per call (transactions already at 2x).
  const byOperation: PerOrderUsage['dynamodb']['byOperation'] = {};
  let writeUnits = 0;
  let readUnits = 0;
  for (const [key, s] of Object.entries(raw.calls)) {
    if (!key.startsWith('dynamodb:')) continue;
    const op = key.slice('dynamodb:'.length);
    byOperation[op] = { calls: per(s.calls), units: per(s.capacityUnits) };
    if (DYNAMODB_WRITES.has(op)) writeUnits += per(s.capacityUnits);
    else if (DYNAMODB_READS.has(op)) readUnits += per(s.capacityUnits);
  }

  const lambda: PerOrderUsage['lambda'] = {};
  for (const [name, fn] of Object.entries(raw.lambda)) {
    const known = fn.logicalId ? resources.functions[fn.logicalId] : undefined;
    const settings = known && fn.logicalId ? { logicalId: fn.logicalId, ...known } : functionSettings(resources, name);
    lambda[settings?.logicalId ?? name] = {
      invocations: per(fn.invocations),
      billedMs: per(fn.billedMs),
      memoryMb: settings?.memoryMb ?? fn.localMemoryMb,
      architecture: (settings?.architecture ?? 'x86_64') as Architecture,
      logBytes: per(fn.logBytes),
    };
  }

  const executions = raw.executions;
  const historyLogBytes = sagaLoggingLevel === 'ALL' ? total(executions.map((e) => e.historyLogBytes)) : 0;

  const apiCalls: PerOrderUsage['apiCalls'] = {};
  for (const [key, s] of Object.entries(raw.calls))
    apiCalls[key] = { calls: per(s.calls), bytes: per(s.bytes), chunks: per(s.chunks) };

  return {
    eventBridge: {
      customEventChunks: per(clientChunks + (relayEntries?.chunks ?? 0)),
      eventBytes: per(clientBytes + (relayEntries?.bytes ?? 0)),
      deliveriesToSqs: per(total(Object.values(raw.hops.eventBridgeToSqs))),
      deliveriesToSns: per(deliveriesToSns),
      deliveriesToStepFunctions: per(total(Object.values(raw.hops.eventBridgeToStepFunctions))),
    },
    sns: {
      publishChunks: per(deliveriesToSns * snsChunksEach),
      sqsDeliveries: per(total(Object.values(raw.hops.snsToSqs))),
      publishesToCmkTopics: per(cmkPublishes),
    },
    sqs: { standardRequests: sqsOf('standard'), fifoRequests: sqsOf('fifo'), detail },
    dynamodb: { writeUnits, readUnits, byOperation },
    streams: {
      lambdaBatches: per(total(Object.values(raw.hops.esmStreams).map((s) => s.batches))),
      records: per(total(Object.values(raw.hops.esmStreams).map((s) => s.records))),
    },
    lambda,
    stepFunctions: {
      type: sagaType,
      executions: per(executions.length),
      transitions: per(total(executions.map((e) => e.transitions))),
      retries: per(total(executions.map((e) => e.retries))),
      durationMs: per(total(executions.map((e) => e.durationMs))),
      expressGbSeconds: per(total(executions.map((e) => expressBilledGbSeconds(e.durationMs)))),
      historyEvents: per(total(executions.map((e) => e.historyEvents))),
      logBytes: per(historyLogBytes),
    },
    apiCalls,
  };
}

/** Lambda REPORT line: `REPORT RequestId: <id>\tDuration: 12.3 ms\t…`. */
export function reportDurationMs(message: string): number | undefined {
  const m = /^REPORT RequestId: \S+\s+Duration: ([\d.]+) ms/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * Lines the local run writes that a function on AWS would not: the AWS SDK's notice that it wants
 * Node 22 (the engine runs handlers on this machine's Node 20; the stack deploys nodejs22.x).
 */
const LOCAL_ONLY_LINES = [
  /NodeVersionSupportWarning/,
  /^versions published after the first week of January 2027$/,
  /^will require node >=22\. You are running node v/,
  /^To continue receiving updates to AWS services,$/,
  /^and security updates please upgrade to node >=22\.$/,
  /^More information can be found at: https:\/\/a\.co\//,
  /^\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)$/,
];

export function isLocalOnlyLogLine(message: string): boolean {
  const text = message.trimEnd();
  return text === '' || LOCAL_ONLY_LINES.some((p) => p.test(text));
}

/** Sums a function's log events: invocations and durations from REPORT lines, bytes of the lines AWS would ingest. */
export function summariseLambdaLog(messages: readonly string[]) {
  let invocations = 0;
  let durationMs = 0;
  let billedMs = 0;
  let logBytes = 0;
  let logEvents = 0;
  for (const message of messages) {
    const duration = reportDurationMs(message);
    if (duration !== undefined) {
      invocations += 1;
      durationMs += duration;
      billedMs += lambdaBilledMs(duration);
    }
    if (isLocalOnlyLogLine(message)) continue;
    logEvents += 1;
    logBytes += Buffer.byteLength(message, 'utf8');
  }
  return { invocations, durationMs, billedMs, logBytes, logEvents };
}

/** State transitions of one execution's history: every state entered, plus each retried task attempt. */
export function transitionsOf(events: readonly { type?: string }[]) {
  let transitions = 0;
  let retries = 0;
  let scheduledInState = 0;
  for (const e of events) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) {
      transitions += 1;
      scheduledInState = 0;
    } else if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') {
      scheduledInState += 1;
      if (scheduledInState > 1) retries += 1;
    }
  }
  return { transitions: transitions + retries, retries };
}

/**
 * Bytes one history event would take as a log event at logging level ALL: the event plus the execution
 * ARN the log record carries; without execution data (the Standard saga's setting) its input/output
 * payloads are left out, with it (the Express saga's: its log is its only history) they are kept.
 */
export function historyLogEventBytes(
  event: Record<string, unknown>,
  executionArn: string,
  includeExecutionData = false,
): number {
  const logged = includeExecutionData
    ? event
    : JSON.parse(
        JSON.stringify(event, (key, value) =>
          /^(input|output|inputDetails|outputDetails)$/.test(key) ? undefined : value,
        ),
      );
  return Buffer.byteLength(JSON.stringify({ ...logged, execution_arn: executionArn }), 'utf8');
}
