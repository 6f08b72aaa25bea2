import {
  EventType as BatchEventType,
  BatchProcessor,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyRecordStatus,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EventIdConflictError, InvalidEventError, isPermanentError, WrongEventTypeError } from '../../contracts/errors';
import type { EventType } from '../../contracts/events';
import { BUSINESS_METRIC } from '../../contracts/metrics';
import { PARK_ATTRIBUTES } from '../../contracts/park-attributes';
import { type Envelope, orderIdOf, parseEnvelope } from '../../messages/envelope';
import { contentFingerprint } from '../../messages/fingerprint';
import { envelopeLogKeys, loggerFor } from '../../platform/logger';
import { createRunnerCore, type RunnerDeps } from '../core';

/**
 * The consumer runner: turns a consumer's domain function into an SQS
 * handler with validation, at-most-once processing, partial batch failures
 * and parking with a reason (built on the shared runner core, ../core.ts).
 */

/** Limit kept under SQS's 256 KiB message attribute budget and readable in a console. */
const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * The part of an event a repeated event id must match, for Powertools payload
 * validation (lambdas/platform/idempotency.ts): its `type` and `data`, the
 * same content as `contentFingerprint` (lambdas/messages/fingerprint.ts)
 * covers, without the delivery metadata (time, correlation and causation ids,
 * source, metadata). Powertools sorts object keys before it hashes, so key
 * order is not content here either. The bootstrap (./bootstrap.ts) configures
 * every consumer's idempotency with it.
 */
export const EVENT_CONTENT_JMESPATH = '{type: type, data: data}';

export interface QueueConsumerDeps extends RunnerDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  maxReceiveCount: number;
  now?: () => Date;
}

export interface QueueConsumerOptions {
  /** Names the consumer in logs, idempotency keys and parked messages. */
  name: string;
  /** FIFO queues keep order per message group: a failed message holds back only its own group. */
  fifo?: boolean;
  /**
   * The event types this consumer handles; any other is refused with a
   * `WrongEventTypeError` and parked on its first attempt. Unset: every type
   * of the catalogue.
   */
  accepts?: readonly EventType[];
  /** The business operation, run at most once per event id; the SQS record is there for its attributes. */
  process: (envelope: Envelope, record: SQSRecord) => Promise<void>;
}

/**
 * Extracts the envelope from an SQS body. Fan-out queues without raw delivery
 * receive SNS's notification JSON whose `Message` is the envelope; raw delivery
 * and EventBridge targets deliver the envelope itself.
 */
export function unwrapBody(body: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new InvalidEventError(`Body is not valid JSON: ${(cause as Error).message}`, 'MALFORMED_JSON', { cause });
  }
  if (
    parsed !== null &&
    typeof parsed === 'object' &&
    (parsed as { Type?: unknown }).Type === 'Notification' &&
    typeof (parsed as { Message?: unknown }).Message === 'string'
  ) {
    return (parsed as { Message: string }).Message;
  }
  return parsed;
}

/**
 * Builds an SQS handler that validates each record, runs `process` at most once
 * per event id (Powertools idempotency keyed by the envelope's own `id`, never
 * the SQS message id, so a re-published event is recognised too), and reports
 * failed records individually (Powertools batch) so one bad record never makes
 * the good ones in its batch run again.
 *
 * A record that can never succeed (a `PermanentError`, lambdas/contracts/errors.ts:
 * an `InvalidEventError` for malformed JSON, a schema violation, an unknown
 * type, an unsupported version or an oversized body, or a `WrongEventTypeError`
 * for a valid event of a type the consumer does not accept, or an
 * `EventIdConflictError`, below) is parked at once,
 * on its first attempt; any other failure is retried and parked on the record's last allowed attempt
 * (`ApproximateReceiveCount` ≥ the queue's `maxReceiveCount`). Parking puts it
 * in the DLQ with the error, attempt count and times as message attributes,
 * then acknowledges it. Should parking fail, the record is reported failed and
 * SQS's redrive policy moves it to the same DLQ: without the reason, but never
 * lost.
 *
 * A known event id with other content (issue 17) is neither skipped nor
 * applied: it is an `EventIdConflictError` (`EVENT_ID_CONFLICT`), parked on
 * its first attempt like any permanent error, and counted as
 * `EventConflicts`. Two layers see it, and both are needed:
 * - Powertools payload validation ({@link EVENT_CONTENT_JMESPATH}): the
 *   idempotency record keeps a hash of the content and a delivery whose hash
 *   differs raises `IdempotencyValidationError` before `process` runs. The
 *   library's own rule, so it is used rather than a hand-written lookup; it
 *   also catches a conflict while the first delivery is still in progress.
 *   But the record lives 24 hours (IDEMPOTENCY_TTL_SECONDS);
 * - the apply-once marker (./apply-once.ts) keeps the content fingerprint for
 *   good, so a replay from the bus archive or a DLQ redrive days later is
 *   judged the same way.
 * A record written before payload validation was configured has no hash to
 * compare: such a delivery is a duplicate, as before (its marker, equally
 * old, has no fingerprint either).
 *
 * Fault points (testing aid, `deps.faults`): `before` and `after-effect` around
 * `process` inside the idempotent section, `before-ack` after it completed.
 *
 * Telemetry: every log line of a record carries its envelope's keys
 * (correlation id, causation id, event id and type, order id) through a
 * per-record child logger, so records processed in parallel never share
 * keys; an event that was already processed counts `DuplicatesSuppressed`,
 * and the invocation's figures are published when it ends.
 */
