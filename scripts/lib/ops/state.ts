/**
 * The live state the operations view shows (`npm run ops`): every queue and DLQ
 * of the stack with its depth, and the saga's recent executions with their
 * outcome. Collected with the same SDK calls against the local engine and AWS.
 *
 * The types here are also what `/api/state` returns and what render.ts draws.
 */

import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import { failureReason, SAGA_STEPS, type SagaTaskInput, type StepResult } from '../../../lambdas/contracts/saga';
import { orderIdOf } from '../../../lambdas/messages/envelope';

/** A queue of the stack, as found in its outputs or resources. */
export interface QueueRef {
  /** Stable, readable name: the output key without `Url` (`EmailDlq`), else the logical id without its hash. */
  label: string;
  url: string;
  /**
   * `dlq` when the name says so (a DLQ, dead-letter queue or failure queue); the
   * collector also treats every redrive target of another queue as a DLQ.
   */
  role: 'queue' | 'dlq';
}

/** What the view watches: the stack's queues and its saga's state machine. */
export interface OpsTarget {
  /** One line saying which account/engine and stack this is. */
  where: string;
  stateMachineArn: string;
  queues: QueueRef[];
  /** Things the operator should know about how the target was found (shown on the page). */
  notes: string[];
}

export interface QueueState {
  label: string;
  name: string;
  url: string;
  kind: 'queue' | 'dlq';
  fifo: boolean;
  /** ApproximateNumberOfMessages: waiting to be received. */
  visible: number | null;
  /** ApproximateNumberOfMessagesNotVisible: received, not yet deleted. */
  inFlight: number | null;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number | null;
  /**
   * Age of the oldest message in seconds: SQS's API does not report it, so this
   * is CloudWatch's ApproximateAgeOfOldestMessage (latest 1-minute maximum in the
   * last 15 minutes). Null where there is no datapoint (an idle queue, an engine
   * without SQS metrics).
   */
  oldestAgeSeconds: number | null;
  /** Label of the queue its redrive policy moves failed messages to. */
  deadLetterQueue: string | null;
  /** Labels of the queues whose redrive policy targets this one. */
  sources: string[];
  /** Why this queue could not be read (the others are still shown). */
  error: string | null;
}

/** The terminal states of a succeeded saga execution (see lib/constructs/saga.ts). */
export const ORDER_OUTCOMES = ['Confirmed', 'Compensated', 'Stopped', 'Unknown'] as const;
export type OrderOutcome = (typeof ORDER_OUTCOMES)[number];

/** Step Functions execution statuses, in the order the page shows them. */
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface ExecutionSummary {
  name: string;
  arn: string;
  status: string;
  /** For SUCCEEDED executions: how the order ended. Null otherwise. */
  outcome: OrderOutcome | null;
  /** The OrderPlaced envelope's `data.orderId` (execution input). */
  orderId: string | null;
  /** Why it compensated, stopped or failed. */
  reason: string | null;
  startDate: string | null;
  stopDate: string | null;
  durationMs: number | null;
}

export interface OpsState {
  collectedAt: string;
  /** How long this collection took (the page's refresh latency, server side). */
  tookMs: number;
  where: string;
  stateMachineArn: string;
  notes: string[];
  summary: { visibleMessages: number; inFlightMessages: number; deadLetteredMessages: number };
  queues: QueueState[];
  executions: {
    /** At most this many of the newest executions are listed and counted. */
    limit: number;
    recent: ExecutionSummary[];
    byStatus: Record<string, number>;
    byOutcome: Record<OrderOutcome, number>;
    /** Why the executions could not be listed (queues are still shown). */
    error: string | null;
  };
}

export interface CollectorClients {
  sqs: SQSClient;
  sfn: SFNClient;
  cloudWatch: CloudWatchClient;
}

