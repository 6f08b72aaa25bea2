/**
 * The one error hierarchy of the order flow. Every error the code throws on
 * purpose extends {@link OrderFlowError} and says whether trying again can
 * help:
 * - a {@link PermanentError} cannot: the same input fails the same way, so a
 *   queue consumer parks the message in its dead-letter queue on the first
 *   attempt, with the error's name and message as its reason;
 * - a {@link RetryableError} may: the message is retried and parked only on
 *   its last allowed attempt (`maxReceiveCount`). Any error outside the
 *   hierarchy (an SDK error, a bug) is treated the same way.
 *
 * Why here, in the contracts: every layer throws these (messages, the event
 * store, the runners, the domain functions), so the hierarchy must sit below
 * all of them; and an error's name is what a parked message carries
 * (`x-error-type`, ./park-attributes.ts), which the DLQ tooling and the tests
 * read. Imports nothing. Each class sets `name` itself, so the name survives
 * bundling and minification.
 */
export abstract class OrderFlowError extends Error {
  /** True when no retry can succeed: the consumer parks the message at once. */
  abstract readonly permanent: boolean;
}

/** The same input fails the same way every time: park it, do not retry it. */
export abstract class PermanentError extends OrderFlowError {
  readonly permanent = true;
}

/** The failure may pass: retry, and park only on the last allowed attempt. */
export abstract class RetryableError extends OrderFlowError {
  readonly permanent = false;
}

/** Whether `error` can never succeed on a retry. */
export function isPermanentError(error: unknown): error is PermanentError {
  return error instanceof OrderFlowError && error.permanent;
}

// ---------------------------------------------------------------------------
// Permanent

/** Why an incoming message was refused: it is not a valid event of the catalogue. */
export class InvalidEventError extends PermanentError {
  override readonly name = 'InvalidEventError';
  constructor(
    message: string,
    readonly reason: 'MALFORMED_JSON' | 'SCHEMA_VIOLATION' | 'UNKNOWN_TYPE' | 'UNSUPPORTED_VERSION' | 'OVERSIZED',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A valid event of a type its receiver does not handle (e.g. an OrderPlaced on
 * the e-mail queue): a wiring or routing mistake that no retry can fix.
 */
export class WrongEventTypeError extends PermanentError {
  override readonly name = 'WrongEventTypeError';
  constructor(
    /** Who received it: a consumer's name, or `saga input`. */
    readonly receiver: string,
    readonly accepted: readonly string[],
    readonly actual: string,
  ) {
    super(`${receiver} only handles ${accepted.join(', ')}, got ${actual}`);
  }
}

/** The reason a consumer parks a known event id with changed content under (`x-error-reason`, ./park-attributes.ts). */
export const EVENT_ID_CONFLICT = 'EVENT_ID_CONFLICT';

/**
 * A consumer received an event id it has already processed, with other
 * content (issue 17): the producer reused the id for a different event, or
 * the body was changed on the way. Neither a duplicate to drop (that would
 * lose the new content without a trace) nor an event to apply (that would
 * apply one id twice): the consumer parks it on its first attempt, with
 * {@link EVENT_ID_CONFLICT} as its reason, for an operator to judge. What the
 * content is: lambdas/messages/fingerprint.ts (`type` and `data`, without the
 * delivery metadata), so a redelivery with a new time or correlation id is
 * still a duplicate.
 */
export class EventIdConflictError extends PermanentError {
  override readonly name = 'EventIdConflictError';
  readonly reason = EVENT_ID_CONFLICT;
  constructor(
    /** The consumer that refused it (`email-consumer`). */
    readonly consumer: string,
    readonly eventId: string,
    /** Where the first content's trace was found and how it reads, e.g. `apply-once marker sha256:…`. */
    readonly stored: string,
    /** The refused delivery's content fingerprint (`sha256:…`). */
    readonly received: string,
  ) {
    super(
      `${EVENT_ID_CONFLICT}: ${consumer} already processed event ${eventId} with other content ` +
        `(${stored}); this delivery (${received}) is parked, not applied`,
    );
  }
}

/** An append that DynamoDB could not take in one transaction (too many items or bytes); nothing was written. */
export class AppendTooLargeError extends PermanentError {
  override readonly name = 'AppendTooLargeError';
}

// ---------------------------------------------------------------------------
// Retryable

/**
 * The aggregate is not at the version the writer expected: another writer
 * appended first (or the writer's view is otherwise stale). Nothing was written;
 * a retry reads the new version.
 */
export class ConcurrencyError extends RetryableError {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Aggregate ${aggregateId}: expected version ${expectedVersion}, but it is at version ${actualVersion}; nothing was written`,
      options,
    );
  }
}

/**
 * A condition on one of the caller's own writes failed (for example "stock ≥
 * quantity" or "no payment recorded yet"). `failedIndexes` are positions in the
 * caller's `writes` list, so the caller can tell which business rule said no;
 * the saga's services read it as a business answer. Retryable, as the state it
 * was checked against may change.
 */
export class WriteConditionFailedError extends RetryableError {
  override readonly name = 'WriteConditionFailedError';
  constructor(
    readonly failedIndexes: number[],
    options?: { cause?: unknown },
  ) {
    super(`Conditional write(s) failed at index ${failedIndexes.join(', ')}`, options);
  }
}

/** Thrown when a consumer effect's own condition failed: the state moved under it; a retry reads it again. */
export class EffectConflictError extends RetryableError {
  override readonly name = 'EffectConflictError';
}

/** An event arrived at the projector before the one it follows; the record is retried until the gap closes. */
export class ProjectionGapError extends RetryableError {
  override readonly name = 'ProjectionGapError';
  constructor(
    readonly orderId: string,
    readonly expected: number,
    readonly got: number,
  ) {
    super(`Order ${orderId}: read model expects version ${expected}, stream delivered ${got}`);
  }
}

/**
 * Thrown by an injected fault (a testing aid), so logs and parked messages say
 * the failure was injected. Retryable: injected faults stand for transient ones.
 */
export class FaultInjectedError extends RetryableError {
  override readonly name = 'FaultInjectedError';
  constructor(
    message: string,
    readonly faultId: string,
  ) {
    super(message);
  }
}
