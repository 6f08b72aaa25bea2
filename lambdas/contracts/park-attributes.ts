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
  attempts: 'x-attempts',
  firstReceivedAt: 'x-first-received-at',
  failedAt: 'x-failed-at',
  sourceMessageId: 'x-source-message-id',
  consumer: 'x-consumer',
} as const;