export interface CollectorOptions {
  /**
   * How many of the newest executions to list and count.
   *
   * @default 50
   */
  executionLimit?: number;
  /**
   * DescribeExecution calls in flight at once (AWS throttles the API per account).
   *
   * @default 8
   */
  describeConcurrency?: number;
  /**
   * How long the oldest-message ages from CloudWatch are reused. SQS metrics have
   * one-minute resolution, and GetMetricData is billed per metric requested
   * ($0.01 per 1,000): every 3 s for 14 queues is about $0.17 per hour the page
   * is open, once a minute under a cent.
   *
   * @default 60_000
   */
  metricRefreshMs?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

const QUEUE_ATTRIBUTES: QueueAttributeName[] = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'RedrivePolicy',
];

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
const count = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));
const queueName = (url: string) => url.split('/').pop() ?? url;

/**
 * Returns a function that collects the state once per call. It remembers the
 * DescribeExecution result of every execution it has seen in its current
 * status, so a refresh only describes executions that are new or changed
 * status, not the whole list every few seconds.
 */
export function createStateCollector(
  clients: CollectorClients,
  target: OpsTarget,
  options: CollectorOptions = {},
): () => Promise<OpsState> {
  const limit = options.executionLimit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new Error(`executionLimit must be an integer from 1 to 1000 (ListExecutions' page size), got ${limit}`);
  }
  const now = options.now ?? (() => new Date());
  const described = new Map<string, ExecutionDetail>();
  const metricRefreshMs = options.metricRefreshMs ?? 60_000;
  let ages: { fetchedAt: number; values: Map<string, number> } | undefined;
  const oldestAges = async (at: Date, notes: string[]) => {
    if (ages && at.getTime() - ages.fetchedAt < metricRefreshMs) return ages.values;
    try {
      ages = { fetchedAt: at.getTime(), values: await oldestMessageAges(clients.cloudWatch, target.queues, at) };
      return ages.values;
    } catch (error) {
      notes.push(`Oldest message age unavailable (CloudWatch GetMetricData failed): ${errorText(error)}`);
      return new Map<string, number>();
    }
  };

  return async () => {
    const started = now();
    const notes = [...target.notes];
    const [queues, executions] = await Promise.all([
      collectQueues(clients.sqs, target.queues, oldestAges(started, notes), notes),
      collectExecutions(clients.sfn, target.stateMachineArn, limit, options.describeConcurrency ?? 8, described),
    ]);
    // Nothing answered at all (engine down, no credentials): an error for the whole state, which the page
    // shows as its error banner, rather than a page of per-row errors.
    if (executions.error && queues.length > 0 && queues.every((q) => q.error)) {
      throw new Error(`neither SQS nor Step Functions answered: ${queues[0].error}; ${executions.error}`);
    }
    const sum = (pick: (q: QueueState) => number | null, kind?: QueueState['kind']) =>
      queues.filter((q) => kind === undefined || q.kind === kind).reduce((total, q) => total + (pick(q) ?? 0), 0);
    return {
      collectedAt: started.toISOString(),
      tookMs: now().getTime() - started.getTime(),
      where: target.where,
      stateMachineArn: target.stateMachineArn,
      notes,
      summary: {
        visibleMessages: sum((q) => q.visible, 'queue'),
        inFlightMessages: sum((q) => q.inFlight, 'queue'),
        deadLetteredMessages: sum((q) => q.visible, 'dlq') + sum((q) => q.inFlight, 'dlq'),
      },
      queues,
      executions: { limit, ...executions },
    };
  };
}

