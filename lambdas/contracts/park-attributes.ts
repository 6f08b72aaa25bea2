/**
 * The message attributes a consumer puts on a message it parks in its
 * dead-letter queue (lambdas/runtime/consumer/queue-consumer.ts), so the
 * failure's reason travels with the message. The DLQ tooling (scripts/dlq.ts),
 * the demo and the tests read these names. Imports nothing.
 */
export const PARK_ATTRIBUTES = {
  /** The error's name, e.g. `InvalidEventError` (./errors.ts). */
  errorType: 'x-error-type',
  errorMessage: 'x-error-message',
  /**
   * A machine-readable reason, when the error has one: an `InvalidEventError`'s
   * (`MALFORMED_JSON`, `SCHEMA_VIOLATION`, …) or an `EventIdConflictError`'s
   * (`EVENT_ID_CONFLICT`). Absent for errors that carry none.
   */
  reason: 'x-error-reason',
  attempts: 'x-attempts',
  firstReceivedAt: 'x-first-received-at',
  failedAt: 'x-failed-at',
  sourceMessageId: 'x-source-message-id',
  consumer: 'x-consumer',
} as const;
