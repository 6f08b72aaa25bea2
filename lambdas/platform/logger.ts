import { Logger } from '@aws-lambda-powertools/logger';
import { type Envelope, orderIdOf } from '../messages/envelope';

/** One structured JSON logger per function, named after the service. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/**
 * The keys that let one order's whole path be followed in the logs:
 * filter on `correlationId` to see every hop an order took.
 */
export function envelopeLogKeys(envelope: Envelope): Record<string, string> {
  const orderId = orderIdOf(envelope);
  return {
    correlationId: envelope.correlationId,
    ...(envelope.causationId ? { causationId: envelope.causationId } : {}),
    eventId: envelope.id,
    eventType: envelope.type,
    ...(orderId ? { orderId } : {}),
  };
}

/**
 * A logger for one unit of work (one SQS record, one saga task) carrying
 * `keys` on every line. It is a child of `logger` (same service, level and
 * Lambda context), so the keys never touch the shared logger: records
 * processed in parallel cannot see each other's keys, and nothing is left
 * behind for the next record or invocation.
 */
export function loggerFor(logger: Logger, keys: Record<string, string>): Logger {
  return logger.createChild({ persistentKeys: keys });
}
