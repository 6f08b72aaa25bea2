import { blend, dominantLine, GIB, gbSeconds, monthlyUsd, usdPerMillionOrders } from './arithmetic';
import { type Confidence, type PriceKey, type PriceTable, unitPrice } from './prices';
import type { Architecture, FixedResources } from './template';

export type SagaMode = 'standard' | 'express';

/** A state machine's workflow type, as Step Functions names it. */
export type SagaType = 'STANDARD' | 'EXPRESS';

/** One function's share of an order: invocations, billed duration and the size it is billed at. */
export interface LambdaUsage {
  invocations: number;
  /** Sum of billed milliseconds (each invocation rounded up to 1 ms). */
  billedMs: number;
  memoryMb: number;
  architecture: Architecture;
  /** Bytes of log messages the function wrote (application lines plus START/END/REPORT). */
  logBytes: number;
}

/**
 * What one order uses, averaged over a measured batch. Every field is a count per order; where a field
 * is modelled rather than counted, `measurement.json`'s method notes say so.
 */
export interface PerOrderUsage {
  eventBridge: {
    /** 64 KB chunks of every custom event put on the bus (client and event relay). */
    customEventChunks: number;
    /** Bytes of those events (what the archive ingests). */
    eventBytes: number;
    deliveriesToSqs: number;
    deliveriesToSns: number;
    deliveriesToStepFunctions: number;
  };
  sns: { publishChunks: number; sqsDeliveries: number; publishesToCmkTopics: number };
  sqs: {
    standardRequests: number;
    fifoRequests: number;
    /** Where the requests come from, e.g. `standard:SnsDelivery`, `fifo:EsmReceive`. */
    detail: Record<string, number>;
  };
  dynamodb: {
    writeUnits: number;
    readUnits: number;
    /** Per operation: calls and the capacity units the engine reported for them. */
    byOperation: Record<string, { calls: number; units: number }>;
  };
  streams: { lambdaBatches: number; records: number };
  lambda: Record<string, LambdaUsage>;
  stepFunctions: {
    /**
     * The workflow type the executions were measured on: an Express figure priced from `STANDARD`
     * executions is modelled (same steps and durations at Express prices), from `EXPRESS` ones measured.
     */
    type: SagaType;
    executions: number;
    /** States entered plus task retries: what a Standard workflow is billed for. */
    transitions: number;
    retries: number;
    durationMs: number;
    /** Billed GB-seconds if the same executions ran as Express (100 ms rounding, 64 MB). */
    expressGbSeconds: number;
    /** Execution-history events, each a log event at logging level ALL. */
    historyEvents: number;
    logBytes: number;
  };
  /** Every API call the functions made, by `service:Operation`: calls, request bytes and 64 KB chunks. */
  apiCalls: Record<string, { calls: number; bytes: number; chunks: number }>;
}

export type Basis = 'measured' | 'modelled' | 'assumed';

export interface CostLine {
  id: string;
  label: string;
  quantityPerOrder: number;
  unit: string;
  priceKey: PriceKey;
  /** USD per million orders. */
  usd: number;
  basis: Basis;
  confidence: Confidence;
  note?: string;
}

export interface FixedLine {
  id: string;
  label: string;
  count: number;
  priceKey: PriceKey;
  /** USD per month. */
  usd: number;
  confidence: Confidence;
  note?: string;
}