export function createQueueConsumer(
  options: QueueConsumerOptions,
  deps: QueueConsumerDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const now = deps.now ?? (() => new Date());
  const core = createRunnerCore(deps, {
    name: options.name,
    run: async (envelope: Envelope, record: SQSRecord) => {
      await options.process(envelope, record);
      return { processed: envelope.id };
    },
    subject: (envelope, record) => ({
      target: options.name,
      orderId: orderIdOf(envelope),
      attempt: Number(record.attributes.ApproximateReceiveCount ?? '1'),
      eventType: envelope.type,
      eventId: envelope.id,
    }),
  });

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    let log = loggerFor(deps.logger, { messageId: record.messageId });
    try {
      const envelope = parseEnvelope(unwrapBody(record.body));
      log = loggerFor(deps.logger, { messageId: record.messageId, ...envelopeLogKeys(envelope) });
      if (options.accepts && !options.accepts.includes(envelope.type as EventType)) {
        throw new WrongEventTypeError(options.name, options.accepts, envelope.type);
      }
      const { fresh } = await runJudged(envelope, record);
      log.info(fresh ? 'event processed' : 'duplicate event suppressed: already processed');
    } catch (error) {
      const attempts = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const permanent = isPermanentError(error);
      log.error(permanent ? 'event can never be processed' : 'event failed', { attempts, error: error as Error });
      if (permanent || attempts >= deps.maxReceiveCount) {
        await park(record, error as Error, attempts, log);
        if (error instanceof EventIdConflictError) deps.metrics.count(BUSINESS_METRIC.EventConflicts);
        return;
      }
      throw error;
    }
  };

  /** `core.run`, with Powertools' payload validation failure judged (see above). */
  const runJudged = async (envelope: Envelope, record: SQSRecord): Promise<{ fresh: boolean }> => {
    try {
      return await core.run(envelope, record);
    } catch (error) {
      if (!(error instanceof IdempotencyValidationError)) throw error;
      const existing = error.existingRecord;
      const storedHash = existing?.payloadHash;
      if (!storedHash) {
        // Recorded before payload validation was configured: nothing to compare. Powertools validates
        // before it looks at the status, so answer what it would have answered without validation: a
        // record still in progress (another delivery running, or a worker that died mid-way) is retried,
        // never taken for a finished duplicate; a completed one is a duplicate, as before.
        if (existing?.getStatus() === IdempotencyRecordStatus.INPROGRESS) {
          throw new IdempotencyAlreadyInProgressError(
            `There is already an execution in progress with idempotency key: ${existing.idempotencyKey}`,
            existing,
          );
        }
        deps.metrics.count(BUSINESS_METRIC.DuplicatesSuppressed);
        return { fresh: false };
      }
      throw new EventIdConflictError(
        options.name,
        envelope.id,
        `idempotency record payload hash ${storedHash}`,
        contentFingerprint(envelope),
      );
    }
  };

  const park = async (record: SQSRecord, error: Error, attempts: number, log: Logger): Promise<void> => {
    const attributes: Record<string, MessageAttributeValue> = {
      [PARK_ATTRIBUTES.errorType]: text(error.name || 'Error'),
      [PARK_ATTRIBUTES.errorMessage]: text((error.message || String(error)).slice(0, MAX_ERROR_MESSAGE_CHARS)),
      ...reasonOf(error),
      [PARK_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(attempts) },
      [PARK_ATTRIBUTES.firstReceivedAt]: text(
        new Date(Number(record.attributes.ApproximateFirstReceiveTimestamp ?? Date.now())).toISOString(),
      ),
      [PARK_ATTRIBUTES.failedAt]: text(now().toISOString()),
      [PARK_ATTRIBUTES.sourceMessageId]: text(record.messageId),
      [PARK_ATTRIBUTES.consumer]: text(options.name),
    };
    // SQS allows 10 message attributes: keep as many of the original ones as fit. A message
    // redriven with its old park attributes (e.g. by StartMessageMoveTask) must not overwrite the new ones.
    for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
      if (Object.keys(attributes).length >= 10) break;
      if (name in attributes) continue;
      if (value.stringValue !== undefined)
        attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    }
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: attributes,
        ...(options.fifo
          ? {
              MessageGroupId: record.attributes.MessageGroupId ?? 'parked',
              MessageDeduplicationId: record.messageId,
            }
          : {}),
      }),
    );
    log.warn('event parked in dead-letter queue', { attempts, errorType: error.name });
  };

  return (event, context) =>
    core.invoke(context, () =>
      options.fifo
        ? processPartialResponse(event, handleRecord, new SqsFifoPartialProcessorAsync(), {
            context,
            skipGroupOnError: true,
            throwOnFullBatchFailure: false,
          })
        : processPartialResponse(event, handleRecord, new BatchProcessor(BatchEventType.SQS), {
            context,
            throwOnFullBatchFailure: false,
          }),
    );
}

/** The `x-error-reason` attribute, when the error carries a reason (`InvalidEventError`, `EventIdConflictError`). */
function reasonOf(error: Error): Record<string, MessageAttributeValue> {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason.length > 0 ? { [PARK_ATTRIBUTES.reason]: text(reason) } : {};
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