async function collectQueues(
  sqs: SQSClient,
  refs: QueueRef[],
  oldestAges: Promise<Map<string, number>>,
  notes: string[],
): Promise<QueueState[]> {
  const [read, ages] = await Promise.all([
    Promise.all(
      refs.map(async (ref) => {
        try {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: ref.url, AttributeNames: QUEUE_ATTRIBUTES }),
          );
          return { ref, attributes: Attributes ?? {}, error: null };
        } catch (error) {
          return { ref, attributes: {} as Record<string, string>, error: errorText(error) };
        }
      }),
    ),
    oldestAges,
  ]);

  const labelByArn = new Map(
    read.filter((r) => r.attributes.QueueArn).map((r) => [r.attributes.QueueArn, r.ref.label]),
  );
  const deadLetterTarget = new Map<string, string | null>();
  for (const { ref, attributes } of read) {
    let targetArn: string | undefined;
    try {
      targetArn = attributes.RedrivePolicy ? JSON.parse(attributes.RedrivePolicy).deadLetterTargetArn : undefined;
    } catch {
      notes.push(`${ref.label}: RedrivePolicy is not JSON: ${attributes.RedrivePolicy}`);
    }
    // A DLQ outside the stack is still worth naming: fall back to its queue name.
    deadLetterTarget.set(ref.label, targetArn ? (labelByArn.get(targetArn) ?? targetArn.split(':').pop()!) : null);
  }

  return read
    .map(({ ref, attributes, error }): QueueState => {
      const sources = read.filter((r) => deadLetterTarget.get(r.ref.label) === ref.label).map((r) => r.ref.label);
      const name = queueName(ref.url);
      return {
        label: ref.label,
        name,
        url: ref.url,
        kind: ref.role === 'dlq' || sources.length > 0 ? 'dlq' : 'queue',
        fifo: name.endsWith('.fifo'),
        visible: count(attributes.ApproximateNumberOfMessages),
        inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
        delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
        oldestAgeSeconds: ages.get(name) ?? null,
        deadLetterQueue: deadLetterTarget.get(ref.label) ?? null,
        sources,
        error,
      };
    })
    .sort((a, b) => Number(a.kind === 'dlq') - Number(b.kind === 'dlq') || a.label.localeCompare(b.label));
}

/** One GetMetricData call for every queue: the latest ApproximateAgeOfOldestMessage, by queue name. */
async function oldestMessageAges(
  cloudWatch: CloudWatchClient,
  refs: QueueRef[],
  at: Date,
): Promise<Map<string, number>> {
  const ages = new Map<string, number>();
  if (refs.length === 0) return ages;
  const names = refs.map((r) => queueName(r.url));
  const result = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(at.getTime() - 15 * 60_000),
      EndTime: at,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: names.map((name, i) => ({
        Id: `q${i}`,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: name }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
    }),
  );
  for (const series of result.MetricDataResults ?? []) {
    const index = Number(series.Id?.slice(1));
    const value = series.Values?.[0];
    if (Number.isInteger(index) && names[index] !== undefined && typeof value === 'number')
      ages.set(names[index], value);
  }
  return ages;
}

/** What DescribeExecution says about one execution, reduced to what the page shows. */
interface ExecutionDetail {
  status: string;
  orderId: string | null;
  outcome: OrderOutcome | null;
  reason: string | null;
}

