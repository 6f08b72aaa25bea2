import {
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { PARK_ATTRIBUTES } from '../../../lambdas/contracts/park-attributes';
import { type DlqEntry, KIND_DESCRIPTIONS } from './catalogue';
import { describeMessage, REDRIVE_COUNT_ATTRIBUTE } from './describe';
import { DlqRefusal, isUnsupportedOperation } from './errors';
import { peek, receiveBatch, release, SQS_BATCH } from './peek';

/** SQS's FIFO deduplication window. */
export const DEDUP_WINDOW_MS = 5 * 60_000;
/** Extra margin on the window for clock skew between this machine and SQS. */
const DEDUP_MARGIN_MS = 60_000;
/** SQS caps a message's attributes at 10. */
const MAX_MESSAGE_ATTRIBUTES = 10;
/** SendMessageBatch caps the sum of a batch's messages at 256 KiB (the long-standing limit; kept as the safe one). */
export const MAX_BATCH_BYTES = 256 * 1024;

const PARK_NAMES = new Set<string>(Object.values(PARK_ATTRIBUTES));

export type RedriveMethod = 'auto' | 'move-task' | 'loop';

export interface RedriveOptions {
  /** Without it nothing moves: the messages are peeked, the plan printed, and they are released. */
  apply: boolean;
  /** Move at most this many messages (the receive → send → delete loop; StartMessageMoveTask has no count limit). */
  limit?: number;
  /**
   * Move only the messages this accepts (the loop; a move task takes the whole queue). The others are
   * not planned, counted or moved: they stay hidden until the run ends and are then released untouched.
   * For an operator redriving chosen messages (`--message-id`), and for tests sharing a DLQ.
   */
  only?: (message: Message) => boolean;
  /**
   * FIFO only: send with a new deduplication id (`redrive-<DLQ message id>`)
   * instead of the original one, for messages whose original id may still be
   * in the source queue's 5-minute deduplication window.
   */
  newDedupId?: boolean;
  /** `auto`: StartMessageMoveTask where the endpoint has it and neither a limit nor new dedup ids are asked for, else the loop. */
  method?: RedriveMethod;
  /** How long a message being moved stays hidden (seconds); it reappears if the tool dies. */
  visibilitySeconds?: number;
  waitSeconds?: number;
  now?: () => Date;
  log?: (line: string) => void;
  /** Poll interval of ListMessageMoveTasks. */
  pollIntervalMs?: number;
}

export interface PlannedMove {
  messageId: string;
  reason: string;
  action: 'move' | 'hold';
  /** Why a message is held back (FIFO deduplication window, missing group id, …). */
  why?: string;
  messageGroupId?: string;
  entry: SendMessageBatchRequestEntry;
}

export interface RedriveResult {
  method: 'dry-run' | 'move-task' | 'loop';
  source: string;
  /** Moved (sent to the source and deleted from the DLQ), or for a dry run: would move. */
  moved: number;
  plan: PlannedMove[];
  heldBack: { messageId: string; why: string }[];
  failed: { messageId: string; why: string }[];
  /** Sent but whose delete failed: they stay in the DLQ and would be redriven again (a harmless duplicate). */
  sentNotDeleted: number;
  seconds: number;
}

/**
 * Why a DLQ cannot be redriven to a queue, and what an operator does instead.
 * Consumers are idempotent by event id, so re-delivering an event that partly
 * went through is safe in every case below.
 */
export function noSourceAdvice(dlq: DlqEntry): string {
  const head = `${dlq.key} (${dlq.name}) is an ${KIND_DESCRIPTIONS[dlq.kind]} with no source queue: there is nothing to redrive it to.`;
  const advice: Record<string, string> = {
    'sns-subscription':
      'SNS put these here because it could not deliver to the subscribed queue (queue policy, KMS key grants, queue deleted). ' +
      'Fix the delivery cause, then re-deliver: send each body to the subscribed queue (it is exactly what SNS would have delivered), ' +
      'or replay the events from the bus archive (aws events start-replay); consumers skip what they already processed.',
    'rule-target':
      'EventBridge put these here after its retries to a rule target failed (see ERROR_CODE/ERROR_MESSAGE and TARGET_ARN in `show`). ' +
      'Fix the target, then re-put each body (an event) with aws events put-events, or replay the time range from the bus archive (aws events start-replay).',
    'stream-failure':
      'These are descriptions of DynamoDB stream batches the relay or projector gave up on, not the events themselves. ' +
      'Fix the function, then re-publish (relay) or re-project (projector) the events of the listed sequence range from the event store table; ' +
      'both are idempotent per event.',
    unknown:
      'No queue has a redrive policy pointing here. Check the stack (was the source queue removed?) and move the messages by hand if needed.',
  };
  return `${head}\n${advice[dlq.kind] ?? advice.unknown}`;
}

function copyAttribute(value: MessageAttributeValue): MessageAttributeValue | undefined {
  if (!value.DataType) return undefined;
  if (value.StringValue !== undefined) return { DataType: value.DataType, StringValue: value.StringValue };
  if (value.BinaryValue !== undefined) return { DataType: value.DataType, BinaryValue: value.BinaryValue };
  return undefined; // list values are reserved by SQS and never set by our producers
}

/**
 * What the redrive loop would send for one DLQ message. Pure.
 *
 * - The consumer's `x-*` park attributes are stripped (the message goes back as
 *   it first arrived), and `x-redrive-count` is set to one more than before, so
 *   a message that keeps coming back is visible as such.
 * - FIFO: MessageGroupId and MessageDeduplicationId are kept. A deduplication id
 *   that is a message id (what the consumer and AWS set when dead-lettering) was
 *   never used on the source queue, so it is safe. Any other id (MiniStack keeps
 *   the original one) may still be in the source queue's 5-minute window when the
 *   message was sent less than 5 minutes (+1 min skew) ago: SQS would accept the
 *   send and silently drop it, and deleting it from the DLQ would lose it. Such a
 *   message is held back unless `newDedupId` asks for `redrive-<DLQ message id>`
 *   (deterministic, so a re-run after a crash between send and delete is still
 *   deduplicated by SQS).
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 * (a message moved to a FIFO DLQ gets its message id as deduplication id)
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html (the 5-minute window)
 */
export function planMove(
  message: Message,
  dlq: DlqEntry,
  options: { newDedupId?: boolean; now: Date; index: number },
): PlannedMove {
  const report = describeMessage(message, { hasSourceQueue: Boolean(dlq.source) });
  const messageId = message.MessageId ?? '';
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (PARK_NAMES.has(name) || name === REDRIVE_COUNT_ATTRIBUTE) continue;
    const copy = copyAttribute(value);
    if (copy) attributes[name] = copy;
  }
  if (Object.keys(attributes).length < MAX_MESSAGE_ATTRIBUTES) {
    attributes[REDRIVE_COUNT_ATTRIBUTE] = { DataType: 'Number', StringValue: String((report.redriveCount ?? 0) + 1) };
  }
  const entry: SendMessageBatchRequestEntry = {
    Id: String(options.index),
    MessageBody: message.Body ?? '',
    ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
    ...(report.system.AWSTraceHeader
      ? {
          MessageSystemAttributes: {
            AWSTraceHeader: { DataType: 'String', StringValue: report.system.AWSTraceHeader },
          },
        }
      : {}),
  };
  const planned: PlannedMove = { messageId, reason: report.reason, action: 'move', entry };
  if (!dlq.source?.fifo) return planned;

  const groupId = report.messageGroupId;
  planned.messageGroupId = groupId;
  if (!groupId) return { ...planned, action: 'hold', why: 'FIFO message without MessageGroupId' };
  entry.MessageGroupId = groupId;
  const dedupId = report.messageDeduplicationId;
  if (options.newDedupId) {
    entry.MessageDeduplicationId = `redrive-${messageId}`;
    return planned;
  }
  if (dedupId) entry.MessageDeduplicationId = dedupId;
  const idFromMessageId = dedupId === messageId || dedupId === report.sourceMessageId;
  const sentAt = Number(report.system.SentTimestamp);
  const clearAt = sentAt + DEDUP_WINDOW_MS + DEDUP_MARGIN_MS;
  if (dedupId && !idFromMessageId && Number.isFinite(sentAt) && options.now.getTime() < clearAt) {
    return {
      ...planned,
      action: 'hold',
      why:
        `deduplication id ${dedupId} may still be in ${dlq.source.name}'s 5-minute deduplication window ` +
        `(message sent ${new Date(sentAt).toISOString()}): SQS would accept and silently drop it. ` +
        `Redrive after ${new Date(clearAt).toISOString()}, or pass --new-dedup-id`,
    };
  }
  return planned;
}

