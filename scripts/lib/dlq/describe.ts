import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { PARK_ATTRIBUTES } from '../../../lambdas/contracts/park-attributes';

/**
 * The attribute the redrive loop sets on a message it sends back, counting how
 * often it has been redriven. The consumer keeps it (as an original attribute)
 * when it parks the message again, so the next redrive counts on.
 */
export const REDRIVE_COUNT_ATTRIBUTE = 'x-redrive-count';

const PARK_NAMES = new Set<string>(Object.values(PARK_ATTRIBUTES));

/**
 * Attributes EventBridge puts on an event it could not deliver to a target.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export const EVENTBRIDGE_DLQ_ATTRIBUTES = [
  'ERROR_CODE',
  'ERROR_MESSAGE',
  'EXHAUSTED_RETRY_CONDITION',
  'RETRY_ATTEMPTS',
  'RULE_ARN',
  'TARGET_ARN',
] as const;

/** Where a dead-lettered message's reason came from, which decides what `show` can say about it. */
export type Origin =
  | 'parked-by-consumer'
  | 'sqs-redrive-policy'
  | 'eventbridge-target'
  | 'stream-failure'
  | 'no-reason-recorded';

export interface MessageReport {
  messageId: string;
  origin: Origin;
  /** One line: what went wrong, as far as the message says. */
  reason: string;
  errorType?: string;
  errorMessage?: string;
  attempts?: number;
  firstFailureAt?: string;
  lastFailureAt?: string;
  consumer?: string;
  sourceMessageId?: string;
  redriveCount?: number;
  /** Kind-specific facts (EventBridge's attributes, a stream batch's shard and sequence numbers, …). */
  details: Record<string, string>;
  /** The message attributes that are not the tool's or the consumer's bookkeeping. */
  originalAttributes: Record<string, string>;
  /** SQS system attributes of the message in the DLQ. */
  system: Record<string, string>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  body: string;
}

function attributeText(value: MessageAttributeValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.StringValue !== undefined) return value.StringValue;
  if (value.BinaryValue !== undefined) return `<binary, ${value.BinaryValue.length} bytes>`;
  return undefined;
}

const isoFromMillis = (value: string | undefined) => {
  const ms = Number(value);
  return value && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
};

/** The on-failure record Lambda writes for a stream batch it gave up on (DynamoDB or Kinesis). */
interface StreamFailureRecord {
  requestContext?: { functionArn?: string; condition?: string; approximateInvokeCount?: number };
  responseContext?: { statusCode?: number; functionError?: string };
  timestamp?: string;
  DDBStreamBatchInfo?: StreamBatchInfo;
  KinesisBatchInfo?: StreamBatchInfo;
}
interface StreamBatchInfo {
  shardId?: string;
  startSequenceNumber?: string;
  endSequenceNumber?: string;
  approximateArrivalOfFirstRecord?: string;
  approximateArrivalOfLastRecord?: string;
  batchSize?: number;
  streamArn?: string;
}