async function collectExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  limit: number,
  concurrency: number,
  described: Map<string, ExecutionDetail>,
): Promise<Omit<OpsState['executions'], 'limit'>> {
  const byStatus: Record<string, number> = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0]));
  const byOutcome = Object.fromEntries(ORDER_OUTCOMES.map((o) => [o, 0])) as Record<OrderOutcome, number>;
  let listed: ExecutionListItem[];
  try {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: limit }));
    listed = page.executions ?? [];
  } catch (error) {
    return { recent: [], byStatus, byOutcome, error: `ListExecutions failed: ${errorText(error)}` };
  }
  // AWS lists the newest first; sorting makes that explicit for any endpoint.
  listed.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0));
  listed = listed.slice(0, limit);

  const stale = listed.filter((e) => described.get(e.executionArn!)?.status !== e.status);
  const describeErrors = new Map<string, string>();
  for (let i = 0; i < stale.length; i += concurrency) {
    await Promise.all(
      stale.slice(i, i + concurrency).map(async (e) => {
        try {
          const output = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
          // Keyed by the listed status: if the two calls straddle a status change, the next refresh describes again.
          described.set(e.executionArn!, { ...executionDetail(output), status: e.status! });
        } catch (error) {
          // Not cached: the next refresh tries again; this one says why the row is incomplete.
          described.delete(e.executionArn!);
          describeErrors.set(e.executionArn!, errorText(error));
        }
      }),
    );
  }
  // Forget executions that fell off the list so the cache stays as small as the page.
  const listedArns = new Set(listed.map((e) => e.executionArn));
  for (const arn of described.keys()) if (!listedArns.has(arn)) described.delete(arn);

  const recent = listed.map((e): ExecutionSummary => {
    const detail = described.get(e.executionArn!);
    const failed = describeErrors.get(e.executionArn!);
    const status = e.status ?? 'UNKNOWN';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (detail?.outcome) byOutcome[detail.outcome] += 1;
    const start = e.startDate ?? null;
    const stop = e.stopDate ?? null;
    return {
      name: e.name ?? e.executionArn!.split(':').pop()!,
      arn: e.executionArn!,
      status,
      outcome: detail?.outcome ?? null,
      orderId: detail?.orderId ?? null,
      reason: failed ? `DescribeExecution failed: ${failed}` : (detail?.reason ?? null),
      startDate: start?.toISOString() ?? null,
      stopDate: stop?.toISOString() ?? null,
      durationMs: start && stop ? stop.getTime() - start.getTime() : null,
    };
  });
  return { recent, byStatus, byOutcome, error: null };
}

function executionDetail(output: DescribeExecutionCommandOutput): Omit<ExecutionDetail, 'status'> {
  const orderId = orderIdOfInput(output.input);
  switch (output.status) {
    case 'SUCCEEDED':
      return { orderId, ...orderOutcome(output.output) };
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED': {
      const reason = [output.error, output.cause?.slice(0, 300)].filter(Boolean).join(': ');
      return { orderId, outcome: null, reason: reason || null };
    }
    default:
      return { orderId, outcome: null, reason: null };
  }
}

function orderIdOfInput(input: string | undefined): string | null {
  try {
    return orderIdOf(JSON.parse(input ?? '')) ?? null;
  } catch {
    return null;
  }
}

/** The saga's state at a Succeed state: the input, each step's result and, after a failure, why. */
interface SagaOutput {
  results?: Record<string, { outcome?: StepResult } | undefined>;
  failure?: SagaTaskInput['failure'];
}

/**
 * How a SUCCEEDED saga execution ended, read from its output (see the terminal
 * states in lib/constructs/saga.ts): `Compensated` when a step failed (`failure`
 * is set) and every compensation ran; `Stopped` when a step answered
 * `compensate: false` (a duplicate execution: nothing undone); `Confirmed` when
 * the last step, ConfirmOrder, answered ok.
 */
export function orderOutcome(output: string | undefined): { outcome: OrderOutcome; reason: string | null } {
  let saga: SagaOutput;
  try {
    saga = JSON.parse(output ?? '') as SagaOutput;
  } catch {
    return { outcome: 'Unknown', reason: 'the execution output is not JSON' };
  }
  if (saga.failure) return { outcome: 'Compensated', reason: failureReason(saga.failure) };
  for (const [step, result] of Object.entries(saga.results ?? {})) {
    const outcome = result?.outcome;
    if (outcome && outcome.ok === false && outcome.compensate === false) {
      return { outcome: 'Stopped', reason: `${step}: ${outcome.reason}` };
    }
  }
  if (saga.results?.[SAGA_STEPS.ConfirmOrder]?.outcome?.ok === true) return { outcome: 'Confirmed', reason: null };
  return { outcome: 'Unknown', reason: `the output has no failure and no ${SAGA_STEPS.ConfirmOrder} result` };
}