const entryBytes = (e: SendMessageBatchRequestEntry) =>
  Buffer.byteLength(e.MessageBody ?? '') +
  Object.entries(e.MessageAttributes ?? {}).reduce(
    (sum, [name, v]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(v.DataType ?? '') +
      Buffer.byteLength(v.StringValue ?? '') +
      (v.BinaryValue?.length ?? 0),
    0,
  );

/** Splits entries into SendMessageBatch calls of at most 10 entries and MAX_BATCH_BYTES. Keeps order. */
export function chunkForBatch<T extends { entry: SendMessageBatchRequestEntry }>(items: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entryBytes(item.entry);
    if (current.length && (current.length === SQS_BATCH || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const defaults = (options: RedriveOptions) => ({
  visibilitySeconds: options.visibilitySeconds ?? 60,
  waitSeconds: options.waitSeconds ?? 1,
  now: options.now ?? (() => new Date()),
  log: options.log ?? (() => {}),
  pollIntervalMs: options.pollIntervalMs ?? 2000,
});

/**
 * Moves a DLQ's messages back to its source queue.
 *
 * Dry run (default): peeks (up to `limit`), returns the plan, releases them.
 * With `apply`: SQS's own StartMessageMoveTask when the endpoint has it and no
 * limit is asked for (progress from ListMessageMoveTasks), otherwise the
 * receive → send → delete loop of `redriveLoop`.
 */
export async function redrive(sqs: SQSClient, dlq: DlqEntry, options: RedriveOptions): Promise<RedriveResult> {
  const source = dlq.source;
  if (!source) throw new DlqRefusal(noSourceAdvice(dlq));
  const o = defaults(options);
  const method = options.method ?? 'auto';
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new DlqRefusal(`--limit must be a positive whole number, got ${options.limit}`);
  }
  if (method === 'move-task' && options.limit !== undefined) {
    throw new DlqRefusal('StartMessageMoveTask cannot stop after N messages: drop --limit or use --method loop');
  }
  if (method === 'move-task' && options.only) {
    throw new DlqRefusal('StartMessageMoveTask moves every message: drop --message-id or use --method loop');
  }
  if (method === 'move-task' && options.newDedupId) {
    throw new DlqRefusal(
      'StartMessageMoveTask cannot set new deduplication ids: drop --new-dedup-id or use --method loop',
    );
  }
  const started = Date.now();

  if (!options.apply) {
    const { messages } = await peek(sqs, dlq.url, {
      max: options.limit ?? Number.POSITIVE_INFINITY,
      visibilitySeconds: o.visibilitySeconds,
      waitSeconds: o.waitSeconds,
    });
    try {
      const plan = messages
        .filter((m) => !options.only || options.only(m))
        .map((m, index) => planMove(m, dlq, { newDedupId: options.newDedupId, now: o.now(), index }));
      holdGroupsBehind(plan);
      return {
        method: 'dry-run',
        source: source.name,
        moved: plan.filter((p) => p.action === 'move').length,
        plan,
        heldBack: plan.filter((p) => p.action === 'hold').map((p) => ({ messageId: p.messageId, why: p.why ?? '' })),
        failed: [],
        sentNotDeleted: 0,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await release(sqs, dlq.url, messages);
    }
  }

  // A move task moves messages as they are: every one, no count limit, no new deduplication ids.
  if (method !== 'loop' && options.limit === undefined && !options.newDedupId && !options.only) {
    try {
      const moved = await moveTask(sqs, dlq, o);
      return {
        method: 'move-task',
        source: source.name,
        moved,
        plan: [],
        heldBack: [],
        failed: [],
        sentNotDeleted: 0,
        seconds: (Date.now() - started) / 1000,
      };
    } catch (error) {
      if (!isUnsupportedOperation(error)) throw error;
      if (method === 'move-task') {
        throw new DlqRefusal(`This endpoint does not implement StartMessageMoveTask; use --method loop (or auto).`);
      }
      o.log('redrive: the endpoint has no StartMessageMoveTask; moving with receive → send → delete instead');
    }
  }
  return { ...(await redriveLoop(sqs, dlq, { ...options, ...o })), seconds: (Date.now() - started) / 1000 };
}

/** FIFO: once a message of a group is held back, every later message of that group is too (order per group). */
function holdGroupsBehind(plan: PlannedMove[], blocked = new Set<string>()): PlannedMove[] {
  for (const p of plan) {
    if (!p.messageGroupId) continue;
    if (p.action === 'move' && blocked.has(p.messageGroupId)) {
      p.action = 'hold';
      p.why = `an earlier message of message group ${p.messageGroupId} is held back (FIFO order)`;
    }
    if (p.action === 'hold') blocked.add(p.messageGroupId);
  }
  return plan;
}

/** StartMessageMoveTask to the source queue, with progress from ListMessageMoveTasks until it ends. */
async function moveTask(sqs: SQSClient, dlq: DlqEntry, o: ReturnType<typeof defaults>): Promise<number> {
  const source = dlq.source!;
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn }));
  o.log(`redrive: started an SQS message move task ${dlq.name} → ${source.name}`);
  for (;;) {
    await new Promise((r) => setTimeout(r, o.pollIntervalMs));
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 }));
    const task = Results?.[0];
    if (!task) throw new Error(`ListMessageMoveTasks shows no task for ${dlq.arn}`);
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    o.log(`redrive: ${task.Status} — moved ${moved} of ~${task.ApproximateNumberOfMessagesToMove ?? '?'}`);
    if (task.Status === 'COMPLETED' || task.Status === 'CANCELLED') return moved;
    if (task.Status === 'FAILED')
      throw new Error(`message move task failed after ${moved} messages: ${task.FailureReason}`);
  }
}