function line(
  prices: PriceTable,
  id: string,
  label: string,
  quantityPerOrder: number,
  unit: string,
  priceKey: PriceKey,
  basis: Basis,
  note?: string,
): CostLine {
  return {
    id,
    label,
    quantityPerOrder,
    unit,
    priceKey,
    usd: usdPerMillionOrders(quantityPerOrder, unitPrice(prices, priceKey)),
    basis,
    confidence: prices.prices[priceKey].confidence,
    ...(note ? { note } : {}),
  };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Lambda GB-seconds per order on one architecture. */
export function lambdaGbSeconds(usage: PerOrderUsage, architecture: Architecture): number {
  return sum(
    Object.values(usage.lambda)
      .filter((fn) => fn.architecture === architecture)
      .map((fn) => gbSeconds(fn.memoryMb, fn.billedMs)),
  );
}

/** The per-order cost lines of one saga mode, in USD per million orders. */
export function orderCostLines(usage: PerOrderUsage, prices: PriceTable, mode: SagaMode): CostLine[] {
  const invocations = sum(Object.values(usage.lambda).map((fn) => fn.invocations));
  const logBytes = sum(Object.values(usage.lambda).map((fn) => fn.logBytes)) + usage.stepFunctions.logBytes;
  const lines: CostLine[] = [
    line(
      prices,
      'eventbridge.events',
      'EventBridge custom events',
      usage.eventBridge.customEventChunks,
      '64 KB chunks',
      'eventbridge.customEvent',
      'measured',
    ),
    line(
      prices,
      'eventbridge.archive',
      'EventBridge archive ingestion',
      usage.eventBridge.eventBytes / GIB,
      'GiB',
      'eventbridge.archiveGb',
      'measured',
    ),
    line(
      prices,
      'sns.publish',
      'SNS publishes (rule → fan-out topic)',
      usage.sns.publishChunks,
      '64 KB chunks',
      'sns.publish',
      'measured',
    ),
    line(
      prices,
      'sns.sqsDelivery',
      'SNS → SQS deliveries',
      usage.sns.sqsDeliveries,
      'deliveries',
      'sns.sqsDelivery',
      'measured',
      'free',
    ),
    line(
      prices,
      'sqs.standard',
      'SQS standard requests',
      usage.sqs.standardRequests,
      'requests',
      'sqs.standardRequest',
      'assumed',
      'deliveries counted; Lambda poller receive + delete per batch assumed; idle long polls not included',
    ),
    line(
      prices,
      'sqs.fifo',
      'SQS FIFO requests',
      usage.sqs.fifoRequests,
      'requests',
      'sqs.fifoRequest',
      'assumed',
      'sends counted; Lambda poller receive + delete per batch assumed',
    ),
    line(prices, 'lambda.requests', 'Lambda requests', invocations, 'invocations', 'lambda.request', 'measured'),
  ];
  for (const architecture of ['arm64', 'x86_64'] as const) {
    const gbs = lambdaGbSeconds(usage, architecture);
    if (gbs > 0) {
      lines.push(
        line(
          prices,
          `lambda.duration.${architecture}`,
          `Lambda duration (${architecture})`,
          gbs,
          'GB-s',
          `lambda.gbSecond.${architecture}`,
          'measured',
          'local durations (engine round trips included)',
        ),
      );
    }
  }
  lines.push(
    line(
      prices,
      'dynamodb.writes',
      'DynamoDB write request units',
      usage.dynamodb.writeUnits,
      'WRU',
      'dynamodb.writeRequestUnit',
      'measured',
    ),
    line(
      prices,
      'dynamodb.reads',
      'DynamoDB read request units',
      usage.dynamodb.readUnits,
      'RRU',
      'dynamodb.readRequestUnit',
      'measured',
    ),
    {
      ...line(
        prices,
        'dynamodb.streams',
        'DynamoDB Streams reads (Lambda trigger)',
        usage.streams.lambdaBatches,
        'GetRecords',
        'dynamodb.streamsReadRequest',
        'measured',
      ),
      usd: 0,
      note: 'free: GetRecords by Lambda triggers is not charged',
    },
  );
  if (mode === 'standard') {
    lines.push(
      line(
        prices,
        'stepfunctions.transitions',
        'Step Functions Standard state transitions',
        usage.stepFunctions.transitions,
        'transitions',
        'stepfunctions.standardTransition',
        'measured',
      ),
    );
  } else {
    const measured = usage.stepFunctions.type === 'EXPRESS';
    lines.push(
      line(
        prices,
        'stepfunctions.expressRequests',
        'Step Functions Express requests',
        usage.stepFunctions.executions,
        'executions',
        'stepfunctions.expressRequest',
        measured ? 'measured' : 'modelled',
      ),
      line(
        prices,
        'stepfunctions.expressDuration',
        'Step Functions Express duration (64 MB, per 100 ms)',
        usage.stepFunctions.expressGbSeconds,
        'GB-s',
        'stepfunctions.expressGbSecond',
        measured ? 'measured' : 'modelled',
        measured
          ? 'local durations of the Express executions, each rounded up to 100 ms; 64 MB assumed'
          : 'modelled from the measured Standard executions: same steps, same local durations',
      ),
    );
  }
  lines.push(
    line(
      prices,
      'logs.ingestion',
      'CloudWatch Logs ingestion',
      logBytes / GIB,
      'GiB',
      'cloudwatch.logsIngestionGb',
      'measured',
      'Lambda log bytes counted; saga history log events (level ALL) modelled from the execution history',
    ),
    line(
      prices,
      'kms.requests',
      'KMS requests (upper bound)',
      usage.sns.publishesToCmkTopics,
      'requests',
      'kms.request',
      'modelled',
      'one GenerateDataKey per publish to a CMK-encrypted topic; SNS reuses data keys, so the real count is lower',
    ),
  );
  return lines;
}

export interface ModeResult {
  mode: SagaMode;
  lines: CostLine[];
  /** USD per million orders. */
  total: number;
  dominant: { id: string; label: string; usd: number; share: number };
}

export function modeResult(usage: PerOrderUsage, prices: PriceTable, mode: SagaMode): ModeResult {
  const lines = orderCostLines(usage, prices, mode);
  const total = sum(lines.map((l) => l.usd));
  const top = dominantLine(lines);
  return {
    mode,
    lines,
    total,
    dominant: { id: top.id, label: top.label, usd: top.usd, share: total > 0 ? top.usd / total : 0 },
  };
}

/** The monthly cost that does not depend on traffic: dashboards, alarms, custom metrics, KMS keys. */
export function fixedMonthlyLines(resources: FixedResources, prices: PriceTable): FixedLine[] {
  const fixed = (id: string, label: string, count: number, priceKey: PriceKey, note?: string): FixedLine => ({
    id,
    label,
    count,
    priceKey,
    usd: monthlyUsd(count, unitPrice(prices, priceKey)),
    confidence: prices.prices[priceKey].confidence,
    ...(note ? { note } : {}),
  });
  return [
    fixed('cloudwatch.dashboards', 'CloudWatch dashboards', resources.dashboards, 'cloudwatch.dashboardMonth'),
    fixed(
      'cloudwatch.alarms',
      'CloudWatch standard alarms (alarm metrics)',
      resources.standardAlarmMetrics,
      'cloudwatch.standardAlarmMonth',
    ),
    fixed(
      'cloudwatch.customMetrics',
      'CloudWatch custom metrics',
      resources.customMetrics,
      'cloudwatch.customMetricMonth',
      'metrics in non-AWS namespaces named by the template; metrics a function might emit on its own are not visible there',
    ),
    fixed('kms.keys', 'KMS customer managed keys', resources.kmsKeys, 'kms.keyMonth'),
  ];
}

/** Properties that describe a resource rather than count its use: kept, never averaged. */
const DESCRIPTIVE = new Set(['memoryMb', 'architecture']);

/**
 * Blends two usages field by field (`share` of the first). Counts are averaged; descriptive fields
 * (a function's memory and architecture) are kept as they are.
 */
export function blendUsage<T>(first: T, second: T, share: number): T {
  if (typeof first === 'number' && typeof second === 'number') return blend(first, second, share) as T;
  if (first && typeof first === 'object') {
    const a = first as Record<string, unknown>;
    const b = (second ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (DESCRIPTIVE.has(key)) out[key] = key in a ? a[key] : b[key];
      else if (!(key in a)) out[key] = blendUsage(zeroLike(b[key]), b[key], share);
      else if (!(key in b)) out[key] = blendUsage(a[key], zeroLike(a[key]), share);
      else out[key] = blendUsage(a[key], b[key], share);
    }
    return out as T;
  }
  return first;
}

/** The same shape with every count set to 0 (a function one kind of order never calls). */
function zeroLike<T>(value: T): T {
  if (typeof value === 'number') return 0 as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, DESCRIPTIVE.has(k) ? v : zeroLike(v)])) as T;
  }
  return value;
}