function streamFailureOf(body: string): StreamFailureRecord | undefined {
  try {
    const parsed = JSON.parse(body) as StreamFailureRecord;
    return parsed && typeof parsed === 'object' && (parsed.DDBStreamBatchInfo || parsed.KinesisBatchInfo)
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a dead-lettered message says about why it is there. Pure: reads the
 * message as received (system and message attributes, body) and nothing else.
 *
 * - parked by our consumer: the `x-*` attributes of PARK_ATTRIBUTES;
 * - moved by SQS's redrive policy (`hasSourceQueue`): no reason recorded, only
 *   the receive count and first-receive time (the handler's log has the error);
 * - EventBridge rule-target DLQ: EventBridge's ERROR_CODE, ERROR_MESSAGE, … attributes;
 * - stream failure queue: the Lambda on-failure record describing the batch.
 */
export function describeMessage(message: Message, options: { hasSourceQueue: boolean }): MessageReport {
  const system = { ...(message.Attributes ?? {}) } as Record<string, string>;
  const attributes = message.MessageAttributes ?? {};
  const text = (name: string) => attributeText(attributes[name]);
  const body = message.Body ?? '';
  const originalAttributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (PARK_NAMES.has(name) || name === REDRIVE_COUNT_ATTRIBUTE) continue;
    if ((EVENTBRIDGE_DLQ_ATTRIBUTES as readonly string[]).includes(name)) continue;
    originalAttributes[name] = attributeText(value) ?? '';
  }
  const redriveCount = Number(text(REDRIVE_COUNT_ATTRIBUTE)) || undefined;
  const base = {
    messageId: message.MessageId ?? '',
    system,
    originalAttributes,
    redriveCount,
    messageGroupId: system.MessageGroupId,
    messageDeduplicationId: system.MessageDeduplicationId,
    body,
    details: {} as Record<string, string>,
  };

  const errorType = text(PARK_ATTRIBUTES.errorType);
  if (errorType !== undefined || text(PARK_ATTRIBUTES.failedAt) !== undefined) {
    const errorMessage = text(PARK_ATTRIBUTES.errorMessage);
    return {
      ...base,
      origin: 'parked-by-consumer',
      reason: `${errorType ?? 'Error'}: ${errorMessage ?? '(no message)'}`,
      errorType,
      errorMessage,
      attempts: Number(text(PARK_ATTRIBUTES.attempts)) || undefined,
      firstFailureAt: text(PARK_ATTRIBUTES.firstReceivedAt),
      lastFailureAt: text(PARK_ATTRIBUTES.failedAt),
      consumer: text(PARK_ATTRIBUTES.consumer),
      sourceMessageId: text(PARK_ATTRIBUTES.sourceMessageId),
    };
  }

  if (text('ERROR_CODE') !== undefined || text('RULE_ARN') !== undefined) {
    const details: Record<string, string> = {};
    for (const name of EVENTBRIDGE_DLQ_ATTRIBUTES) {
      const value = text(name);
      if (value !== undefined) details[name] = value;
    }
    return {
      ...base,
      origin: 'eventbridge-target',
      reason: `${details.ERROR_CODE ?? 'Error'}: ${details.ERROR_MESSAGE ?? '(no message)'}`,
      errorType: details.ERROR_CODE,
      errorMessage: details.ERROR_MESSAGE,
      attempts: Number(details.RETRY_ATTEMPTS) || undefined,
      lastFailureAt: isoFromMillis(system.SentTimestamp),
      details,
    };
  }

  const failure = streamFailureOf(body);
  if (failure) {
    const batch = failure.DDBStreamBatchInfo ?? failure.KinesisBatchInfo ?? {};
    const details: Record<string, string> = {};
    const put = (name: string, value: unknown) => {
      if (value !== undefined && value !== null && value !== '') details[name] = String(value);
    };
    put('function', failure.requestContext?.functionArn);
    put('condition', failure.requestContext?.condition);
    put('functionError', failure.responseContext?.functionError);
    put('batchSize', batch.batchSize);
    put('shardId', batch.shardId);
    put('sequenceNumbers', batch.startSequenceNumber && `${batch.startSequenceNumber} … ${batch.endSequenceNumber}`);
    put('firstRecordArrival', batch.approximateArrivalOfFirstRecord);
    put('lastRecordArrival', batch.approximateArrivalOfLastRecord);
    put('streamArn', batch.streamArn);
    return {
      ...base,
      origin: 'stream-failure',
      reason: `stream batch of ${batch.batchSize ?? '?'} record(s) given up: ${failure.requestContext?.condition ?? 'unknown condition'}${failure.responseContext?.functionError ? ` (${failure.responseContext.functionError})` : ''}`,
      errorType: failure.requestContext?.condition,
      attempts: failure.requestContext?.approximateInvokeCount,
      firstFailureAt: batch.approximateArrivalOfFirstRecord,
      lastFailureAt: failure.timestamp,
      details,
    };
  }

  const receiveCount = Number(system.ApproximateReceiveCount) || undefined;
  if (options.hasSourceQueue) {
    return {
      ...base,
      origin: 'sqs-redrive-policy',
      reason:
        'moved by the redrive policy after maxReceiveCount receives (the consumer could not park it; its log, keyed by message id, has the error)',
      attempts: receiveCount,
      firstFailureAt: isoFromMillis(system.ApproximateFirstReceiveTimestamp),
      details: { sentAt: isoFromMillis(system.SentTimestamp) ?? '' },
    };
  }
  return {
    ...base,
    origin: 'no-reason-recorded',
    reason: 'no reason recorded on the message (see the message attributes and body)',
    attempts: receiveCount,
    firstFailureAt: isoFromMillis(system.ApproximateFirstReceiveTimestamp),
    details: { sentAt: isoFromMillis(system.SentTimestamp) ?? '' },
  };
}

/** Shortens a body for a terminal: one line, at most `max` characters (0 = no limit). */
export function truncateBody(body: string, max: number): string {
  const oneLine = body.replace(/\s*\n\s*/g, ' ');
  if (max <= 0 || oneLine.length <= max) return oneLine;
  return `${oneLine.slice(0, max)}… (${body.length} chars; --max-body 0 shows all)`;
}