/**
 * The client-side redrive: receive a batch (hidden for `visibilitySeconds`),
 * SendMessageBatch to the source, and only then DeleteMessageBatch the ones
 * that were sent. If the tool dies anywhere, an unsent message is still in the
 * DLQ (visible again after the timeout) and a sent-but-undeleted one is in both
 * queues: a duplicate, harmless because consumers are idempotent by event id.
 * Nothing is lost. Held-back and failed messages are released at the end.
 */
export async function redriveLoop(
  sqs: SQSClient,
  dlq: DlqEntry,
  options: RedriveOptions & ReturnType<typeof defaults>,
): Promise<RedriveResult> {
  const source = dlq.source;
  if (!source) throw new DlqRefusal(noSourceAdvice(dlq));
  const held = new Map<string, { message: Message; why: string }>();
  const failed = new Map<string, { message: Message; why: string }>();
  // Messages `only` turned down: kept hidden so they do not come round again, released at the end.
  const skipped = new Map<string, Message>();
  const blockedGroups = new Set<string>();
  const plan: PlannedMove[] = [];
  let moved = 0;
  let sentNotDeleted = 0;
  let index = 0;
  const started = Date.now();

  try {
    while (options.limit === undefined || moved < options.limit) {
      const want = options.limit === undefined ? SQS_BATCH : Math.min(SQS_BATCH, options.limit - moved);
      const batch = await receiveBatch(sqs, dlq.url, want, options);
      if (batch.length === 0) break;
      const fresh: Message[] = [];
      let unseen = 0;
      for (const m of batch) {
        const id = m.MessageId ?? '';
        const known = held.get(id) ?? failed.get(id);
        if (known)
          known.message = m; // newer receipt handle
        else if (skipped.has(id)) skipped.set(id, m);
        else {
          unseen++;
          if (options.only && !options.only(m)) skipped.set(id, m);
          else fresh.push(m);
        }
      }
      // Only messages already held back, failed or skipped came round again: nothing left to move.
      if (unseen === 0) break;
      if (fresh.length === 0) continue;

      const planned = holdGroupsBehind(
        fresh.map((m) => planMove(m, dlq, { newDedupId: options.newDedupId, now: options.now(), index: index++ })),
        blockedGroups,
      );
      plan.push(...planned);
      const byId = new Map(fresh.map((m) => [m.MessageId ?? '', m]));
      for (const p of planned.filter((p) => p.action === 'hold')) {
        held.set(p.messageId, { message: byId.get(p.messageId)!, why: p.why ?? '' });
      }
      const toSend = planned.filter((p) => p.action === 'move');
      const done = new Set<string>();
      try {
        for (const chunk of chunkForBatch(toSend)) {
          const sent = await sqs.send(
            new SendMessageBatchCommand({ QueueUrl: source.url, Entries: chunk.map((p) => p.entry) }),
          );
          const byEntryId = new Map(chunk.map((p) => [p.entry.Id, p]));
          for (const f of sent.Failed ?? []) {
            const p = byEntryId.get(f.Id)!;
            failed.set(p.messageId, { message: byId.get(p.messageId)!, why: `${f.Code}: ${f.Message ?? ''}` });
            if (p.messageGroupId) blockedGroups.add(p.messageGroupId);
            done.add(p.messageId); // released at the end, not deleted
          }
          const ok = (sent.Successful ?? []).map((s) => byEntryId.get(s.Id)!);
          if (ok.length === 0) continue;
          // Only what SQS confirmed as sent is deleted from the DLQ.
          const deleted = await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: dlq.url,
              Entries: ok.map((p) => ({ Id: p.entry.Id, ReceiptHandle: byId.get(p.messageId)!.ReceiptHandle })),
            }),
          );
          for (const p of ok) done.add(p.messageId);
          moved += deleted.Successful?.length ?? 0;
          sentNotDeleted += deleted.Failed?.length ?? 0;
        }
      } catch (error) {
        // Whatever of this batch was not dealt with goes back to the DLQ now rather than after the timeout.
        await release(
          sqs,
          dlq.url,
          toSend.filter((p) => !done.has(p.messageId)).map((p) => byId.get(p.messageId)!),
        ).catch(() => 0);
        throw error;
      }
      const rate = moved / Math.max(0.001, (Date.now() - started) / 1000);
      options.log(
        `redrive: moved ${moved}${options.limit !== undefined ? `/${options.limit}` : ''} to ${source.name}` +
          `${held.size ? `, held back ${held.size}` : ''}${failed.size ? `, failed ${failed.size}` : ''} (${rate.toFixed(1)} msg/s)`,
      );
    }
  } finally {
    const back = [...[...held.values(), ...failed.values()].map((h) => h.message), ...skipped.values()];
    if (back.length) await release(sqs, dlq.url, back);
  }
  return {
    method: 'loop',
    source: source.name,
    moved,
    plan,
    heldBack: [...held].map(([messageId, h]) => ({ messageId, why: h.why })),
    failed: [...failed].map(([messageId, f]) => ({ messageId, why: f.why })),
    sentNotDeleted,
    seconds: (Date.now() - started) / 1000,
  };
}
